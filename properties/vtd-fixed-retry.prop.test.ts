/**
 * The `fixed` variant's retry, as its README row says ("the binding is marked for retry and redone at
 * the next guest operation"): after a guest event (`vtd.*`), an address space whose last bind, replace
 * or unbind host call of the event failed has a retry pending, and when no host call of the event failed no
 * plugged address space has one (every pending retry was redone at the start of the event and
 * succeeded). Generated guest logs with injected HWPT allocation, attach and detach failures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-fixed-retry.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));
const HEADER = vtdHeader('fixed');
const FAILURES = [...RECOVERABLE_FAILURES, 'detach' as const];

interface Tally {
  failedAndPending: number;
  cleanAndNone: number;
}

/** The first guest event after which the retry marks are not what its host calls call for, in words. */
function firstWrongMark(events: readonly LogEvent[], tally: Tally): string | null {
  for (const { index, event, step, world } of stepsUntilQemuExits(HEADER, events)) {
    if (!event.type.startsWith('vtd.')) continue;
    const view = vtdWorldView(world());
    if (view === null) continue;
    // The last bind, replace or unbind call of each device in the event decides: a reset's failed
    // unbind is redone by the replay after it, whose success clears the mark.
    const lastFailed = new Map<string, boolean>();
    let anyFailed = false;
    for (const { op, outcome } of step.outcome.hostOps) {
      anyFailed ||= !outcome.ok;
      if (op.type === 'vfio.attach' || op.type === 'vfio.detach') lastFailed.set(op.dev, !outcome.ok);
      else if (op.type === 'iommufd.hwpt_alloc') {
        const device = view.devices.find((d) => d.devId === op.dev_id);
        if (device !== undefined) lastFailed.set(device.dev, !outcome.ok);
      }
    }
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    for (const space of view.vtd.spaces) {
      if (!space.created || space.host.value === 'unplugged') continue;
      const pending = space.host.context.retry;
      if (lastFailed.get(space.dev) === true) {
        if (!pending) return `${where}: a host call of ${space.dev} failed, yet no retry is pending`;
        tally.failedAndPending++;
      } else if (!anyFailed) {
        if (pending) return `${where}: no host call failed, yet ${space.dev} has a retry pending`;
        tally.cleanAndNone++;
      }
    }
  }
  return null;
}

/** Before some guest events, a failure of the next host call of one kind, so that they fail often. */
function failingBeforeGuestEvents(logs: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> {
  const kinds = ['hwpt_alloc', 'attach', 'detach'] as const;
  return logs.chain((events) =>
    fc
      .array(fc.integer({ min: 0, max: 5 }), { minLength: events.length, maxLength: events.length })
      .map((choices) =>
        events.flatMap((event, index): LogEvent[] => {
          const choice = choices[index]!;
          if (!event.type.startsWith('vtd.') || choice >= kinds.length) return [event];
          return [{ type: 'host.fail', op: kinds[choice]!, errno: 'EINVAL', count: 1 }, event];
        }),
      ),
  );
}

describe('fixed: a failed binding is marked for retry, and the retry clears it', () => {
  it('after every guest event: failed host calls leave a retry pending, an event without one leaves none', () => {
    const tally: Tally = { failedAndPending: 0, cleanAndNone: 0 };
    let found: string | null = null;
    const details = fc.check(
      fc.property(failingBeforeGuestEvents(vtdGuestLog(FAILURES)), (log) => {
        found = firstWrongMark(log, tally);
        return found === null;
      }),
      { numRuns: RUNS, seed: propertySeed(16321) },
    );
    if (details.failed && details.counterexample !== null) {
      const message = firstWrongMark(details.counterexample[0], { failedAndPending: 0, cleanAndNone: 0 });
      expect.fail(`${message ?? found}\n${repeatWith(details.seed, FILE)}`);
    }
    // Both halves must have been judged often (every run needed).
    if (!runsScaled()) {
      expect(tally.failedAndPending).toBeGreaterThan(RUNS / 10);
      expect(tally.cleanAndNone).toBeGreaterThan(RUNS);
    }
  });
});
