/**
 * fail_nth armed twice before one operation: the second arming replaces the first, as a new write
 * to /proc/self/task/<tid>/fail-nth replaces the count (iommufd_fail_nth.c writes it before each
 * run), so arming an unreachable count and then 1 fails the operation's first object allocation
 * exactly as arming 1 alone does. On every kernel operation of generated kernel logs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyKernelOp,
  createCheckedStepper,
  failNthAllocation,
  initialWorld,
  type KernelOp,
  type KernelState,
} from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { visible } from './kernel-fail-nth.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed } from './seed.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 60));
const UNREACHABLE = 1_000; // more object allocations than any one operation makes

/** The outcome and visible state of `op` on a copy of `before`, armed with each count in turn. */
function armedRun(before: KernelState, op: KernelOp, counts: readonly number[]): string {
  const state = structuredClone(before);
  for (const n of counts) failNthAllocation(state, n);
  const outcome = applyKernelOp(state, op);
  return JSON.stringify({ outcome, state: visible(state) });
}

describe('kernel fail_nth re-armed', () => {
  it('arming again before an operation replaces the earlier count', () => {
    const problems: string[] = [];
    let injected = 0;
    fc.assert(
      fc.property(kernelCommands, (commands) => {
        const { events } = runCommands(commands, NONE_HEADER, []);
        const stepper = createCheckedStepper(initialWorld(NONE_HEADER), {
          invariants: [],
          onKernelOp: (before, op) => {
            const once = armedRun(before, op, [1]);
            if (once.includes('"errno":"ENOMEM"')) injected += 1;
            if (armedRun(before, op, [UNREACHABLE, 1]) !== once)
              problems.push(`${op.type}: re-arming differs`);
          },
        });
        for (const [i, event] of events.entries()) stepper.step({ line: i + 2, event });
        expect(problems).toEqual([]);
      }),
      { numRuns: RUNS, seed: propertySeed(20261235) },
    );
    console.log(`kernel fail_nth re-armed: ${injected} operations failed at their first allocation`);
    expect(injected).toBeGreaterThan(0);
  });
});
