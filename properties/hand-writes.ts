/**
 * What the properties that make writes the model never makes (checked-path-kinds, shared-walks)
 * share: a small seeded generator for the writes, the Changes record the checked path would hand an
 * invariant for them, an event-less step context, and a full check that may throw on a malformed write.
 */
import type { Changes, InvariantStepContext, KernelState, World } from '../src/index.ts';

/** A small deterministic generator for the writes (fast-check shrinks the log and the seed). */
export function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** The Changes record of hand-made writes to these slots, as the checked path would hand it over. */
export function handChanges(before: KernelState, written: readonly number[], kinds?: number): Changes {
  const slots = [...new Set(written)].sort((a, b) => a - b);
  const changes: Changes = {
    kernel: true,
    names: false,
    vmm: false,
    slots,
    written: (id) => slots.includes(id),
    slotBefore: (id) => before.objects[id],
    allocations: [],
  };
  return kinds === undefined ? changes : { ...changes, kinds };
}

/** A step context with no event of its own: the writes are the only change. */
export const noEvent = (prev: World): InvariantStepContext => ({
  prev,
  input: { line: 0, event: { type: 'iommufd.close' } },
  outcome: { ok: true, hostOps: [] },
});

/** Safe: a full check may throw on a write no model makes (a malformed field); that write proves nothing. */
export function tryCheck(run: () => string[]): string[] | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}
