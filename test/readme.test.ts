/** The README's generated parts are current, and its two commands name scripts that exist. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderInvariantTable } from '../src/invariants/readme-table.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<
  string,
  string
>;

describe('README', () => {
  it('holds the current invariant table (run `npm run readme` after changing an invariant)', () => {
    expect(readme).toContain(renderInvariantTable());
  });

  it('gives the demo and test commands, and package.json defines them', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
    expect(scripts.demo).toBeDefined();
    expect(scripts.test).toBeDefined();
  });

  it('.ci/run calls the README test command', () => {
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
