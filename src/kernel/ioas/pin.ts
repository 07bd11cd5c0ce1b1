/**
 * What an internal access's pin of a HW queue's guest memory needs of the nesting parent's IOAS:
 * the page-aligned range must be mapped by contiguous areas (ENOENT), and while the queue lives the
 * areas it pinned are locked against unmap (area->num_locks: EBUSY). The physical contiguity of
 * the pinned pages (EFAULT) depends on host memory the log cannot describe and is not modelled.
 * Kernel reference: drivers/iommu/iommufd/viommu.c (iommufd_hw_queue_alloc_phys), device.c
 * (iommufd_access_pin_pages), pages.c (iopt_area_add_access), io_pagetable.c
 * (iopt_unmap_iova_range: num_locks). Linux 6.17-rc as read in the Kingxukai/linux mirror at 0291023e7330.
 */
import type { IoasObject, KernelState } from '../types.ts';
import { contiguousSlices } from './areas.ts';
import { addNoWrap, hex, type IovaRange, intersects, PAGE_SIZE, spanOf, ULONG_MAX } from './iova.ts';

/** The page-aligned range iommufd_hw_queue_alloc_phys pins, or its errno. */
export function queuePinRange(iova: bigint, length: bigint): IovaRange | 'ERANGE' | 'EOVERFLOW' {
  const aligned = iova & ~(PAGE_SIZE - 1n);
  const withOffset = addNoWrap(iova - aligned, length);
  if (withOffset === undefined) return 'ERANGE';
  const rounded = addNoWrap(withOffset, PAGE_SIZE - 1n);
  if (rounded === undefined) return 'ERANGE';
  const pinLength = (rounded / PAGE_SIZE) * PAGE_SIZE;
  // iommufd_access_pin_pages: iova + length - 1 must not wrap.
  const last = addNoWrap(aligned, pinLength - 1n);
  if (last === undefined || last > ULONG_MAX) return 'EOVERFLOW';
  return { start: hex(aligned), last: hex(last) };
}

/** iommufd_access_pin_pages: every byte of the range in contiguous areas, else ENOENT. */
export function pinRefusal(ioas: IoasObject, range: IovaRange): 'ENOENT' | undefined {
  const span = spanOf(range);
  return contiguousSlices(ioas.areas, span.start, span.last) === undefined ? 'ENOENT' : undefined;
}

/** Whether an internal access (a live HW queue's) has pinned part of [start, last] of this IOAS. */
export function lockedByAccess(state: KernelState, ioasId: number, start: bigint, last: bigint): boolean {
  for (const slot of state.objects) {
    if (slot?.type !== 'ACCESS' || slot.ioas !== ioasId || slot.pinned === undefined) continue;
    if (intersects(spanOf(slot.pinned), start, last)) return true;
  }
  return false;
}
