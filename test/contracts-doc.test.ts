/** docs/contracts.md is the current rendering of src/contracts/, and every contract row names its kernel source. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderContractsDoc } from '../src/contracts/doc.ts';
import { CONTRACTS } from '../src/contracts/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('operation contracts document', () => {
  it('docs/contracts.md is current (run `npm run docs:contracts` after changing a contract)', () => {
    expect(readFileSync(join(root, 'docs', 'contracts.md'), 'utf8')).toBe(renderContractsDoc());
  });

  it('every row names a kernel source file and function', () => {
    for (const contract of Object.values(CONTRACTS))
      for (const row of contract.rows) expect(row.source, `${contract.op}: ${row.when}`).toMatch(/\.c /);
  });
});
