/**
 * The unmap callback: before an area with pins is removed, every non-internal access attached to
 * the IOAS is told to stop using the range, and the selftest's callback unpins each of its items
 * that intersects it. Changing an access's IOAS and closing its fd tell it the same for the whole
 * IOVA space. The internal access of a HW queue is never told (its area is locked: EBUSY first).
 * Kernel reference: drivers/iommu/iommufd/device.c (iommufd_access_notify_unmap,
 * iommufd_access_change_ioas), selftest.c (iommufd_test_access_unmap), io_pagetable.c
 * (iopt_unmap_iova_range: num_accesses, EDEADLOCK). Linux 6.17-rc at 9b44fff655e2.
 */

import { intersects, ULONG_MAX } from '../ioas/iova.ts';
import { edit } from '../journal.ts';
import { typedObject } from '../table.ts';
import type { AccessObject, IoasObject, KernelState } from '../types.ts';
import { countPins } from './area-pins.ts';

/** iommufd_test_access_unmap(staccess, iova, length): every intersecting item is unpinned and dropped. */
export function selftestUnmap(state: KernelState, access: AccessObject, iova: bigint, last: bigint): void {
  const selftest = access.selftest;
  if (selftest === undefined || selftest.items.length === 0) return;
  const ioas = typedObject(state, access.ioas, 'IOAS');
  const kept = selftest.items.filter((item) => {
    const start = BigInt(item.iova);
    const itemLast = start + BigInt(item.length) - 1n;
    if (!intersects({ start, last: itemLast }, iova, last)) return true;
    if (ioas !== undefined) countPins(state, ioas, start, itemLast, -1);
    return false;
  });
  if (kept.length !== selftest.items.length) edit(state, access).selftest = { ...selftest, items: kept };
}

/** The whole IOVA space (ops->unmap(data, 0, ULONG_MAX)): before a change of IOAS and on close. */
export function selftestUnmapAll(state: KernelState, access: AccessObject): void {
  selftestUnmap(state, access, 0n, ULONG_MAX);
}

/** iommufd_access_notify_unmap: the non-internal accesses of this IOAS, in ID order (its access_list). */
export function notifyUnmap(state: KernelState, ioas: IoasObject, iova: bigint, last: bigint): void {
  for (const slot of state.objects) {
    if (slot?.type !== 'ACCESS' || slot.ioas !== ioas.id || slot.owner !== 0) continue;
    // An emulated (mdev) device's callback is the VFIO driver's dma_unmap; the model gives it no pins.
    selftestUnmap(state, slot, iova, last);
  }
}
