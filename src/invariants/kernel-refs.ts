/** Invariants on references and pins between kernel objects. */
import { liveObject } from '../kernel/table.ts';
import { expectedUsers, referencesOf } from './references.ts';
import type { Invariant } from './types.ts';

export const pinCountMatches: Invariant = {
  name: 'pin-count-matches',
  kind: 'state',
  reads: ['kernel'],
  sentence:
    "Each object's users count equals the references that pin it (objects, attachments, open fds, the driver's bind).",
  source:
    'reference §4 dependency graph; hw_pagetable.c, viommu.c, eventq.c, device.c refcount_inc/dec pairs',
  check(world) {
    const expected = expectedUsers(world.kernel);
    const out: string[] = [];
    for (const slot of world.kernel.objects) {
      if (slot === null || slot.type === 'TOMBSTONE') continue;
      const want = expected.get(slot.id) ?? 0;
      if (slot.users !== want)
        out.push(`${slot.type} ${slot.id} has users ${slot.users}, but ${want} references pin it`);
    }
    return out;
  },
};

export const referencesLiveAndTyped: Invariant = {
  name: 'references-live-and-typed',
  kind: 'state',
  reads: ['kernel'],
  sentence:
    'No reference from a live object, and no bound device name, names a dead object or an object of the wrong type.',
  source: 'main.c iommufd_object_remove (EBUSY while pinned); reference §4',
  check(world) {
    const out: string[] = [];
    const { kernel } = world;
    for (const slot of kernel.objects) {
      if (slot === null || slot.type === 'TOMBSTONE') continue;
      for (const ref of referencesOf(slot)) {
        const target = liveObject(kernel, ref.to);
        if (target === undefined)
          out.push(`${slot.type} ${slot.id} ${ref.what} names ${ref.to}, which is not live`);
        else if (!ref.expected.includes(target.type)) {
          out.push(
            `${slot.type} ${slot.id} ${ref.what} names ${target.type} ${ref.to}, expected ${ref.expected.join(' or ')}`,
          );
        }
      }
    }
    for (const [dev, id] of Object.entries(kernel.devices)) {
      const device = liveObject(kernel, id);
      if (device?.type !== 'DEVICE' || device.dev !== dev)
        out.push(`device "${dev}" is bound as ${id}, which is not its DEVICE`);
    }
    return out;
  },
};
