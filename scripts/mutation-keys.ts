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

const own = (table: Record<string, string>, key: string) =>
  Object.hasOwn(table, key) ? table[key] : undefined;

/** The explanation a table gives this mutant: its range key's, else its short key's. */
export const lookup = (table: Record<string, string>, file: string, m: Mutant) =>
  own(table, rangeKeyOf(file, m)) ?? own(table, keyOf(file, m));

/** The source with the mutant's replacement over its range (lines and columns 1-based, end exclusive). */
export function withMutant(source: string, m: Mutant): string {
  const lines = source.split('\n');
  const offset = (p: Position) =>
    lines.slice(0, p.line - 1).reduce((sum, l) => sum + l.length + 1, 0) + p.column - 1;
  return (
    source.slice(0, offset(m.location.start)) + (m.replacement ?? '') + source.slice(offset(m.location.end))
  );
}

/**
 * The keys of a table that name no mutant of the files the report holds: the source moved under
 * them since they were written (a later run re-keys them, or they go).
 */
export function staleKeys(
  table: Record<string, string>,
  files: Record<string, { readonly mutants: readonly Mutant[] }>,
) {
  const known = new Set<string>();
  for (const [file, { mutants }] of Object.entries(files))
    for (const m of mutants) known.add(keyOf(file, m)).add(rangeKeyOf(file, m));
  const reported = Object.keys(files);
  return Object.keys(table).filter((key) => reported.some((f) => key.startsWith(`${f}:`)) && !known.has(key));
}
