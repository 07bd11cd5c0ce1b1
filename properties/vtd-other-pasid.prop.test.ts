/**
 * Without the PASID series' pasid-bits, QEMU's VT-d binds only the RID's PASID (PASID_0):
 * vtd_pasid_cache_sync reads the RID_PASID entry alone, so the guest's PASID-table entries of other
 * PASIDs stay in guest memory and reach nothing (hw/i386/intel_iommu.c vtd_sm_pasid_table_walk is the
 * series'; upstream's accel sync: vtd_pasid_cache_sync_locked over PASID_0). Metamorphic: a generated
 * guest log and the same log with PASID entries of PASIDs 1..7 written at random points make the same
 * host calls, trace lines and messages at every original event, and the written entries none, on
 * upstream, fixed and pasid-series without pasid-bits (fixed without injected failures: its retry of a
 * failed binding runs before every guest event, an inserted one too). The generic logs write PASID 0 only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { DEVICES, type FailKind, RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { type VtdVariantName, vtdHeader } from './vtd-run.ts';

const FILE = 'properties/vtd-other-pasid.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 150));

const otherEntry = fc.record({
  dev: fc.constantFrom(...DEVICES),
  pasid: fc.integer({ min: 1, max: 7 }),
  entry: fc.record({
    present: fc.constant(true),
    pgtt: fc.constantFrom('FST' as const, 'PT' as const),
    did: fc.constantFrom(1, 2),
    fsptptr: fc.constantFrom('0x4000', '0x5000'),
    fspm: fc.constant(0 as const),
    wpe: fc.boolean(),
  }),
});

/** A guest log, and its events with other PASIDs' entries written before some of them (inserted: true). */
const logPair = (failures: readonly FailKind[]) =>
  vtdGuestLog(failures).chain((events) =>
    fc
      .array(fc.option(otherEntry, { freq: 2 }), { minLength: events.length, maxLength: events.length })
      .map((writes) => ({
        events,
        mixed: events.flatMap((event, i) => {
          const w = writes[i];
          return w === null || w === undefined
            ? [{ event, inserted: false }]
            : [
                { event: { type: 'vtd.pasid_entry', ...w } as LogEvent, inserted: true },
                { event, inserted: false },
              ];
        }),
      })),
  );

type Seen = { hostOps: unknown; trace: unknown; messages: unknown; fatal: unknown };
const seen = (o: { hostOps: unknown; trace?: unknown; messages?: unknown; fatal?: unknown }): string =>
  JSON.stringify({
    hostOps: o.hostOps,
    trace: o.trace ?? [],
    messages: o.messages ?? [],
    fatal: o.fatal,
  } satisfies Seen);

/** The first event whose outcome the other PASIDs' entries changed, in words. */
function firstDifference(
  variant: VtdVariantName,
  pair: { events: readonly LogEvent[]; mixed: readonly { event: LogEvent; inserted: boolean }[] },
): string | null {
  const header = vtdHeader(variant);
  const base = [...stepsUntilQemuExits(header, pair.events)].map(({ step }) => seen(step.outcome));
  let at = 0;
  for (const { index, step } of stepsUntilQemuExits(
    header,
    pair.mixed.map(({ event }) => event),
  )) {
    const { event, inserted } = pair.mixed[index]!;
    const got = seen(step.outcome);
    const want = inserted ? seen({ hostOps: [] }) : base[at++];
    if (got !== want)
      return `event ${index + 1} (${JSON.stringify(event)}${inserted ? ', inserted' : ''}): ${got}, without the other PASIDs' entries ${want}`;
  }
  return at === base.length
    ? null
    : `the log with other PASIDs' entries stopped after ${at} of ${base.length} events`;
}

describe("VT-d without pasid-bits: other PASIDs' entries reach nothing", () => {
  for (const [variant, seed] of [
    ['upstream', 16_721],
    ['fixed', 16_722],
    ['pasid-series', 16_723],
  ] as const)
    it(`${variant}: the same host calls, traces and messages with PASID 1..7 entries written`, () => {
      const details = fc.check(
        fc.property(
          logPair(variant === 'fixed' ? [] : RECOVERABLE_FAILURES),
          (pair) => firstDifference(variant, pair) === null,
        ),
        { numRuns: RUNS, seed: propertySeed(seed) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(
          `${firstDifference(variant, details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`,
        );
    });
});
