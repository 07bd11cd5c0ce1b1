/**
 * Compiles a QEMU trace-events format string (the text between the outer quotes, with the
 * `"PRIx64"` splices left in, as in `hw/i386/trace-events`) into a regex and a decoder per
 * conversion, so the event table can hold the formats verbatim and be checked against the source.
 * Mirrors: scripts/tracetool/backend/log.py (`qemu_log("<name> " fmt "\n", ...)`).
 */

/** How one conversion's text becomes a value. 64-bit hex stays a `0x…` string (beyond 2^53). */
export type ValueKind = 'int' | 'hex' | 'hex64' | 'ptr' | 'str';
export type TraceValue = number | string;

export interface CompiledFormat {
  readonly source: string;
  readonly regex: RegExp;
  readonly kinds: readonly ValueKind[];
}

// `%"PRIx64"` (closing quote optional: a format may end on the macro), `%02x`, `%ld`, `%zx`, `%p`, `%s`.
const CONVERSION = /%%|%-?\d*(?:"PRI([duxX])(8|16|32|64)"?|(?:ll|l|z|hh|h)?([diuxXps]))/g;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function conversion(letter: string, wide: boolean): { pattern: string; kind: ValueKind } {
  switch (letter) {
    case 'd':
    case 'i':
      return { pattern: '(-?\\d+)', kind: 'int' };
    case 'u':
      return { pattern: '(\\d+)', kind: 'int' };
    case 'x':
    case 'X':
      return { pattern: '([0-9a-fA-F]+)', kind: wide ? 'hex64' : 'hex' };
    case 'p':
      return { pattern: '(0x[0-9a-fA-F]+|\\(nil\\))', kind: 'ptr' };
    case 's':
      return { pattern: '(.*?)', kind: 'str' };
    default:
      throw new Error(`unsupported conversion %${letter} in a trace format: add it to src/trace/format.ts`);
  }
}

/**
 * A leading space in the format (every `iommufd_*` event) is matched as optional, so a line whose
 * double space a mail client collapsed still parses; trailing whitespace is ignored for the same reason.
 */
export function compileFormat(source: string): CompiledFormat {
  const kinds: ValueKind[] = [];
  let pattern = '';
  let last = 0;
  const body = source.startsWith(' ') ? source.slice(1) : source;
  for (const match of body.matchAll(CONVERSION)) {
    pattern += escapeRegex(body.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[0] === '%%') {
      pattern += '%';
      continue;
    }
    const letter = match[1] ?? match[3]!;
    const wide = match[2] === '64' || /ll|l|z/.test(match[0]);
    const { pattern: part, kind } = conversion(letter, wide);
    pattern += part;
    kinds.push(kind);
  }
  pattern += escapeRegex(body.slice(last));
  const lead = source.startsWith(' ') ? ' ?' : '';
  return { source, regex: new RegExp(`^${lead}${pattern.trimEnd()}\\s*$`), kinds };
}

export function decodeValue(text: string, kind: ValueKind): TraceValue {
  switch (kind) {
    case 'int':
      return Number.parseInt(text, 10);
    case 'hex':
      return Number.parseInt(text, 16);
    case 'hex64':
      return `0x${text.toLowerCase().replace(/^0+(?=.)/, '')}`;
    case 'ptr':
    case 'str':
      return text;
    default:
      return kind satisfies never;
  }
}
