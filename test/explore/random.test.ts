/**
 * `explore CONFIG --random`: random walks over a configuration's alphabet, shrunk by fast-check.
 * On upstream SMMUv3 it fails with a log that replays to the violation at its last event and is no
 * shorter than the breadth-first counterexample; on fixed every walk holds; the same seed gives the
 * same walk; random-only and exhaustive-only options are refused with exit 2.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/explore/config.ts';
import { runRandom } from '../../src/explore/random.ts';
import { runExplore } from '../../src/explore/run.ts';

const root = join(import.meta.dirname, '..', '..');
const path = (name: string) => join(root, 'examples/explore', `${name}.json`);
const configOf = (name: string) => parseConfig(readFileSync(path(name), 'utf8'), name);
const temp = () => mkdtempSync(join(tmpdir(), 'explore-random-cli-'));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('explore --random', () => {
  it('upstream SMMUv3: exit 1 with a shrunk log that replays to the violation, no shorter than BFS', async () => {
    const dir = temp();
    const result = await run([
      'explore',
      path('smmuv3-upstream'),
      '--random',
      '--runs',
      '300',
      '--seed',
      '7',
      '--out',
      dir,
      '--json',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out);
    expect(report.mode).toBe('random');
    expect(report.verdict).toBe('violated');
    const found = report.counterexamples[0];
    const replay = await run(['replay', found.log, '--check', '--json']);
    expect(replay.code).toBe(1);
    const steps = replay.out
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => line.summary === undefined);
    expect(steps.at(-1).violations.map((v: { invariant: string }) => v.invariant)).toContain(found.invariant);
    for (const step of steps.slice(0, -1)) expect(step.violations).toEqual([]);
    expect(steps).toHaveLength(found.length + 1); // the cold plug of nic0 comes first
    const shortest = await runExplore(configOf('smmuv3-upstream'), {
      depth: found.length,
      symmetry: true,
      outDir: temp(),
    });
    const bfs = shortest.counterexamples.find((c) => c.invariant === found.invariant)!;
    expect(found.length).toBeGreaterThanOrEqual(bfs.length);
    expect(readFileSync(found.html, 'utf8')).toContain('viewer-data');
    expect(readFileSync(found.mermaid, 'utf8').length).toBeGreaterThan(0);
  }, 300_000);

  it('the same seed gives the same counterexample; every walk holds on fixed', async () => {
    const options = { runs: 300, steps: 60, seed: 3, outDir: temp() };
    const first = await runRandom(configOf('vtd-upstream'), options);
    const again = await runRandom(configOf('vtd-upstream'), { ...options, outDir: temp() });
    expect(first.verdict).toBe('violated');
    expect(again.counterexamples.map((c) => c.labels)).toEqual(first.counterexamples.map((c) => c.labels));
    const fixed = await runRandom(configOf('smmuv3-fixed'), { ...options, runs: 200 });
    expect(fixed.verdict).toBe('holds');
    expect(fixed.walks).toBe(200);
    expect(fixed.events).toBeGreaterThan(200);
    const toy = await runRandom(configOf('toy-k6-h3'), { ...options, runs: 100 });
    expect(toy.verdict).toBe('holds');
    expect(toy.events).toBeGreaterThan(100);
  }, 300_000);

  it('refuses mixed or bad options with exit 2 and nothing on stdout', async () => {
    for (const args of [
      ['--random', '--depth', '3'],
      ['--random', '--no-symmetry'],
      ['--runs', '10'],
      ['--random', '--seed', '-1'],
      ['--random', '--steps', 'many'],
    ]) {
      const result = await run(['explore', path('toy-k6-h3'), ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.out).toBe('');
      expect(result.err).toMatch(/--(depth|no-symmetry|runs|seed|steps)/);
    }
  });
});
