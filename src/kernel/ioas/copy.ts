/**
 * IOMMU_IOAS_COPY: the pages behind a contiguous IOVA range of one IOAS mapped again into another
 * (or the same) IOAS, one new area per source area; the chosen or given IOVA is written back as
 * `dst_iova`. A copy can map writeable only pages that were pinned writable.
 * Kernel reference: drivers/iommu/iommufd/ioas.c (iommufd_ioas_copy), io_pagetable.c (iopt_get_pages,
 * iopt_map_pages, iopt_alloc_area_pages, iopt_insert_area). Linux 6.17-rc as read in the
 * Kingxukai/linux mirror at 9b44fff655e2.
 */
import { typedObject } from '../table.ts';
import { fail, type KernelOutcome, type KernelState } from '../types.ts';
import { addrAt, contiguousSlices } from './areas.ts';
import { addNoWrap, hex } from './iova.ts';
import { IOAS_MAP, mapFlagsRefusal, type PlacedSlice, placeSlices, protOf } from './map.ts';

export interface CopyCommand {
  readonly dst_ioas_id: number;
  readonly src_ioas_id: number;
  readonly flags: number;
  readonly length: bigint;
  readonly dst_iova: bigint;
  readonly src_iova: bigint;
}

export function ioasCopy(state: KernelState, cmd: CopyCommand): KernelOutcome {
  const refusal = mapFlagsRefusal(cmd.flags, [cmd.length, cmd.src_iova, cmd.dst_iova]);
  if (refusal !== undefined) return fail(refusal);
  const src = typedObject(state, cmd.src_ioas_id, 'IOAS');
  if (src === undefined) return fail('ENOENT');
  // iopt_get_pages
  if (cmd.length === 0n) return fail('EINVAL');
  const last = addNoWrap(cmd.src_iova, cmd.length - 1n);
  if (last === undefined) return fail('EOVERFLOW');
  const run = contiguousSlices(src.areas, cmd.src_iova, last);
  if (run === undefined) return fail('ENOENT');
  const dst = typedObject(state, cmd.dst_ioas_id, 'IOAS');
  if (dst === undefined) return fail('ENOENT');
  const slices: PlacedSlice[] = run.map((s) => ({
    addr: addrAt(s.area, s.from),
    length: s.length,
    writable: s.area.writable,
    source: s.area.source,
    // The same pages: the copy's host address moves with the slice's offset in its area.
    ...(s.area.hostPa === undefined
      ? {}
      : { hostPa: BigInt(s.area.hostPa) + (s.from - BigInt(s.area.iova)) }),
  }));
  const fixed = (cmd.flags & IOAS_MAP.FIXED_IOVA) !== 0 ? cmd.dst_iova : undefined;
  const placed = placeSlices(state, dst, slices, cmd.length, fixed, protOf(cmd.flags));
  if (typeof placed === 'string') return fail(placed);
  return { ok: true, out: { dst_iova: hex(placed) } };
}
