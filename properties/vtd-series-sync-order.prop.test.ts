/**
 * Every way one PASID-cache sync on the PASID series (`pasid-bits` 4) can meet the RID and two PASIDs
 * of one PASID-capable device, enumerated (the random logs of vtd-series-walk line them up only at
 * full runs): each entry absent or cached, then kept, cleared or rewritten, the PASIDs' slots made in
 * either order. QEMU's host calls, from hw/i386/intel_iommu_accel.c vtd_accel_pasid_cache_sync at
 * mst/qemu pci 31dbba011d0f: the removal pass (vtd_accel_pasid_cache_invalidate, one detach per cached
 * entry whose guest copy is gone: vtd_accel_delete_pc) runs to its end before the table walk
 * (vtd_accel_replay_pasid_bind_for_dev), which goes up from PASID 0 and attaches each entry newly
 * cached or differing from its cached copy (vtd_accel_fill_pc), in PASID order whatever order the
 * guest wrote them in; an entry kept as cached calls nothing. So the calls are exactly those detaches,
 * then those attaches in ascending PASID order.
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { fstEntry, type PasidEntry, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';

type Entry = PasidEntry;
type Change = 'keep' | 'clear' | 'rewrite';

const FIRST = fstEntry('0x1000');
const SECOND = fstEntry('0x2000');
const CHANGES: readonly Change[] = ['keep', 'clear', 'rewrite'];
const GLOBAL: LogEvent = { type: 'vtd.inv.pasid_cache', granularity: 'global' };

interface Case {
  /** The PASIDs in the order the guest first writes them (0 is the RID's entry, written first). */
  readonly order: readonly number[];
  readonly cached: ReadonlyMap<number, boolean>;
  readonly change: ReadonlyMap<number, Change>;
}

/** The RID, then PASIDs 3 and 5 in either order; each cached or not, then kept, cleared or rewritten. */
function* cases(): Generator<Case> {
  for (const order of [
    [0, 3, 5],
    [0, 5, 3],
  ])
    for (let bits = 0; bits < 8; bits++)
      for (let draw = 0; draw < 27; draw++) {
        const cached = new Map(order.map((pasid, i) => [pasid, ((bits >> i) & 1) === 1]));
        const change = new Map(order.map((pasid, i) => [pasid, CHANGES[Math.floor(draw / 3 ** i) % 3]!]));
        yield { order, cached, change };
      }
}

function logOf({ order, cached, change }: Case): LogEvent[] {
  const write = (pasid: number, e: Entry): LogEvent => ({
    type: 'vtd.pasid_entry',
    dev: 'nic0',
    pasid,
    entry: e,
  });
  const events: LogEvent[] = [
    { type: 'vfio.plug', dev: 'nic0', hotplug: true, pasid: true },
    { type: 'vtd.root_table', scalable: true },
    { type: 'vtd.context_entry', dev: 'nic0', present: true },
    { type: 'vtd.translation', enable: true },
  ];
  for (const pasid of order) if (cached.get(pasid)) events.push(write(pasid, FIRST));
  events.push(GLOBAL);
  for (const pasid of order) {
    const next = change.get(pasid)!;
    if (next !== 'keep') events.push(write(pasid, next === 'clear' ? null : SECOND));
  }
  events.push(GLOBAL);
  return events;
}

/** QEMU's calls for the last sync: the removal pass's detaches, then the walk's attaches, ascending. */
function expectedCalls({ cached, change }: Case): string[] {
  const detaches: string[] = [];
  const attaches: string[] = [];
  for (const pasid of [0, 3, 5]) {
    const next = change.get(pasid)!;
    const was = cached.get(pasid)!;
    if (was && next === 'clear') detaches.push(`detach ${pasid}`);
    // Rewritten: a fill when absent, a replace when cached (SECOND differs from FIRST).
    if (next === 'rewrite') attaches.push(`attach ${pasid}`);
  }
  return [...detaches, ...attaches];
}

describe("pasid-series: one sync's calls for the RID and two PASIDs, every case", () => {
  it('the removal pass detaches before the walk attaches, and the walk attaches in PASID order', () => {
    let judged = 0;
    for (const c of cases()) {
      const events = logOf(c);
      const steps = [...stepsUntilQemuExits(vtdPasidHeader, events)];
      expect(steps.length, 'every event stepped').toBe(events.length);
      const calls = steps[events.length - 1]!.step.outcome.hostOps.flatMap(({ op }) =>
        op.type === 'vfio.attach' || op.type === 'vfio.detach'
          ? [`${op.type.slice(5)} ${op.pasid ?? 0}`]
          : [],
      );
      const want = expectedCalls(c);
      const what = `slots made ${c.order.join(',')}, cached ${JSON.stringify([...c.cached])}, then ${JSON.stringify([...c.change])}`;
      expect(calls, what).toEqual(want);
      if (want.length >= 2) judged++;
    }
    // Syncs with two calls or more (the ones an order can break) were met.
    expect(judged).toBeGreaterThan(100);
  });
});
