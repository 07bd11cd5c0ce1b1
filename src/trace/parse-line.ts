/**
 * One line of a QEMU `log`-backend trace to a classified item, in every prefix era:
 * `PID@SEC.USEC:name …` (2.3–5.2, later with `-msg timestamp=on`), none (6.0+ default),
 * `2025-07-21T18:43:28.089797Z name …` (10.1+ with `-msg timestamp=on`); leading indentation from
 * mail pastes is ignored. Mirrors scripts/tracetool/backend/log.py and util/error-report.c (vreport).
 * Stateless: joining wrapped error lines is the reader's job (read.ts).
 */
import { EVENT_SPECS, type FieldType, type TraceEventName } from './events.ts';
import { type CompiledFormat, compileFormat, decodeValue, type ValueKind } from './format.ts';
import type { ErrorLine, LinePrefix, TraceItem, TraceRecord } from './records.ts';

interface CompiledVariant extends CompiledFormat {
  /** The table's own string: counting by it reuses one cached hash instead of hashing a fresh slice. */
  readonly name: string;
  readonly variant: string;
  readonly fields: readonly string[];
}

const NUMERIC_KINDS: ReadonlySet<ValueKind> = new Set(['int', 'hex']);

function compileTable(): Map<string, readonly CompiledVariant[]> {
  const table = new Map<string, readonly CompiledVariant[]>();
  for (const [name, spec] of Object.entries(EVENT_SPECS)) {
    const declared: Record<string, FieldType> = spec.fields;
    const variants = spec.formats.map((format): CompiledVariant => {
      const compiled = compileFormat(format.fmt);
      if (compiled.kinds.length !== format.fields.length) {
        throw new Error(
          `${name} "${format.fmt}": ${compiled.kinds.length} conversions but fields lists ${format.fields.length}`,
        );
      }
      compiled.kinds.forEach((kind, i) => {
        const field = format.fields[i]!;
        const wantsNumber = declared[field]!.startsWith('num');
        if (wantsNumber !== NUMERIC_KINDS.has(kind)) {
          throw new Error(
            `${name}.${field} is declared ${declared[field]} but "${format.fmt}" prints it as ${kind}`,
          );
        }
      });
      return { ...compiled, name, variant: format.variant, fields: format.fields };
    });
    table.set(name, variants);
  }
  return table;
}

const TABLE = compileTable();

const PID_PREFIX = /^(\d+)@(\d+\.\d+):/;
const ISO_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) +/;
const NAME = /^([a-z][a-z0-9_]*)(?: |$)/;
// `[guest ]program: message`; program names are argv[0]'s basename: qemu-kvm, qemu-system-x86_64, ...
const ERROR = /^(?:(\S+) )?(qemu(?:-[A-Za-z0-9_.]+)*)(?:\(\d+:[^)]*\))?: (.*)$/;

/** What the stateless parser returns: a TraceItem, or a line the reader may join to an error. */
export type ParsedLine = TraceItem | { readonly kind: 'text'; readonly line: number; readonly text: string };

function stripPrefix(text: string): { body: string; prefix: LinePrefix } {
  const first = text.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    const pid = PID_PREFIX.exec(text);
    if (pid !== null) {
      return { body: text.slice(pid[0].length), prefix: { pid: Number(pid[1]), time: pid[2]! } };
    }
    const iso = ISO_PREFIX.exec(text);
    if (iso !== null) return { body: text.slice(iso[0].length), prefix: { time: iso[1]! } };
  }
  return { body: text, prefix: {} };
}

function parseEvent(
  args: string,
  variants: readonly CompiledVariant[],
  line: number,
  raw: string,
  prefix: LinePrefix,
): TraceRecord | undefined {
  for (const variant of variants) {
    const match = variant.regex.exec(args);
    if (match === null) continue;
    const record: Record<string, unknown> = { event: variant.name, line, raw, variant: variant.variant };
    if (prefix.pid !== undefined) record.pid = prefix.pid;
    if (prefix.time !== undefined) record.time = prefix.time;
    const { kinds, fields } = variant;
    for (let i = 0; i < kinds.length; i++) record[fields[i]!] = decodeValue(match[i + 1]!, kinds[i]!);
    return record as unknown as TraceRecord;
  }
  return undefined;
}

export function parseTraceLine(raw: string, line: number): ParsedLine {
  const text = raw.trimStart();
  if (text.trimEnd() === '') return { kind: 'blank', line };
  const { body, prefix } = stripPrefix(text);
  const nameMatch = NAME.exec(body);
  const name = nameMatch?.[1];
  if (name !== undefined) {
    const variants = TABLE.get(name);
    if (variants !== undefined) {
      const record = parseEvent(body.slice(name.length + 1), variants, line, raw, prefix);
      return record === undefined ? { kind: 'misread', line, name, raw } : { kind: 'event', record };
    }
  }
  const error = ERROR.exec(body);
  if (error !== null) {
    const found: ErrorLine = {
      line,
      lastLine: line,
      program: error[2]!,
      message: error[3]!.trimEnd(),
      raw,
      ...prefix,
    };
    return { kind: 'error', error: found };
  }
  // Every trace event name has an underscore; a lone prose word does not make an event.
  if (name?.includes('_')) return { kind: 'unknown-event', line, name };
  return { kind: 'text', line, text: text.trimEnd() };
}

export function isKnownEvent(name: string): name is TraceEventName {
  return TABLE.has(name);
}
