/**
 * README.md shows the current statecharts: its block between the machines markers must be exactly
 * what `renderReadmeDiagramsBlock()` makes now. Plus the splice rules the script relies on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allMachines } from '../../machines/index.ts';
import {
  findReadmeDiagramsBlock,
  README_BEGIN,
  README_COMMAND,
  README_END,
  README_HEADING,
  renderReadmeDiagramsBlock,
  spliceReadmeDiagrams,
} from '../../src/viz/machines-readme.ts';

const readmeUrl = new URL('../../README.md', import.meta.url);

describe('README statechart block', () => {
  it('README.md holds the diagrams of the machines registered now', () => {
    const readme = existsSync(readmeUrl) ? readFileSync(readmeUrl, 'utf8') : '';
    const current = findReadmeDiagramsBlock(readme);
    expect(
      current,
      `README.md has no ${README_BEGIN} ... ${README_END} block; run \`${README_COMMAND}\``,
    ).not.toBeNull();
    expect(current, `README.md diagrams are stale; run \`${README_COMMAND}\``).toBe(
      renderReadmeDiagramsBlock(),
    );
  });

  it('renders one headed mermaid block per registered machine', () => {
    const block = renderReadmeDiagramsBlock();
    expect(block.startsWith(README_BEGIN)).toBe(true);
    expect(block.endsWith(README_END)).toBe(true);
    expect(block.match(/^```mermaid$/gm)).toHaveLength(allMachines.length);
    for (const { spec } of allMachines) expect(block).toContain(`### \`${spec.id}\`: ${spec.description}\n`);
  });
});

describe('spliceReadmeDiagrams', () => {
  const block = `${README_BEGIN}\nnew\n${README_END}`;

  it('replaces only the text between the markers', () => {
    const readme = `# T\n\nintro\n\n${README_BEGIN}\nold $& $1\n${README_END}\n\n## After\n`;
    expect(spliceReadmeDiagrams(readme, block)).toBe(`# T\n\nintro\n\n${block}\n\n## After\n`);
  });

  it('appends the block under the Statecharts heading when there are no markers', () => {
    expect(spliceReadmeDiagrams('# T\n\nintro\n\n', block)).toBe(
      `# T\n\nintro\n\n${README_HEADING}\n\n${block}\n`,
    );
  });

  it('is idempotent', () => {
    const once = spliceReadmeDiagrams('# T\n', block);
    expect(spliceReadmeDiagrams(once, block)).toBe(once);
  });

  it('refuses a README with a lone marker rather than guess', () => {
    expect(() => spliceReadmeDiagrams(`# T\n${README_BEGIN}\n`, block)).toThrow(/fix or remove the markers/);
    expect(() => spliceReadmeDiagrams(`${README_END}\n${README_BEGIN}\n`, block)).toThrow(/wrong order/);
  });
});
