/**
 * The README's statechart section: one Mermaid diagram per registered machine, between the markers
 * `<!-- machines:begin -->` and `<!-- machines:end -->`.
 *
 * Pure functions only, so `scripts/readme-diagrams.ts` (which writes README.md) and
 * `test/viz/readme-diagrams.test.ts` (which fails when README.md is stale) share one definition.
 */
import { allMachines } from '../../machines/index.ts';
import { machineToMermaid } from './machines-mermaid.ts';

export const README_BEGIN = '<!-- machines:begin -->';
export const README_END = '<!-- machines:end -->';
export const README_HEADING = '## Statecharts';
export const README_COMMAND = 'npx tsx scripts/readme-diagrams.ts';

/** The whole block, markers included, for the machines registered in machines/index.ts. */
export function renderReadmeDiagramsBlock(): string {
  const parts = [
    README_BEGIN,
    `<!-- Generated from machines/index.ts by \`${README_COMMAND}\`; edit the machines, not this block. -->`,
  ];
  for (const defined of allMachines) {
    parts.push(
      '',
      `### \`${defined.spec.id}\`: ${defined.spec.description}`,
      '',
      '```mermaid',
      machineToMermaid(defined).trimEnd(),
      '```',
    );
  }
  parts.push('', README_END);
  return parts.join('\n');
}

/** The block currently in a README (markers included), or null when it has no complete pair. */
export function findReadmeDiagramsBlock(readme: string): string | null {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END, begin);
  if (begin < 0 || end < 0) return null;
  return readme.slice(begin, end + README_END.length);
}

/**
 * The README with `block` in place of the current one; without markers, the block is appended under
 * `## Statecharts`. A lone marker is a hand edit gone wrong, so it throws rather than guess.
 */
export function spliceReadmeDiagrams(readme: string, block: string): string {
  const current = findReadmeDiagramsBlock(readme);
  if (current !== null) return readme.replace(current, () => block);
  if (readme.includes(README_BEGIN) || readme.includes(README_END)) {
    throw new Error(
      `README.md has only one of ${README_BEGIN} / ${README_END} (or they are in the wrong order); ` +
        'fix or remove the markers, then run the script again',
    );
  }
  const body = readme.trimEnd();
  return `${body}${body.length > 0 ? '\n\n' : ''}${README_HEADING}\n\n${block}\n`;
}
