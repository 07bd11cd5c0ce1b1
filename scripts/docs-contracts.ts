/** Regenerates docs/contracts.md from src/contracts/ (`npm run docs:contracts`); test/contracts-doc.test.ts checks it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderContractsDoc } from '../src/contracts/doc.ts';

const path = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'contracts.md');
const current = (() => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
})();
const updated = renderContractsDoc();
if (updated !== current) writeFileSync(path, updated);
console.log(`docs-contracts: ${updated === current ? 'up to date' : 'updated'} ${path}`);
