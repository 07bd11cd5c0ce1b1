/** Invariants on object IDs: never 0, unique, lowest free first. */
import { applyKernelOp } from '../kernel/apply.ts';
import { emptyKernel } from '../kernel/table.ts';
import type { KernelState, Slot } from '../kernel/types.ts';
import { closed, opened } from './no-violations.ts';
import type { Invariant } from './types.ts';

const zeroScratch: string[] = [];
const lowestScratch: string[] = [];

function freeIds(kernel: KernelState): number[] {
  const free: number[] = [];
  for (let id = 1; id < kernel.objects.length; id++) if (kernel.objects[id] === null) free.push(id);
  return free;
}

export const noObjectIdZero: Invariant = {
  name: 'no-object-id-zero',
  kind: 'step',
  reads: ['kernel'],
  sentence: 'No live object has ID 0, and no successful operation returns ID 0.',
  source: 'main.c iommufd_fops_open (xa_init_flags XA_FLAGS_ALLOC1); reference §3',
  check(world, { outcome }) {
    const out = opened(zeroScratch);
    if (world.kernel.objects[0] !== null) out.push('slot 0 of the object table is occupied');
    if (outcome.ok && outcome.id === 0) out.push('the operation succeeded and returned ID 0');
    return closed(out);
  },
};

/** ids-unique's rule for one slot (also the fused kernel pass's, kernel-fused.ts). */
export function slotAtOwnIndex(slot: Slot | undefined, index: number, out: string[]): void {
  if (slot !== null && slot !== undefined && slot.id !== index)
    out.push(`${slot.type} with ID ${slot.id} is stored at index ${index}`);
}

export const idsUnique: Invariant = {
  name: 'ids-unique',
  kind: 'state',
  reads: ['kernel'],
  sentence: 'Every object, tombstone included, sits at the index of its own ID, so no ID names two objects.',
  source: 'main.c _iommufd_object_alloc (one xarray entry per ID)',
  check(world) {
    const out: string[] = [];
    world.kernel.objects.forEach((slot, index) => {
      slotAtOwnIndex(slot, index, out);
    });
    return out;
  },
  checkChanged(world, { changes }) {
    const out: string[] = [];
    for (const index of changes.slots) slotAtOwnIndex(world.kernel.objects[index], index, out);
    return out;
  },
};

/** Checks the objects one allocation step created against the free IDs just before it. */
function checkAllocations(before: KernelState, after: KernelState, out: string[]): void {
  if (after.released) return;
  const created = after.objects
    .filter((slot) => slot !== null && slot.seq >= before.seq)
    .sort((a, b) => a!.seq - b!.seq);
  const free = freeIds(before);
  let next = before.objects.length;
  for (const slot of created) {
    const wanted = free.length > 0 ? free.shift()! : next++;
    if (slot!.id !== wanted)
      out.push(`${slot!.type} got ID ${slot!.id}, but the lowest free ID was ${wanted}`);
  }
}

export const lowestFreeId: Invariant = {
  name: 'lowest-free-id',
  kind: 'step',
  reads: ['kernel'],
  sentence:
    'Every object allocated by an event took the lowest ID free just before its allocation (IDs are reused at once).',
  source: 'main.c _iommufd_object_alloc (xa_alloc, not cyclic); Documentation/core-api/xarray.rst',
  check(world, step) {
    const { outcome } = step;
    const out: string[] = [];
    if (outcome.hostOps.length <= 1) {
      checkAllocations(step.prev.kernel, world.kernel, out);
      return out;
    }
    // A platform event frees and allocates in one step (make-before-break, reset then replay): run
    // its host operations again one by one on a copy, checking each against the free IDs before it.
    let kernel = structuredClone(step.prev.kernel) as KernelState;
    for (const record of outcome.hostOps) {
      if (record.injected === true) continue; // an injected failure never reached the kernel
      if (kernel.released) kernel = emptyKernel(); // QEMU's next connect opens a fresh context
      const before = structuredClone(kernel) as KernelState;
      applyKernelOp(kernel, record.op);
      checkAllocations(before, kernel, out);
    }
    return out;
  },
  // The checked path watched every operation allocate: compare each ID with the lowest free then.
  checkChanged(_world, { changes }) {
    const out = opened(lowestScratch);
    for (const { id, type, lowestFree } of changes.allocations)
      if (id !== lowestFree) out.push(`${type} got ID ${id}, but the lowest free ID was ${lowestFree}`);
    return closed(out);
  },
};
