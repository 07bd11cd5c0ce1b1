/**
 * The fused kernel pass (src/invariants/kernel-fused.ts) against its members' own `checkChanged`
 * (or `check`, for a member without one): for one World and one Changes record, the first member
 * whose fused answer differs in any message or in their order, or undefined. Shared by
 * properties/kernel-fused.prop.test.ts and the mutants (test/mutants.test.ts).
 */
import type { Changes, InvariantStepContext, World } from '../src/index.ts';

type Model = Pick<
  typeof import('../src/index.ts'),
  'FUSED_KERNEL_INVARIANTS' | 'fusedKernelCheck' | 'kindsMask'
>;

/** The members the checker finds due after a kernel write of these kinds, as fused-pass bits. */
export function dueMask(model: Model, changes: Changes): number {
  if (!changes.kernel) return 0;
  const kinds = changes.kinds ?? -1;
  let mask = 0;
  model.FUSED_KERNEL_INVARIANTS.forEach((invariant, i) => {
    if ((model.kindsMask(invariant.readsKinds) & kinds) !== 0) mask |= 1 << i;
  });
  return mask;
}

/** The first disagreement of the fused pass, asked for the members in `mask`, with their own checks. */
export function fusedDisagreement(
  model: Model,
  world: World,
  step: InvariantStepContext & { readonly changes: Changes },
  mask: number,
): string | undefined {
  const members = model.FUSED_KERNEL_INVARIANTS;
  const results: (readonly string[])[] = members.map(() => ['(not answered)']);
  model.fusedKernelCheck(world, step, mask, results);
  // Copied before the members run: their reused scratch lists are the pass's too.
  const fused = results.map((messages) => JSON.stringify(messages));
  for (let i = 0; i < members.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const member = members[i]!;
    const own = JSON.stringify((member.checkChanged ?? member.check).call(member, world, step));
    if (own !== fused[i])
      return `${member.name}, writes to slots ${JSON.stringify(step.changes.slots)}: fused ${fused[i]}, checkChanged ${own}`;
  }
  return undefined;
}
