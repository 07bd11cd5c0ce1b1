/**
 * The host calls of one PASID-cache sync on the PASID series (`pasid-bits` 4), from
 * hw/i386/intel_iommu_accel.c vtd_accel_pasid_cache_sync at mst/qemu pci 31dbba011d0f: per host
 * device, the removal pass (vtd_accel_pasid_cache_invalidate: vtd_accel_delete_pc, a detach) runs to
 * its end before the table walk (vtd_accel_replay_pasid_bind_for_dev: vtd_accel_fill_pc, an attach),
 * and the walk goes up from PASID 0, one fill per PASID; the walk ends at MIN(1 << s->pasid,
 * dev_max_pasid), so a global or domain sync (and a context-cache flush, a global one) calls nothing at
 * a PASID of 2^pasid-bits or more, and a device bound without PASID support (max_pasid_log2 0:
 * dev_max_pasid 1) nothing at a PASID other than 0 (its removal pass finds only what its walks cached).
 * A PASID-selective sync walks its own [pasid, pasid + 1) instead (start and end replaced, not
 * clipped by 1 << s->pasid), then MIN with dev_max_pasid (1 << max_pasid_log2: 2^20 for a device
 * bound with PASID, as the model's kernel gives it) and the context entry's PASID-directory size
 * (PDTS, which the model does not hold: the guest's directory is taken to cover what it wrote). QEMU
 * text: hw/i386/intel_iommu_accel.c as stored for yiliu1765/qemu (file 2b020c748d) and
 * patchew-project/qemu (05213a667), the same functions as the series named above.
 * Inside a sync TE=1 and the root is scalable, so a removal is always a detach (never the RID's
 * reattach of the default HWPT). Generated logs with injected failures (vtd-series-walk-logs.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent, World } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { RECOVERABLE_FAILURES } from './vtd-arbitraries.ts';
import { entriesOf, type Flush, readable, skippedBy } from './vtd-flush-scope.ts';
import { PASID_BITS, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { rewrittenThenSynced, vtdSeriesWalkLog } from './vtd-series-walk-logs.ts';
import { vtdView } from './vtd-view.ts';

const FILE = 'properties/vtd-series-walk.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));
const DIRECTED_RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));
const HEADER: Header = vtdPasidHeader;
const END = 2 ** PASID_BITS;
/** dev_max_pasid of a device bound with PASID: 1 << max_pasid_log2, 20 (the kernel's max_pasids). */
const DEV_MAX_PASID = 2 ** 20;

/** vtd_accel_pasid_cache_sync's end for this sync: a PASID-selective one is not clipped at 2^pasid-bits. */
const endOf = (event: Flush): number =>
  event.type === 'vtd.inv.pasid_cache' && event.granularity === 'pasid' ? DEV_MAX_PASID : END;

/** What the checks met: a walk of two PASIDs or more, a removal before a walk, readable entries QEMU's walk must skip. */
type Met =
  | 'walk-order'
  | 'removal-then-walk'
  | 'past-end'
  | 'selective-past-end'
  | 'not-capable'
  | 'removed'
  | 'filled';
const MET: readonly Met[] = [
  'walk-order',
  'removal-then-walk',
  'past-end',
  'selective-past-end',
  'not-capable',
  'removed',
  'filled',
];

const isSync = (event: LogEvent): event is Flush =>
  event.type === 'vtd.inv.pasid_cache' || event.type === 'vtd.inv.context_cache';

/** The devices QEMU holds and whether each was bound PASID-capable (the core's list). */
function capableDevices(world: World): Map<string, boolean> {
  const core = world.vmm?.core as unknown as { devices: readonly { dev: string; pasid?: boolean }[] };
  return new Map(core.devices.map((d) => [d.dev, d.pasid === true]));
}

/**
 * The first entry of a host device the sync covers (QEMU's filters, vtd-flush-scope.ts) that does not
 * end as QEMU leaves it: removed when its guest entry can no longer be read (vtd_accel_delete_pc, even
 * when the detach failed), else, within the walk (a PASID below its end, of a PASID-capable device or
 * the RID), cached as the guest's entry (vtd_accel_fill_pc stores it before the attach); past the walk
 * or at a PASID other than 0 of a device without PASID support, left as it was.
 */
function wrongEntry(before: World, after: World, event: Flush, meet: (met: Met) => void): string | null {
  const was = vtdView(before)!;
  if (!was.dmarEnabled || !was.rootScalable) return null; // vtd_pasid_cache_sync returns
  const capable = capableDevices(before);
  const end = endOf(event);
  const now = entriesOf(vtdView(after)!);
  for (const { dev, contextPresent, slot } of entriesOf(was)) {
    if (!capable.has(dev) || skippedBy(was, dev, contextPresent, slot, event) !== null) continue;
    const pe = readable(was, contextPresent, slot.pasid.context.guest);
    const walked = slot.pasidId === 0 || (capable.get(dev) === true && slot.pasidId < end);
    if (pe !== null && walked && end !== END && slot.pasidId >= END) meet('selective-past-end');
    const left = now.find((e) => e.dev === dev && e.slot.pasidId === slot.pasidId)!.slot.pasid;
    // Past the walk a readable entry is left as it was (a selective sync may have cached it there).
    const kept = slot.pasid.value === 'valid' ? slot.pasid.context.cached : null;
    const want = pe === null ? null : walked ? pe : kept;
    const have = left.value === 'valid' ? left.context.cached : null;
    if (!isDeepStrictEqual(want, have) && (want !== null || slot.pasid.value === 'valid' || have !== null))
      return `${dev} PASID ${slot.pasidId}: cached ${JSON.stringify(have)}, QEMU's sync leaves ${JSON.stringify(want)}`;
    if (slot.pasid.value === 'valid' && want === null) meet('removed');
    if (want !== null && !isDeepStrictEqual(slot.pasid.context.cached, want)) meet('filled');
  }
  return null;
}

