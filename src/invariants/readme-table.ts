/**
 * The README's invariant table (name, sentence, source), generated from the registry between
 * `<!-- invariants:begin -->` and `<!-- invariants:end -->` so it can never list a stale set.
 */
import { allInvariants } from './index.ts';

export const INVARIANTS_BEGIN = '<!-- invariants:begin -->';
export const INVARIANTS_END = '<!-- invariants:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderInvariantTable(): string {
  const rows = allInvariants.map(
    (inv) => `| \`${inv.name}\` | ${cell(inv.sentence)} | ${cell(inv.source)} |`,
  );
  return [
    INVARIANTS_BEGIN,
    '<!-- Generated from src/invariants/index.ts by `npm run readme`; edit the invariants, not this table. -->',
    '',
    '| name | rule | source |',
    '|---|---|---|',
    ...rows,
    '',
    INVARIANTS_END,
  ].join('\n');
}

export function spliceInvariantTable(readme: string): string {
  const begin = readme.indexOf(INVARIANTS_BEGIN);
  const end = readme.indexOf(INVARIANTS_END, begin);
  if (begin < 0 || end < 0)
    throw new Error(
      `README.md lacks ${INVARIANTS_BEGIN} ... ${INVARIANTS_END}; add the markers where the table goes`,
    );
  return readme.slice(0, begin) + renderInvariantTable() + readme.slice(end + INVARIANTS_END.length);
}
