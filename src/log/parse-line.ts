/**
 * One line of an event log to a typed record. The same function serves the streaming reader, the
 * in-memory reader and the tests, so every entry point reports errors the same way.
 */
import type { z } from 'zod';
import { LogInputError } from './errors.ts';
import { findKeyProblem, MAX_NESTING } from './forbidden-keys.ts';
import { eventSchemaByType, type Header, header, type LogEvent } from './schema.ts';

export type ParsedLine =
  | { readonly kind: 'skip' }
  | { readonly kind: 'header'; readonly line: number; readonly header: Header }
  | { readonly kind: 'event'; readonly line: number; readonly event: LogEvent };

function issueToError(line: number, issue: z.core.$ZodIssue): LogInputError {
  const field = issue.path.length === 0 ? undefined : issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = field === undefined ? '' : `${field}.`;
    return new LogInputError(line, `${where}${issue.keys[0]}`, 'unknown field');
  }
  return new LogInputError(line, field, issue.message.replace(/^Invalid input: /, ''));
}

/** `sawContent` tells whether a non-comment line came before (a header may only be the first). */
export function parseLine(text: string, line: number, sawContent: boolean): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'skip' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new LogInputError(line, undefined, `malformed JSON (${(error as Error).message})`);
  }
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
