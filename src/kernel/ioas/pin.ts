/**
 * What an internal access's pin of a HW queue's guest memory needs of the nesting parent's IOAS:
 * the page-aligned range must be mapped by contiguous areas (iommufd_access_pin_pages: user memory
 * page aligned at the joins EINVAL, readable EPERM, no gap ENOENT), its pages must be physically
 * contiguous (EFAULT), and while the queue lives the areas it pinned are locked against unmap
 * (area->num_locks: EBUSY). Physical contiguity is judged only where the log describes host memory
 * (`host_pa` on the maps); an area without it is taken as contiguous with its neighbours.
 * Kernel reference: drivers/iommu/iommufd/viommu.c (iommufd_hw_queue_alloc_phys: "Validate if the
 * underlying physical pages are contiguous"), device.c (iommufd_access_pin_pages), pages.c
 * (iopt_area_add_access), io_pagetable.c (iopt_unmap_iova_range: num_locks). Linux 6.17-rc as read
 * in the Kingxukai/linux mirror at 0291023e7330.
 */

import { contigRun, pinRunRefusal } from '../access/area-pins.ts';
import type { IoasObject, KernelState } from '../types.ts';
import { areaSpan } from './areas.ts';
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

/** iommufd_access_pin_pages (flags 0: a read pin), then the page-by-page physical contiguity check (EFAULT). */
export function pinRefusal(
  ioas: IoasObject,
  range: IovaRange,
): 'ENOENT' | 'EINVAL' | 'EPERM' | 'EFAULT' | undefined {
  const span = spanOf(range);
  const refusal = pinRunRefusal(ioas, span.start, span.last, false);
  if (refusal !== undefined) return refusal as 'ENOENT' | 'EINVAL' | 'EPERM';
  return physicallyContiguous(ioas, span.start, span.last) ? undefined : 'EFAULT';
}

/** page_to_pfn(pages[i]) == page_to_pfn(pages[i - 1]) + 1 across the run, where host memory is described. */
function physicallyContiguous(ioas: IoasObject, start: bigint, last: bigint): boolean {
  const { run } = contigRun(ioas.areas, start, last);
  // Within an area the described pages are contiguous from host_pa: only the joins can break.
  for (let i = 1; i < run.length; i++) {
    const before = run[i - 1]!;
    const after = run[i]!;
    if (before.hostPa === undefined || after.hostPa === undefined) continue;
    const lastPage = BigInt(before.hostPa) + (areaSpan(before).last - BigInt(before.iova));
    if (BigInt(after.hostPa) / PAGE_SIZE !== lastPage / PAGE_SIZE + 1n) return false;
  }
  return true;
}

/** Whether an internal access (a live HW queue's) has pinned part of [start, last] of this IOAS. */
export function lockedByAccess(state: KernelState, ioasId: number, start: bigint, last: bigint): boolean {
  for (const slot of state.objects) {
    if (slot?.type !== 'ACCESS' || slot.ioas !== ioasId || slot.pinned === undefined) continue;
    if (intersects(spanOf(slot.pinned), start, last)) return true;
  }
  return false;
}