/** The first sync whose host calls break the walk's order or range, in words; what was met is tallied. */
function firstWrongCall(events: readonly LogEvent[], tally: Map<Met, number>): string | null {
  const meet = (met: Met) => tally.set(met, (tally.get(met) ?? 0) + 1);
  for (const { index, event, step, before, world } of stepsUntilQemuExits(HEADER, events, isSync)) {
    if (before === null || !isSync(event)) continue;
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    const entry = wrongEntry(before, world(), event, meet);
    if (entry !== null) return `${where}: ${entry}`;
    const capable = capableDevices(before);
    const ranged = endOf(event) === END;
    const vtd = vtdView(before)!;
    if (vtd.dmarEnabled && vtd.rootScalable)
      for (const { dev, contextPresent, slot } of entriesOf(vtd)) {
        if (slot.pasidId === 0 || !capable.has(dev)) continue;
        if (readable(vtd, contextPresent, slot.pasid.context.guest) === null) continue;
        if (ranged && slot.pasidId >= END) meet('past-end');
        if (capable.get(dev) === false) meet('not-capable');
      }
    const lastAttach = new Map<string, number>();
    const detached = new Set<string>();
    for (const { op } of step.outcome.hostOps) {
      if (op.type !== 'vfio.attach' && op.type !== 'vfio.detach') continue;
      const pasid = op.pasid ?? 0;
      const call = `${JSON.stringify(op)}`;
      if (pasid !== 0 && capable.get(op.dev) !== true)
        return `${where}: ${call} at a PASID other than 0 of a device bound without PASID support`;
      // The removal pass has no range (a selective sync may have cached past the end): fills only.
      if (op.type === 'vfio.attach' && pasid >= endOf(event))
        return `${where}: ${call} at PASID ${pasid}, past the walk's end ${endOf(event)}`;
      const last = lastAttach.get(op.dev);
      if (op.type === 'vfio.detach') {
        if (last !== undefined) return `${where}: ${call} after the walk attached PASID ${last}`;
        detached.add(op.dev);
        continue;
      }
      if (last !== undefined) {
        if (pasid <= last) return `${where}: ${call} after the walk attached PASID ${last}`;
        meet('walk-order');
      }
      if (last === undefined && detached.has(op.dev)) meet('removal-then-walk');
      lastAttach.set(op.dev, pasid);
    }
  }
  return null;
}

/** The property over `logs`: the first sync that breaks the walk fails it, shrunk, with how to repeat it. */
function checkSyncs(logs: fc.Arbitrary<LogEvent[]>, runs: number, seed: number): Map<Met, number> {
  const tally = new Map<Met, number>();
  let found: string | null = null;
  const details = fc.check(
    fc.property(logs, (log) => {
      found = firstWrongCall(log, tally);
      return found === null;
    }),
    { numRuns: runs, seed: propertySeed(seed) },
  );
  if (details.failed && details.counterexample !== null) {
    const message = firstWrongCall(details.counterexample[0], new Map());
    expect.fail(`${message ?? found}\n${repeatWith(details.seed, FILE)}`);
  }
  console.log(`series walk: ${MET.map((met) => `${met} ${tally.get(met) ?? 0}`).join(', ')}`);
  return tally;
}

describe("pasid-series: one sync's host calls follow QEMU's removal pass and table walk", () => {
  it('generated logs: removals before the walk, the walk up from PASID 0 and within its end, no PASID for a device without', () => {
    const tally = checkSyncs(vtdSeriesWalkLog(RECOVERABLE_FAILURES), RUNS, 16401);
    // The ranges must have been met, or their checks compared nothing (every run needed).
    if (!runsScaled())
      for (const met of ['past-end', 'not-capable'] as const)
        expect(tally.get(met) ?? 0, met).toBeGreaterThan(RUNS / 50);
    // A PASID-selective sync of an entry at 2^pasid-bits or more binds it (issue 16c): every run needed.
    if (!runsScaled()) expect(tally.get('selective-past-end') ?? 0, 'selective-past-end').toBeGreaterThan(0);
  });

  it('entries cached, then cleared, rewritten or added in another order before one sync: the same', () => {
    const tally = checkSyncs(rewrittenThenSynced, DIRECTED_RUNS, 16402);
    // Also under the mutation profile: the cases this test exists for must be met (its syncs are not selective).
    for (const met of MET)
      if (met !== 'selective-past-end') expect(tally.get(met) ?? 0, met).toBeGreaterThan(0);
  });
});
