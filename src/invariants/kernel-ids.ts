/** Invariants on object IDs: never 0, unique, lowest free first. */
import type { KernelState } from '../kernel/types.ts';
import type { Invariant } from './types.ts';

function freeIds(kernel: KernelState): number[] {
  const free: number[] = [];
  for (let id = 1; id < kernel.objects.length; id++) if (kernel.objects[id] === null) free.push(id);
  return free;
}

export const noObjectIdZero: Invariant = {
  name: 'no-object-id-zero',
  sentence: 'No live object has ID 0, and no successful operation returns ID 0.',
  source: 'main.c iommufd_fops_open (xa_init_flags XA_FLAGS_ALLOC1); reference §3',
  check(world, { outcome }) {
    const out: string[] = [];
    if (world.kernel.objects[0] !== null) out.push('slot 0 of the object table is occupied');
    if (outcome.ok && outcome.id === 0) out.push('the operation succeeded and returned ID 0');
    return out;
  },
};

export const idsUnique: Invariant = {
  name: 'ids-unique',
  sentence: 'Every object, tombstone included, sits at the index of its own ID, so no ID names two objects.',
  source: 'main.c _iommufd_object_alloc (one xarray entry per ID)',
  check(world) {
    const out: string[] = [];
    world.kernel.objects.forEach((slot, index) => {
      if (slot !== null && slot.id !== index)
        out.push(`${slot.type} with ID ${slot.id} is stored at index ${index}`);
    });
    return out;
  },
};

export const lowestFreeId: Invariant = {
  name: 'lowest-free-id',
  sentence:
    'Every object allocated by an event took the lowest ID free before it, in allocation order (IDs are reused at once).',
  source: 'main.c _iommufd_object_alloc (xa_alloc, not cyclic); Documentation/core-api/xarray.rst',
  check(world, { prev }) {
    const created = world.kernel.objects
      .filter((slot) => slot !== null && slot.seq >= prev.kernel.seq)
      .sort((a, b) => a!.seq - b!.seq);
    if (created.length === 0 || world.kernel.released) return [];
    const free = freeIds(prev.kernel);
    let next = prev.kernel.objects.length;
    const out: string[] = [];
    for (const slot of created) {
      const wanted = free.length > 0 ? free.shift()! : next++;
      if (slot!.id !== wanted)
        out.push(`${slot!.type} got ID ${slot!.id}, but the lowest free ID was ${wanted}`);
    }
    return out;
  },
};
