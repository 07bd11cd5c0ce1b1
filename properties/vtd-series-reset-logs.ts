/**
 * pasid-series logs that put a reset with no replay right after cached PASID entries were rewritten
 * without a flush: a PASID-capable device booted in scalable mode, entries at its RID and PASIDs 3
 * and 5 programmed and flushed PASID-selectively (cached), some of them then rewritten to another
 * readable entry (a new DID, first-stage table or WPE) with no flush, then GCMD.TE cleared (the
 * entries stay readable), a legacy root table or a machine reset. vtd_accel_pasid_cache_reset walks
 * only the removal pass (vtd_accel_pasid_cache_invalidate_one deletes an entry only when
 * vtd_dev_get_pe_from_pasid fails), so a rewritten entry that is still readable keeps its cached copy
 * and its binding; the generic generators (vtd-pasid-arbitraries.ts) almost never line this up.
 * QEMU: hw/i386/intel_iommu_accel.c at mst/qemu pci 31dbba011d0f.
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';

const DEV = 'nic0';
const PASIDS = [0, 3, 5] as const;

type Entry = Extract<LogEvent, { type: 'vtd.pasid_entry' }>['entry'] & object;

const firstStage = fc.record({
  did: fc.constantFrom(1, 2),
  fsptptr: fc.constantFrom('0x1000', '0x2000'),
  wpe: fc.boolean(),
});

const entryOf = (e: { did: number; fsptptr: string; wpe: boolean }): Entry => ({
  present: true,
  pgtt: 'FST',
  fspm: 0,
  ...e,
});

/** The same entry with one field changed, so vtd_pasid_entry_compare sees a difference. */
const changed = (e: Entry, which: number): Entry =>
  which === 0
    ? { ...e, did: e.did === 1 ? 2 : 1 }
    : which === 1
      ? { ...e, fsptptr: e.fsptptr === '0x1000' ? '0x2000' : '0x1000' }
      : { ...e, wpe: !e.wpe };

const resetOnly: fc.Arbitrary<LogEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<LogEvent>({ type: 'vtd.translation', enable: false }) },
  { weight: 1, arbitrary: fc.constant<LogEvent>({ type: 'vtd.root_table', scalable: false }) },
  { weight: 1, arbitrary: fc.constant<LogEvent>({ type: 'machine.reset' }) },
);

/** Boot, cache entries, rewrite some without a flush, then one reset with no replay. */
export const rewrittenThenReset: fc.Arbitrary<LogEvent[]> = fc
  .tuple(
    fc.tuple(firstStage, firstStage, firstStage),
    fc.array(fc.constantFrom(0, 1, 2, 3), { minLength: 3, maxLength: 3 }), // 3: left as cached
    resetOnly,
  )
  .map(([stages, rewrites, reset]) => {
    const entries = stages.map(entryOf);
    const events: LogEvent[] = [
      { type: 'vfio.plug', dev: DEV, hotplug: true, pasid: true },
      { type: 'vtd.root_table', scalable: true },
      { type: 'vtd.context_entry', dev: DEV, present: true },
      { type: 'vtd.translation', enable: true },
    ];
    PASIDS.forEach((pasid, i) => {
      const entry = entries[i]!;
      events.push(
        { type: 'vtd.pasid_entry', dev: DEV, pasid, entry },
        { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: entry.did, pasid },
      );
    });
    PASIDS.forEach((pasid, i) => {
      if (rewrites[i]! < 3)
        events.push({ type: 'vtd.pasid_entry', dev: DEV, pasid, entry: changed(entries[i]!, rewrites[i]!) });
    });
    events.push(reset);
    return events;
  });
