/**
 * The same log gives byte-identical `replay --json --trace`, `viz replay --format html` and
 * `viz machines` output (mermaid, dot, svg, json) across runs, working directories, time zones
 * and locales: each run is a child process with its own cwd and environment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = join(ROOT, 'test/untrusted/determinism-run.ts');
const LOG = join(ROOT, 'examples/vtd-hot-unplug.jsonl');
// tsx's own command (from its package.json), so a child in any cwd finds it.
const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
const TSX = join(tsxPackage, '..', (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { bin: string }).bin);
const out = mkdtempSync(join(tmpdir(), 'viommu-determinism-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ENVIRONMENTS = [
  { cwd: ROOT, TZ: 'UTC', LANG: 'C', LC_ALL: 'C' },
  { cwd: ROOT, TZ: 'UTC', LANG: 'C', LC_ALL: 'C' }, // the same again: runs agree with each other
  { cwd: tmpdir(), TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' },
  { cwd: '/', TZ: 'America/St_Johns', LANG: 'ja_JP.UTF-8', LC_ALL: 'de_DE.UTF-8' },
];

function outputsIn(environment: (typeof ENVIRONMENTS)[number]): Record<string, string> {
  const { cwd, ...vars } = environment;
  const result = spawnSync(process.execPath, [TSX, RUNNER, LOG, out], {
    cwd,
    env: { ...process.env, ...vars, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`runner failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('determinism', () => {
  it('every output is byte-identical in every environment', () => {
    const [first, ...rest] = ENVIRONMENTS.map(outputsIn);
    expect(Object.keys(first!)).toEqual(
      expect.arrayContaining([
        'replay --json --trace',
        'replay.html',
        'machines/hwpt.svg',
        'machines/hwpt.mmd',
      ]),
    );
    expect(first!['replay --json --trace']).toContain('"trace":["');
    for (const [index, outputs] of rest.entries())
      for (const name of Object.keys(first!))
        expect(outputs[name], `${name} in environment ${index + 2}`).toBe(first![name]);
  }, 300_000);
});
