/**
 * Exhaustive exploration of the named VT-d configurations finds every upstream weakness that the
 * VT-d properties find (properties/vtd-weaknesses.ts), each with a counterexample no longer than
 * the kept shrunk log (test/logs/vtd-upstream-*.jsonl); the written log replays to the same
 * violation at its last event; the fixed variant holds everywhere within the same bound. The bound
 * here is the longest kept log (9 events), to keep the suite fast; the complete runs are in
 * bench/explore.bench.ts and the README.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEAKNESSES } from '../../properties/vtd-weaknesses.ts';
import { main } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/explore/config.ts';
import { runExplore } from '../../src/explore/run.ts';
import { parseLogText } from '../../src/log/read.ts';

const root = join(import.meta.dirname, '..', '..');
const configOf = (name: string) =>
  parseConfig(readFileSync(join(root, 'examples/explore', `${name}.json`), 'utf8'), name);
const keptLength = (name: string): number =>
  parseLogText(readFileSync(join(root, 'test/logs', `vtd-upstream-${name}.jsonl`), 'utf8')).filter(
    (item) => item.kind === 'event',
  ).length;
const BOUND = Math.max(...WEAKNESSES.map((weakness) => keptLength(weakness.name)));

describe('exhaustive VT-d exploration', () => {
  it(`finds every upstream weakness within ${BOUND} events, no longer than its kept log`, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'explore-vtd-'));
    const report = await runExplore(configOf('vtd-upstream'), { depth: BOUND, symmetry: true, outDir });
    expect(report.verdict).toBe('violated');
    for (const weakness of WEAKNESSES) {
      const found = report.counterexamples.find((c) => c.invariant === weakness.invariant);
      expect(found, `${weakness.name} (${weakness.invariant}) not found`).toBeDefined();
      expect(found!.length).toBeLessThanOrEqual(keptLength(weakness.name));
      // The written log is a log: replay --check stops at its last event with that invariant.
      const out: string[] = [];
      const code = await main(['replay', found!.log, '--check', '--json'], {
        stdout: (text) => out.push(text),
        stderr: () => {},
      });
      expect(code).toBe(1);
      const steps = out.map((line) => JSON.parse(line)).filter((line) => line.summary === undefined);
      expect(steps).toHaveLength(found!.length);
      expect(JSON.stringify(steps.at(-1))).toContain(weakness.invariant);
      for (const step of steps.slice(0, -1)) expect(step.violations).toEqual([]);
    }
  }, 600_000);

  it(`holds everywhere on the fixed variant within ${BOUND} events`, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'explore-vtd-'));
    const report = await runExplore(configOf('vtd-fixed'), { depth: BOUND, symmetry: true, outDir });
    expect(report.counterexamples).toEqual([]);
    expect(report.verdict).toBe('holds');
    expect(report.states).toBeGreaterThan(1000);
    const pasid = report.coverage.machines.find((machine) => machine.machine === 'pasidEntry')!;
    expect(pasid.used).toBe(true);
    expect(pasid.edges.some((edge) => edge.taken > 0)).toBe(true);
  }, 600_000);
});
