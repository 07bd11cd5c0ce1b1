/**
 * pasid-series guest logs (`pasid-bits` 4) for the table walk: the RID-only generator's logs
 * (vtd-arbitraries.ts) with a PASID drawn for every PASID table write, PASID-selective flush and
 * PIOTLB flush among 0, 3, 5, 16 (= 2^4, the first PASID past the walk's end) and 20, and devices
 * plugged PASID-capable or not (the host's max_pasid_log2 > 0, or 0: QEMU's dev_max_pasid is then 1).
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';
import { type FailKind, vtdGuestLog } from './vtd-arbitraries.ts';
import { withPasid } from './vtd-pasid-arbitraries.ts';

const PASIDS = [0, 0, 3, 5, 16, 20] as const;

/** A flush right after an entry's write keeps that entry's PASID, as a driver's program-and-flush does. */
export function vtdSeriesWalkLog(failures: readonly FailKind[]): fc.Arbitrary<LogEvent[]> {
  return vtdGuestLog(failures).chain((events) =>
    fc
      .array(fc.tuple(fc.constantFrom(...PASIDS), fc.constantFrom(true, true, true, false)), {
        minLength: events.length,
        maxLength: events.length,
      })
      .map((draws) => {
        let last = 0;
        return events.map((event, index) => {
          const [drawn, capable] = draws[index]!;
          const pairedFlush =
            event.type === 'vtd.inv.pasid_cache' && events[index - 1]?.type === 'vtd.pasid_entry';
          const pasid = pairedFlush ? last : drawn;
          if (event.type === 'vtd.pasid_entry') last = pasid;
          return withPasid(event, pasid, capable);
        });
      }),
  );
}

const DID = fc.constantFrom(1, 2);
const readableEntry = fc.record({
  present: fc.constant(true),
  pgtt: fc.constantFrom('FST' as const, 'PT' as const),
  did: DID,
  fsptptr: fc.constantFrom('0x1000', '0x2000'),
  fspm: fc.constant(0 as const),
  wpe: fc.boolean(),
});

/** After the entries were cached: cleared (the removal pass drops it), rewritten (the walk replaces it), or left. */
const afterCache = fc.oneof(
  fc.constant<'clear' | 'keep'>('clear'),
  fc.constant<'clear' | 'keep'>('keep'),
  readableEntry,
);

const finalSync: fc.Arbitrary<LogEvent> = fc.oneof(
  fc.constant<LogEvent>({ type: 'vtd.inv.pasid_cache', granularity: 'global' }),
  DID.map((did): LogEvent => ({ type: 'vtd.inv.pasid_cache', granularity: 'domain', did })),
  fc.constant<LogEvent>({ type: 'vtd.inv.context_cache', granularity: 'global' }),
  fc
    .constantFrom('nic0', 'nic1')
    .map((dev): LogEvent => ({ type: 'vtd.inv.context_cache', granularity: 'device', dev })),
);

/**
 * Two booted devices, nic0 PASID-capable and nic1 (sometimes) not, whose PASID entries at 0, 3, 5
 * and 16 are written in a random order and cached by a global flush, then some cleared, some
 * rewritten and some written for the first time, in another random order, before one global, domain
 * or context-cache sync: so one sync meets removals and several additions of a device at once, which
 * the generic logs line up only rarely.
 */
export const rewrittenThenSynced: fc.Arbitrary<LogEvent[]> = fc
  .tuple(
    fc.shuffledSubarray([0, 3, 5, 16], { minLength: 1 }),
    fc.shuffledSubarray([0, 3, 5, 16], { minLength: 1 }),
    fc.array(fc.tuple(readableEntry, afterCache), { minLength: 4, maxLength: 4 }),
    fc.boolean(),
    finalSync,
  )
  .map(([cached, changed, entries, nic1Capable, sync]) => {
    const events: LogEvent[] = [
      { type: 'vfio.plug', dev: 'nic0', hotplug: true, pasid: true },
      { type: 'vfio.plug', dev: 'nic1', hotplug: true, pasid: nic1Capable },
      { type: 'vtd.root_table', scalable: true },
      { type: 'vtd.context_entry', dev: 'nic0', present: true },
      { type: 'vtd.context_entry', dev: 'nic1', present: true },
      { type: 'vtd.translation', enable: true },
    ];
    const slot = (pasid: number) => [0, 3, 5, 16].indexOf(pasid);
    for (const pasid of cached)
      for (const dev of ['nic0', 'nic1'])
        events.push({ type: 'vtd.pasid_entry', dev, pasid, entry: entries[slot(pasid)]![0] });
    events.push({ type: 'vtd.inv.pasid_cache', granularity: 'global' });
    for (const pasid of changed) {
      const [first, next] = entries[slot(pasid)]!;
      if (next === 'keep' && cached.includes(pasid)) continue;
      const entry = next === 'clear' ? null : next === 'keep' ? first : next;
      for (const dev of ['nic0', 'nic1']) events.push({ type: 'vtd.pasid_entry', dev, pasid, entry });
    }
    events.push(sync);
    return events;
  });
