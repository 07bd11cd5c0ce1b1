/**
 * How an access's pin lands on the areas under it: the walk over a contiguous run of areas with the
 * checks iommufd_access_pin_pages makes on each (alignment EINVAL, protection EPERM, a gap ENOENT),
 * and the per-area pin count (area->num_accesses) that unmap reads.
 * Kernel reference: drivers/iommu/iommufd/device.c (iommufd_access_pin_pages,
 * iommufd_access_unpin_pages, iopt_area_contig_is_aligned, check_area_prot), io_pagetable.c
 * (iopt_area_contig_init, iopt_area_contig_next), pages.c (iopt_area_add_access,
 * iopt_area_remove_access). Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */

import { addrAt, areaSpan } from '../ioas/areas.ts';
import { intersects, PAGE_SIZE } from '../ioas/iova.ts';
import { edit } from '../journal.ts';
import type { Errno, IoasObject, IoptArea, KernelState } from '../types.ts';

const IOMMU_READ = 1;
const IOMMU_WRITE = 2;

/** iopt_for_each_contig_area over [iova, last]: the run's areas, and whether it reached `last` (iopt_area_contig_done). */
export function contigRun(
  areas: readonly IoptArea[],
  iova: bigint,
  last: bigint,
): { readonly run: IoptArea[]; readonly done: boolean } {
  const run: IoptArea[] = [];
  let cursor = iova;
  for (;;) {
    const area = areas.find((a) => intersects(areaSpan(a), cursor, cursor));
    if (area === undefined || (run.length > 0 && areaSpan(area).start !== cursor))
      return { run, done: false };
    run.push(area);
    const span = areaSpan(area);
    if (last <= span.last) return { run, done: true };
    cursor = span.last + 1n;
  }
}

/**
 * iommufd_access_pin_pages' loop: per area in IOVA order, EINVAL when the bytes are not page
 * aligned at the run's joins, EPERM when the area lacks the protection asked for; ENOENT when the
 * run stops before `last`. `write`: IOMMUFD_ACCESS_RW_WRITE. `aligned` false: iommufd_access_rw's
 * loop, which has no alignment rule.
 */
export function pinRunRefusal(
  ioas: IoasObject,
  iova: bigint,
  last: bigint,
  write: boolean,
  aligned = true,
): Errno | undefined {
  const { run, done } = contigRun(ioas.areas, iova, last);
  for (let i = 0; i < run.length; i++) {
    const area = run[i]!;
    const from = i === 0 ? iova : areaSpan(area).start;
    const endsRun = done && i === run.length - 1;
    // iopt_area_contig_is_aligned: the first byte page aligned; an inner join ends on a page's last byte.
    if (aligned && addrAt(area, from) % PAGE_SIZE !== 0n) return 'EINVAL';
    if (aligned && !endsRun && addrAt(area, areaSpan(area).last) % PAGE_SIZE !== PAGE_SIZE - 1n)
      return 'EINVAL';
    if ((area.prot & (write ? IOMMU_WRITE : IOMMU_READ)) === 0) return 'EPERM';
  }
  return done ? undefined : 'ENOENT';
}

/** iopt_area_add_access / iopt_area_remove_access on every area of the run: area->num_accesses += delta. */
export function countPins(
  state: KernelState,
  ioas: IoasObject,
  iova: bigint,
  last: bigint,
  delta: 1 | -1,
): void {
  const { run, done } = contigRun(ioas.areas, iova, last);
  // unpin's WARN_ON(!iopt_area_contig_done): a pinned range is always fully mapped.
  if (!done) throw new Error(`IOAS ${ioas.id}: no contiguous areas under a pin of 0x${iova.toString(16)}`);
  const touched = new Set(run);
  edit(state, ioas).areas = ioas.areas.map((area) => {
    if (!touched.has(area)) return area;
    const count = (area.accesses ?? 0) + delta;
    if (count < 0) throw new Error(`IOAS ${ioas.id}: area ${area.iova} unpinned more often than pinned`);
    const { accesses: _old, ...rest } = area;
    return count === 0 ? rest : { ...rest, accesses: count };
  });
}
