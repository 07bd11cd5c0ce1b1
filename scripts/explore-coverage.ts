/**
 * Writes docs/coverage/<name>.md and .json for every named configuration in examples/explore/,
 * and the index docs/coverage/README.md (npm run coverage:explore): each explored as
 * `viommu-model explore` does by default (its own depth bound, symmetry on). With names as
 * arguments, only those are rewritten (the index always is).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  namedConfigurations,
  renderCoverageIndex,
  renderNamedCoverage,
} from '../src/explore/named-coverage.ts';

const root = join(import.meta.dirname, '..');
const names = namedConfigurations(root);
const wanted = process.argv.slice(2);
for (const name of wanted) if (!names.includes(name)) throw new Error(`no examples/explore/${name}.json`);
mkdirSync(join(root, 'docs/coverage'), { recursive: true });
for (const name of wanted.length === 0 ? names : wanted) {
  const started = Date.now();
  const files = await renderNamedCoverage(root, name);
  writeFileSync(join(root, 'docs/coverage', `${name}.md`), files.markdown);
  writeFileSync(join(root, 'docs/coverage', `${name}.json`), files.json);
  console.log(`docs/coverage/${name}.md, .json (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
writeFileSync(join(root, 'docs/coverage/README.md'), renderCoverageIndex(root, names));
console.log('docs/coverage/README.md');
