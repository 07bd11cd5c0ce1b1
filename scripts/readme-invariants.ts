/** Regenerates the invariant table in README.md (`npm run readme`); test/readme.test.ts checks it is current. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spliceInvariantTable } from '../src/invariants/readme-table.ts';

const path = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const readme = readFileSync(path, 'utf8');
const updated = spliceInvariantTable(readme);
if (updated !== readme) writeFileSync(path, updated);
console.log(`readme-invariants: ${updated === readme ? 'up to date' : 'updated'} ${path}`);
