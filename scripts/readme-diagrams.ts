/**
 * Regenerates the statechart diagrams in README.md from machines/index.ts:
 * `npx tsx scripts/readme-diagrams.ts [README path]` (default: README.md next to package.json).
 *
 * Replaces the block between `<!-- machines:begin -->` and `<!-- machines:end -->`, or appends it
 * under `## Statecharts` when the markers are missing; `test/viz/readme-diagrams.test.ts` fails
 * whenever the README is out of date, so run this after changing a machine.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReadmeDiagramsBlock, spliceReadmeDiagrams } from '../src/viz/machines-readme.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const path = resolve(root, process.argv[2] ?? 'README.md');

let readme: string;
try {
  readme = await readFile(path, 'utf8');
} catch (error) {
  // Not created here: the README's prose is written by hand, the script only owns its diagram block.
  console.error(
    `readme-diagrams: cannot read ${path} (${(error as Error).message}); create the README first`,
  );
  process.exit(1);
}

const updated = spliceReadmeDiagrams(readme, renderReadmeDiagramsBlock());
if (updated === readme) {
  console.log(`readme-diagrams: ${path} is up to date`);
} else {
  await writeFile(path, updated);
  console.log(`readme-diagrams: updated ${path}`);
}
