/**
 * A VT-d PASID-cache invalidation leaves alone every entry QEMU's filters pass by
 * (properties/vtd-flush-scope.ts: vtd_pasid_cache_sync_locked on upstream and fixed, the series'
 * vtd_accel_pasid_cache_invalidate_one and vtd_sm_pasid_table_walk_one on pasid-series): its cached
 * entry and its host binding are as they were, and QEMU issues no attach or detach for that device at
 * that PASID. The invariants check the other direction (a covered entry follows the guest); this is
 * the frame. Generated guest logs on the three variants, and with PASIDs other than 0 on the series;
 * a binding the `fixed` variant retries is left out (retryPending redoes it at any guest operation).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { entriesOf, type Flush, type Skip, skippedBy } from './vtd-flush-scope.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';
import { vtdView } from './vtd-view.ts';

const FILE = 'properties/vtd-flush-scope.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));

const isFlush = (event: LogEvent): event is Flush =>
  event.type === 'vtd.inv.pasid_cache' || event.type === 'vtd.inv.context_cache';

/** The first entry a flush touched although QEMU passes it by, in words; the skips met are tallied. */
function firstTouched(header: Header, events: readonly LogEvent[], tally: Map<Skip, number>): string | null {
  for (const { index, event, step, before: prior, world } of stepsUntilQemuExits(header, events, isFlush)) {
    const before = prior === null ? null : vtdView(prior);
    if (before === null || !isFlush(event)) continue;
    const after = vtdView(world())!;
    const afterEntries = entriesOf(after);
    for (const { dev, contextPresent, slot } of entriesOf(before)) {
      if (slot.host.context.retry) continue; // fixed: redone at the next guest operation, whatever it is
      const skip = skippedBy(before, dev, contextPresent, slot, event);
      if (skip === null) continue;
      tally.set(skip, (tally.get(skip) ?? 0) + 1);
      const now = afterEntries.find((e) => e.dev === dev && e.slot.pasidId === slot.pasidId)?.slot;
      const where = `event ${index + 1} (${JSON.stringify(event)}), ${dev} PASID ${slot.pasidId}, skipped by ${skip}`;
      if (!isDeepStrictEqual(now?.pasid, slot.pasid))
        return `${where}: cache ${JSON.stringify(slot.pasid)} became ${JSON.stringify(now?.pasid)}`;
      if (!isDeepStrictEqual(now?.host, slot.host))
        return `${where}: binding ${JSON.stringify(slot.host)} became ${JSON.stringify(now?.host)}`;
      const call = step.outcome.hostOps.find(
        ({ op }) =>
          (op.type === 'vfio.attach' || op.type === 'vfio.detach') &&
          op.dev === dev &&
          (op.pasid ?? 0) === slot.pasidId,
      );
      if (call !== undefined) return `${where}: QEMU called ${JSON.stringify(call.op)}`;
    }
  }
  return null;
}

/**
 * After a PASID table write, sometimes a flush that misses it: the other DID, another PASID (6: never
 * written), both, or a device-selective context-cache flush of the other device; so every filter meets entries whose guest copy differs from the cached one.
 */
function withOffTargetFlushes(logs: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> {
  return logs.chain((events) =>
    fc
      .array(fc.integer({ min: 0, max: 6 }), { minLength: events.length, maxLength: events.length })
      .map((choices) =>
        events.flatMap((event, index): LogEvent[] => {
          if (event.type !== 'vtd.pasid_entry' || choices[index]! > 3) return [event];
          const did = event.entry?.did ?? 1 + (index % 2); // a cleared entry: either DID
          const pasid = event.pasid ?? 0;
          const off: LogEvent[] = [
            { type: 'vtd.inv.pasid_cache', granularity: 'domain', did: 3 - did },
            { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did, pasid: 6 },
            { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: 3 - did, pasid },
            {
              type: 'vtd.inv.context_cache',
              granularity: 'device',
              dev: event.dev === 'nic0' ? 'nic1' : 'nic0',
            },
          ];
          return [event, off[choices[index]!]!];
        }),
      ),
  );
}

const ARMS = [
  {
    name: 'upstream',
    header: vtdHeader('upstream'),
    logs: withOffTargetFlushes(vtdGuestLog(RECOVERABLE_FAILURES)),
    seed: 16301,
  },
  {
    name: 'fixed',
    header: vtdHeader('fixed'),
    logs: withOffTargetFlushes(vtdGuestLog(RECOVERABLE_FAILURES)),
    seed: 16302,
  },
  {
    name: 'pasid-series',
    header: vtdHeader('pasid-series'),
    logs: withOffTargetFlushes(vtdGuestLog(RECOVERABLE_FAILURES)),
    seed: 16303,
  },
  {
    name: 'pasid-series, pasid-bits 4',
    header: vtdPasidHeader,
    logs: withOffTargetFlushes(vtdPasidGuestLog(RECOVERABLE_FAILURES)),
    seed: 16304,
  },
] as const;

describe('a VT-d PASID-cache flush leaves alone the entries its filters pass by', () => {
  for (const arm of ARMS)
    it(`${arm.name}: no cache, binding or host call of a skipped entry changes`, () => {
      const tally = new Map<Skip, number>();
      let found: string | null = null;
      const details = fc.check(
        fc.property(arm.logs, (log) => {
          found = firstTouched(arm.header, log, tally);
          return found === null;
        }),
        { numRuns: RUNS, seed: propertySeed(arm.seed) },
      );
      if (details.failed && details.counterexample !== null) {
        const message = firstTouched(arm.header, details.counterexample[0], new Map());
        expect.fail(`${message ?? found}\n${repeatWith(details.seed, FILE)}`);
      }
      // Each filter must have passed entries by, or the check compared nothing (every run needed).
      if (!runsScaled())
        for (const skip of ['off', 'other-device', 'pasid', 'did-of-cache', 'did-of-guest'] as const)
          expect(tally.get(skip) ?? 0, skip).toBeGreaterThan(RUNS / 50);
    });
});
