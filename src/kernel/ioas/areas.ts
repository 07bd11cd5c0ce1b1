/**
 * Lookups on iopt->area_itree: which areas intersect a range, the contiguous run covering one
 * (iopt_area_contig_init / iopt_area_contig_next), and inserting areas in IOVA order.
 * Kernel reference: drivers/iommu/iommufd/io_pagetable.c (iopt_area_contig_*, iopt_area_iter_first,
 * iopt_area_start_byte). Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */
import type { IoptArea } from '../types.ts';
import { intersects, type Span } from './iova.ts';

export function areaSpan(area: IoptArea): Span {
  return { start: BigInt(area.iova), last: BigInt(area.last) };
}

export function areasIntersecting(areas: readonly IoptArea[], start: bigint, last: bigint): IoptArea[] {
  return areas.filter((area) => intersects(areaSpan(area), start, last));
}

/** One slice of a source area that a copy takes (struct iopt_pages_list). */
export interface PagesSlice {
  readonly area: IoptArea;
  /** The IOVA in the source area where the slice starts, and its length. */
  readonly from: bigint;
  readonly length: bigint;
}

/** iopt_for_each_contig_area over [iova, last]: the slices, or undefined when a gap breaks the run. */
export function contiguousSlices(
  areas: readonly IoptArea[],
  iova: bigint,
  last: bigint,
): PagesSlice[] | undefined {
  const slices: PagesSlice[] = [];
  let cursor = iova;
  for (;;) {
    const area = areas.find((a) => intersects(areaSpan(a), cursor, cursor));
    if (area === undefined) return undefined;
    const span = areaSpan(area);
    if (slices.length > 0 && span.start !== cursor) return undefined;
    const end = last < span.last ? last : span.last;
    slices.push({ area, from: cursor, length: end - cursor + 1n });
    if (last <= span.last) return slices;
    cursor = span.last + 1n;
  }
}

/** The user VA (or file offset) behind `iova` inside `area`: iopt_area_start_byte plus the pages' base. */
export function addrAt(area: IoptArea, iova: bigint): bigint {
  return BigInt(area.addr) + (iova - BigInt(area.iova));
}

/** The areas with `added` put in IOVA order (a new array: the journal's copy keeps the old one). */
export function withAreas(areas: readonly IoptArea[], added: readonly IoptArea[]): IoptArea[] {
  return [...areas, ...added].sort((a, b) => (BigInt(a.iova) < BigInt(b.iova) ? -1 : 1));
}
