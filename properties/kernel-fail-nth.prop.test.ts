/**
 * Kernel-level fail_nth on generated kernel logs and on every host operation of generated VT-d logs:
 * an injected ENOMEM at the nth object allocation of an operation leaves nothing behind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCheckedStepper, type Header, initialWorld, type LogEvent } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { stepUntilRefused } from './guest-steps.ts';
import { failNthOp, visible } from './kernel-fail-nth.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 100));

function sweepLog(
  events: readonly LogEvent[],
  header: Header,
  tally: { points: number; problems: string[] },
): void {
  const stepper = createCheckedStepper(initialWorld(header), {
    invariants: [],
    onKernelOp: (before, op, outcome, after) => {
      const result = failNthOp(before, op, { outcome, after: visible(after) });
      tally.points += result.points;
      tally.problems.push(...result.problems);
    },
  });
  stepUntilRefused(stepper, events);
}

describe('kernel fail_nth', () => {
  it('an ENOMEM at the nth allocation of any kernel operation leaves nothing behind', () => {
    const tally = { points: 0, problems: [] as string[] };
    fc.assert(
      fc.property(kernelCommands, (commands) => {
        const before = tally.problems.length;
        sweepLog(runCommands(commands, NONE_HEADER, []).events, NONE_HEADER, tally);
        expect(tally.problems.slice(before)).toEqual([]);
      }),
      { numRuns: RUNS, seed: propertySeed(20261219) },
    );
    fc.assert(
      fc.property(vtdGuestLog(RECOVERABLE_FAILURES), (log) => {
        const before = tally.problems.length;
        sweepLog(log, vtdHeader('fixed'), tally);
        expect(tally.problems.slice(before)).toEqual([]);
      }),
      { numRuns: RUNS, seed: propertySeed(20261220) },
    );
    console.log(`kernel fail_nth: ${tally.points} allocation points failed`);
    expect([...new Set(tally.problems)]).toEqual([]);
    expect(tally.points).toBeGreaterThan(RUNS);
  });
});
