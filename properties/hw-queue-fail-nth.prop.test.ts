/**
 * Kernel fail_nth at IOMMU_HW_QUEUE_ALLOC on logs that reach a working HW queue (a selftest vIOMMU
 * on a nest parent whose IOAS maps the queue's memory): the queue's own object is allocation 1 and
 * its internal ACCESS (iommufd_hw_queue_alloc_phys -> iommufd_access_create_internal) allocation 2.
 * An ENOMEM at either must return ENOMEM and leave nothing behind: the ioctl's failed ucmd aborts the
 * half-made queue object (iommufd_hw_queue_alloc_ioctl, out_put_viommu; the object is not finalized).
 * The generic kernel logs of kernel-fail-nth.prop.test.ts almost never reach a working queue, so the
 * second point went unfailed. Kernel reference: drivers/iommu/iommufd/viommu.c at Kingxukai/linux
 * 0291023e7330.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCheckedStepper, initialWorld } from '../src/index.ts';
import { stepUntilRefused } from './guest-steps.ts';
import { failNthOp, visible } from './kernel-fail-nth.ts';
import { queueCommands } from './queue-commands.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed } from './seed.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 60));

describe('kernel fail_nth at the HW queue allocation', () => {
  it('an ENOMEM at the queue or at its internal ACCESS leaves nothing behind', () => {
    const tally = { queues: 0, bothPoints: 0, problems: [] as string[] };
    fc.assert(
      fc.property(queueCommands, (commands) => {
        const before = tally.problems.length;
        const stepper = createCheckedStepper(initialWorld(NONE_HEADER), {
          invariants: [],
          onKernelOp: (state, op, outcome, after) => {
            const result = failNthOp(state, op, { outcome, after: visible(after) });
            tally.problems.push(...result.problems);
            if (op.type !== 'iommufd.hw_queue_alloc' || !outcome.ok) return;
            tally.queues++;
            if (result.points >= 2) tally.bothPoints++;
          },
        });
        const { events } = runCommands(commands, NONE_HEADER, []);
        stepUntilRefused(stepper, events);
        expect(tally.problems.slice(before)).toEqual([]);
      }),
      { numRuns: RUNS, seed: propertySeed(20261601) },
    );
    console.log(
      `hw queue fail_nth: ${tally.bothPoints} of ${tally.queues} allocated queues failed at both points`,
    );
    expect([...new Set(tally.problems)]).toEqual([]);
    // Also under the mutation profile: the internal ACCESS's point must have been failed.
    expect(tally.bothPoints).toBeGreaterThan(0);
    expect(tally.bothPoints).toBe(tally.queues);
  });
});
