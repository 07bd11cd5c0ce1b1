/**
 * How a mutant is named in mutation/equivalent.json and mutation/hand-kills.json: the short key
 * `file:line:column mutator "replacement"` names every mutant that has it; two mutants can share it
 * (`a || b` -> false and `a` -> false start at one column), so the range key
 * `file:line:column-line:column mutator "replacement"` names exactly one and is looked up first.
 */
export interface Position {
  readonly line: number;
  readonly column: number;
}
export interface Mutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: Position; readonly end: Position };
}

export const keyOf = (file: string, m: Mutant) =>
  `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${JSON.stringify(m.replacement ?? '')}`;

export const rangeKeyOf = (file: string, m: Mutant) =>
  `${file}:${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${JSON.stringify(m.replacement ?? '')}`;

const own = (table: Record<string, string>, key: string) => (Object.hasOwn(table, key) ? table[key] : undefined);

/** The explanation a table gives this mutant: its range key's, else its short key's. */
export const lookup = (table: Record<string, string>, file: string, m: Mutant) =>
  own(table, rangeKeyOf(file, m)) ?? own(table, keyOf(file, m));
