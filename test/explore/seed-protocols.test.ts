/**
 * Exhaustive exploration of the seed-protocol configurations (examples/explore/virtio-iommu-*.json,
 * seed004-*.json): on each old or trusting variant it finds every kept weakness of that variant
 * (test/logs/, the invariant named by the log's "# expect: violation:" line) with a counterexample
 * log no longer than the kept one, and that log replays to the same violation at its last event;
 * on the fixed variants every invariant holds in every reachable state (the searches complete), and
 * so it does for SMMUv3 with accel=on, where two devices share the vSMMU's vIOMMU.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/explore/config.ts';
import { runExplore } from '../../src/explore/run.ts';
import { parseLogText } from '../../src/log/read.ts';

const root = join(import.meta.dirname, '..', '..');
const configOf = (name: string) =>
  parseConfig(readFileSync(join(root, 'examples/explore', `${name}.json`), 'utf8'), name);
const eventsIn = (text: string) => parseLogText(text).filter((item) => item.kind === 'event').length;

interface Kept {
  readonly log: string;
  readonly invariant: string;
  readonly length: number;
}
function kept(name: string): Kept {
  const text = readFileSync(join(root, 'test/logs', `${name}.jsonl`), 'utf8');
  const invariant = /^# expect: violation: (\S+)$/m.exec(text)?.[1];
  if (invariant === undefined) throw new Error(`${name} names no violation`);
  return { log: name, invariant, length: eventsIn(text) };
}

const WEAK: readonly { readonly config: string; readonly kept: readonly string[] }[] = [
  { config: 'virtio-iommu-no-overlap-check', kept: ['virtio-no-overlap-check-overlapping-memreserve'] },
  {
    config: 'virtio-iommu-no-reclaim-check',
    kept: ['virtio-no-reclaim-check-reclaim-after-short-add-table', 'virtio-no-reclaim-check-reclaim-in-use'],
  },
  { config: 'seed004-vtd-qemu-4.1', kept: ['vtd-qemu-4.1-hotplug-exits'] },
  { config: 'seed004-smmuv3-qemu-4.1', kept: ['smmuv3-qemu-4.1-full-replay-stall'] },
];
const FIXED = [
  'virtio-iommu-proposal',
  'seed004-vtd-upstream',
  'seed004-smmuv3-upstream',
  'seed004-smmuv3-seed-fix',
];
/** The longest kept log of these variants, with the prelude's one plug: the bound of every run here. */
const BOUND = 6;

describe('exhaustive exploration of the seed protocols', () => {
  for (const { config, kept: names } of WEAK)
    it(`${config}: finds ${names.join(', ')}, each no longer than its kept log`, async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'explore-seed-'));
      const report = await runExplore(configOf(config), { depth: BOUND, symmetry: true, outDir });
      expect(report.verdict).toBe('violated');
      for (const weakness of names.map(kept)) {
        const found = report.counterexamples.find((c) => c.invariant === weakness.invariant);
        expect(found, `${weakness.log} (${weakness.invariant}) not found`).toBeDefined();
        const text = readFileSync(found!.log, 'utf8');
        expect(eventsIn(text)).toBeLessThanOrEqual(weakness.length);
        const out: string[] = [];
        const code = await main(['replay', found!.log, '--check', '--json'], {
          stdout: (line) => out.push(line),
          stderr: () => {},
        });
        expect(code).toBe(1);
        const steps = out.map((line) => JSON.parse(line)).filter((line) => line.summary === undefined);
        expect(steps).toHaveLength(eventsIn(text));
        expect(JSON.stringify(steps.at(-1).violations)).toContain(weakness.invariant);
        for (const step of steps.slice(0, -1)) expect(step.violations).toEqual([]);
      }
    }, 300_000);

  for (const config of FIXED)
    it(`${config}: every invariant holds in every reachable state`, async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'explore-seed-'));
      const report = await runExplore(configOf(config), { depth: BOUND, symmetry: true, outDir });
      expect(report.counterexamples).toEqual([]);
      expect(report.verdict).toBe('holds');
      expect(report.states).toBeGreaterThan(10);
      // complete: every reachable state is seen (virtio-iommu's memreserve ids are keyed by rank)
      expect(report.complete).toBe(true);
    }, 300_000);

  it('seed004-smmuv3-accel: a second device joins the vIOMMU, every invariant holds, explored completely', async () => {
    // Unbounded: accel=on plugs succeed, so its states go deeper than BOUND (9 levels).
    const outDir = mkdtempSync(join(tmpdir(), 'explore-seed-'));
    const report = await runExplore(configOf('seed004-smmuv3-accel'), { symmetry: true, outDir });
    expect(report.counterexamples).toEqual([]);
    expect(report.verdict).toBe('holds');
    expect(report.complete).toBe(true);
    const vsmmu = report.coverage.machines.find((machine) => machine.machine === 'smmuVsmmu')!;
    const taken = (event: string) => vsmmu.edges.find((edge) => edge.event === event)?.taken ?? 0;
    // the last device to leave frees the vIOMMU
    for (const event of ['vsmmu.alloc', 'vsmmu.device-remove', 'vsmmu.free'])
      expect(taken(event), event).toBeGreaterThan(0);
    // A step that allocates the vIOMMU also adds its first device: more adds than allocs means
    // later devices joined the vIOMMU another device allocated.
    expect(taken('vsmmu.device-add')).toBeGreaterThan(taken('vsmmu.alloc'));
  }, 300_000);

  it('the seed-004 configurations refuse a platform field the log format refuses, naming it', () => {
    const bad = JSON.stringify({
      explore: 1,
      model: 'vfio-plug',
      platform: { viommu: 'arm-smmuv3', accel: 'yes' },
      devices: ['dev0'],
    });
    expect(() => parseConfig(bad, 'bad')).toThrow(/platform\.accel/);
    const badChunk = JSON.stringify({
      explore: 1,
      model: 'virtio-iommu',
      variant: 'proposal',
      devices: ['nic0'],
      memreserve: [{ gpa: 'nowhere', size: 4096 }],
    });
    expect(() => parseConfig(badChunk, 'bad')).toThrow(/memreserve\[0\]\.gpa/);
  });
});
