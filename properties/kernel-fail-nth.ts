/**
 * Kernel-level fail_nth (iommufd_fail_nth.c): for one operation on a copy of the context before it,
 * fail its 1st object allocation, then its 2nd, ... until it no longer fails; every faulted run must
 * return ENOMEM and leave the objects, IDs and names as they were, and the first run past the last
 * allocation must equal the unfaulted one. Only ID allocations (_iommufd_object_alloc) are modelled
 * fail points, not the kernel's other kzalloc calls.
 */
import { applyKernelOp, failNthAllocation, type KernelOp, type KernelState } from '../src/index.ts';

const visible = (state: KernelState) =>
  JSON.stringify({
    objects: state.objects,
    devices: state.devices,
    fd: state.fdOpen,
    released: state.released,
  });

export interface FailNthResult {
  /** Allocation points failed. */
  readonly points: number;
  readonly problems: readonly string[];
}

export function failNthOp(
  before: KernelState,
  op: KernelOp,
  unfaulted: { outcome: unknown; after: string },
): FailNthResult {
  const problems: string[] = [];
  const expectedOutcome = JSON.stringify(unfaulted.outcome);
  for (let n = 1; n <= 8; n++) {
    const state = structuredClone(before);
    failNthAllocation(state, n);
    const outcome = applyKernelOp(state, op);
    if (!outcome.ok && outcome.errno === 'ENOMEM') {
      if (visible(state) !== visible(before))
        problems.push(`${op.type}: allocation ${n} failed and left objects behind (or changed some)`);
      continue;
    }
    if (JSON.stringify(outcome) !== expectedOutcome || visible(state) !== unfaulted.after)
      problems.push(
        `${op.type}: with allocation ${n} failing, the outcome or state differs from the unfaulted run`,
      );
    return { points: n - 1, problems };
  }
  problems.push(`${op.type}: still ENOMEM at allocation 8`);
  return { points: 8, problems };
}

export { visible };
