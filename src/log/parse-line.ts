/**
 * One line of an event log to a typed record. The same function serves the streaming reader, the
 * in-memory reader and the tests, so every entry point reports errors the same way. A line takes
 * the fast parser derived from the schema (src/log/fast-check.ts) first; a line it is not sure
 * about takes the zod path, which stays the one source of truth and the one writer of errors.
 */
import type { z } from 'zod';
import { findDuplicateKey } from './duplicate-keys.ts';
import { LogInputError } from './errors.ts';
import { compileFastParser, type FastParser, NOT_SURE } from './fast-check.ts';
import { compileTaggedParser } from './fast-tagged.ts';
import { findKeyProblem, MAX_NESTING } from './forbidden-keys.ts';
import { eventSchemaByType, type Header, header, type LogEvent } from './schema.ts';

export type ParsedLine =
  | { readonly kind: 'skip' }
  | { readonly kind: 'header'; readonly line: number; readonly header: Header }
  | { readonly kind: 'event'; readonly line: number; readonly event: LogEvent };

const SKIP: ParsedLine = Object.freeze({ kind: 'skip' });
const HASH = 0x23;

const fastEventParsers: ReadonlyMap<string, FastParser<LogEvent>> = new Map(
  [...eventSchemaByType].flatMap(([type, schema]) => {
    const parse = compileFastParser(schema as z.ZodType<LogEvent>);
    return parse === undefined ? [] : [[type, parse] as const];
  }),
);
const fastEventParser: FastParser<LogEvent> = compileTaggedParser('type', fastEventParsers);
const fastHeaderParser: FastParser<Header> | undefined = compileFastParser(header);

/** Event types and whether the header have a fast parser (the rest always take the zod path). */
export function fastParserCoverage(): { readonly eventTypes: readonly string[]; readonly header: boolean } {
  return { eventTypes: [...fastEventParsers.keys()], header: fastHeaderParser !== undefined };
}

function issueToError(line: number, issue: z.core.$ZodIssue): LogInputError {
  const field = issue.path.length === 0 ? undefined : issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = field === undefined ? '' : `${field}.`;
    return new LogInputError(line, `${where}${issue.keys[0]}`, 'unknown field');
  }
  return new LogInputError(line, field, issue.message.replace(/^Invalid input: /, ''));
}

function parseJson(text: string, line: number): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LogInputError(line, undefined, `malformed JSON (${(error as Error).message})`);
  }
  // JSON.parse keeps the last of a repeated key: such a line is ambiguous, never an event.
  const repeated = findDuplicateKey(text, value);
  if (repeated !== undefined)
    throw new LogInputError(line, repeated, 'duplicate key (a JSON object may not repeat a key)');
  return value;
}

/**
 * The fast path alone on a JSON.parse result: the item when the line is certainly valid, exactly
 * as the zod path returns it; undefined when it is not sure (then only the zod path may decide).
 */
export function fastParseValue(value: unknown, line: number, sawContent: boolean): ParsedLine | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const type = (value as Record<string, unknown>).type;
  if (typeof type === 'string') {
    const event = fastEventParser(value);
    return event === NOT_SURE ? undefined : { kind: 'event', line, event };
  }
  // An accepted header has no "type" key, so the zod path would also take it as the header.
  if (sawContent || fastHeaderParser === undefined) return undefined;
  const parsed = fastHeaderParser(value);
  return parsed === NOT_SURE ? undefined : { kind: 'header', line, header: parsed };
}

/** The zod path on a JSON.parse result: the one that decides every line and words every error. */
export function zodParseValue(value: unknown, line: number, sawContent: boolean): ParsedLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LogInputError(line, undefined, 'expected a JSON object with a string "type" (or the header)');
  }
  const problem = findKeyProblem(value);
  if (problem?.kind === 'forbidden-key') {
    throw new LogInputError(line, problem.path, 'this key is not allowed in a log');
  }
  if (problem?.kind === 'too-deep') {
    const limit = `more than ${MAX_NESTING} levels of objects and arrays`;
    throw new LogInputError(line, undefined, `nesting deeper than the log format allows (${limit})`);
  }
  const record = value as Record<string, unknown>;
  if ('log' in record && !('type' in record)) {
    if (sawContent) throw new LogInputError(line, 'log', 'the header must be the first non-comment line');
    const result = header.safeParse(record);
    if (!result.success) throw issueToError(line, result.error.issues[0]!);
    return { kind: 'header', line, header: result.data };
  }
  if (typeof record.type !== 'string') throw new LogInputError(line, 'type', 'expected a string event type');
  const schema = eventSchemaByType.get(record.type);
  if (schema === undefined) throw new LogInputError(line, 'type', `unknown event type "${record.type}"`);
  const result = schema.safeParse(record);
  if (!result.success) throw issueToError(line, result.error.issues[0]!);
  return { kind: 'event', line, event: result.data as LogEvent };
}

/** `sawContent` tells whether a non-comment line came before (a header may only be the first). */
export function parseLine(text: string, line: number, sawContent: boolean): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.charCodeAt(0) === HASH) return SKIP;
  const value = parseJson(trimmed, line);
  return fastParseValue(value, line, sawContent) ?? zodParseValue(value, line, sawContent);
}

/** parseLine without the fast path: the reference the property test holds the fast path to. */
export function parseLineByZod(text: string, line: number, sawContent: boolean): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.charCodeAt(0) === HASH) return SKIP;
  return zodParseValue(parseJson(trimmed, line), line, sawContent);
}
