/**
 * The `fixed` variant's retry redoes only what is pending (the README row: "the binding is marked for
 * retry and redone at the next guest operation"), and says so when it fails. A guest write of a PASID
 * or context entry is a write to guest memory QEMU does not trap (hw/i386/intel_iommu.c reads those
 * tables only on an invalidation, a GCMD write or a DMA walk), so on such an event the only host calls
 * are the retries: none for a device without a retry pending before the event, and for each device
 * whose retry call failed exactly one message, `Retrying HWPT attachment failed: ` and the host call's
 * error; no other message. Generated guest logs with injected HWPT allocation, attach and detach failures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-fixed-retry-scope.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));
const HEADER = vtdHeader('fixed');
const FAILURES = [...RECOVERABLE_FAILURES, 'detach' as const];
const RETRYING = 'Retrying HWPT attachment failed: ';

const isMemoryWrite = (event: LogEvent): boolean =>
  event.type === 'vtd.pasid_entry' || event.type === 'vtd.context_entry';

const SYNCS: ReadonlySet<string> = new Set([
  'vtd.inv.pasid_cache',
  'vtd.inv.context_cache',
  'vtd.translation',
]);
const KINDS = ['hwpt_alloc', 'attach', 'detach'] as const;

/**
 * Around some syncs, a failure of the next one or two host calls of one kind before it and a context
 * entry write after it, so that memory writes often meet pending retries, and retries that fail again.
 */
function retriesAfterSyncs(logs: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> {
  return logs.chain((events) =>
    fc
      .array(
        fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(1, 2), fc.constantFrom('nic0', 'nic1')),
        {
          minLength: events.length,
          maxLength: events.length,
        },
      )
      .map((choices) =>
        events.flatMap((event, index): LogEvent[] => {
          const [kind, count, dev] = choices[index]!;
          if (!SYNCS.has(event.type) || kind >= KINDS.length) return [event];
          return [
            { type: 'host.fail', op: KINDS[kind]!, errno: 'EINVAL', count },
            event,
            { type: 'vtd.context_entry', dev, present: true },
          ];
        }),
      ),
  );
}

interface Tally {
  retried: number;
  failedRetries: number;
  untouched: number;
}

/** The first guest-memory write whose host calls or messages are not the pending retries', in words. */
function firstWrongRetry(events: readonly LogEvent[], tally: Tally): string | null {
  for (const { index, event, step, before: prior } of stepsUntilQemuExits(HEADER, events, isMemoryWrite)) {
    const before = prior === null ? null : vtdWorldView(prior);
    if (before === null) continue;
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    const pending = new Set(
      before.vtd.spaces.filter((s) => s.created && s.host.context.retry).map((s) => s.dev),
    );
    const failed = new Set<string>();
    const called = new Set<string>();
    for (const { op, outcome } of step.outcome.hostOps) {
      const dev =
        op.type === 'vfio.attach' || op.type === 'vfio.detach'
          ? op.dev
          : op.type === 'iommufd.hwpt_alloc'
            ? before.devices.find((d) => d.devId === op.dev_id)?.dev
            : undefined;
      if (dev === undefined) continue;
      if (!pending.has(dev)) return `${where}: ${JSON.stringify(op)} for ${dev}, which had no retry pending`;
      called.add(dev);
      if (!outcome.ok) failed.add(dev);
    }
    const messages = step.outcome.messages ?? [];
    for (const message of messages)
      if (!message.startsWith(RETRYING) || message.length === RETRYING.length)
        return `${where}: unexplained message ${JSON.stringify(message)}`;
    if (messages.length !== failed.size)
      return `${where}: messages ${JSON.stringify(messages)}, the failed retries of ${JSON.stringify([...failed])} call for one each`;
    tally.retried += called.size;
    tally.failedRetries += failed.size;
    for (const space of before.vtd.spaces) if (space.created && !pending.has(space.dev)) tally.untouched++;
  }
  return null;
}

describe('fixed: a guest-memory write redoes only the pending bindings', () => {
  it('no host call for a device without a retry pending; one message per failed retry, and no other', () => {
    const tally: Tally = { retried: 0, failedRetries: 0, untouched: 0 };
    let found: string | null = null;
    const details = fc.check(
      fc.property(retriesAfterSyncs(vtdGuestLog(FAILURES)), (log) => {
        found = firstWrongRetry(log, tally);
        return found === null;
      }),
      { numRuns: RUNS, seed: propertySeed(16411) },
    );
    if (details.failed && details.counterexample !== null) {
      const message = firstWrongRetry(details.counterexample[0], {
        retried: 0,
        failedRetries: 0,
        untouched: 0,
      });
      expect.fail(`${message ?? found}\n${repeatWith(details.seed, FILE)}`);
    }
    console.log(
      `fixed retry scope: ${tally.retried} retries, ${tally.failedRetries} failed, ${tally.untouched} address spaces left alone`,
    );
    // Each case must have been met, or its check compared nothing (every run needed).
    if (!runsScaled()) {
      expect(tally.retried).toBeGreaterThan(RUNS / 20);
      expect(tally.failedRetries).toBeGreaterThan(RUNS / 100);
      expect(tally.untouched).toBeGreaterThan(RUNS / 20);
    }
  });
});
