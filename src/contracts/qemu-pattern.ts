/**
 * Expected QEMU output with holes: a trace line or an error text as literal parts and slots. A slot
 * stands for a value only the process knows (a file descriptor, a stack pointer): it matches any
 * number in its form, and the same slot name must match the same value every time it appears,
 * until a `fresh` slot (the bind that opens a new device fd) binds it anew.
 */

/** A process-only value: decimal (`%d`, `%u`) or lowercase hex (`%x`, PRIx64, `%p` without its `0x`). */
export interface Slot {
  readonly slot: string;
  readonly form: 'dec' | 'hex';
  /** Binds the name anew here (a value QEMU has just been given), instead of matching the bound one. */
  readonly fresh?: true;
}

export type Part = string | Slot;
export type Pattern = readonly Part[];

/** `p\`iommufd=${FD} id=${7}\``: literals and numbers become text, slots stay holes. */
export function p(strings: TemplateStringsArray, ...values: readonly (Slot | string | number)[]): Pattern {
  const out: Part[] = [];
  strings.forEach((text, i) => {
    if (text !== '') out.push(text);
    if (i >= values.length) return;
    const value = values[i]!;
    out.push(typeof value === 'object' ? value : String(value));
  });
  return out;
}

const FORM: Readonly<Record<Slot['form'], RegExp>> = { dec: /^-?[0-9]+/, hex: /^[0-9a-f]+/ };

/** Matches `pattern` against all of `text` (or, with `anywhere`, a substring); returns the bindings it made. */
export function matchPattern(
  pattern: Pattern,
  text: string,
  bound: ReadonlyMap<string, string>,
  anywhere = false,
): Map<string, string> | undefined {
  const starts = anywhere ? text.length + 1 : 1;
  for (let start = 0; start < starts; start++) {
    const made = matchFrom(pattern, text, start, bound);
    if (made !== undefined && (anywhere || made.end === text.length)) return made.bindings;
  }
  return undefined;
}

function matchFrom(
  pattern: Pattern,
  text: string,
  start: number,
  bound: ReadonlyMap<string, string>,
): { end: number; bindings: Map<string, string> } | undefined {
  const bindings = new Map<string, string>();
  let at = start;
  for (const part of pattern) {
    if (typeof part === 'string') {
      if (!text.startsWith(part, at)) return undefined;
      at += part.length;
      continue;
    }
    const value = FORM[part.form].exec(text.slice(at))?.[0];
    if (value === undefined) return undefined;
    const known = bindings.get(part.slot) ?? (part.fresh === true ? undefined : bound.get(part.slot));
    if (known !== undefined && known !== value) return undefined;
    bindings.set(part.slot, value);
    at += value.length;
  }
  return { end: at, bindings };
}

/** The pattern as the doc and failure messages show it: slots as `<name>`. */
export function showPattern(pattern: Pattern): string {
  return pattern.map((part) => (typeof part === 'string' ? part : `<${part.slot}>`)).join('');
}
