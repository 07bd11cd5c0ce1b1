/**
 * IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE: a user VA range (or a file range) becomes one area at a
 * fixed IOVA or at one the kernel chooses, with every check in the kernel's order. A refused map
 * changes nothing (the area is aborted, the pages put).
 * Kernel reference: drivers/iommu/iommufd/ioas.c (iommufd_ioas_map, iommufd_ioas_map_file,
 * conv_iommu_prot), io_pagetable.c (iopt_map_user_pages, iopt_map_file_pages, iopt_map_common,
 * iopt_alloc_area_pages, iopt_alloc_iova, __alloc_iova_check_range, iopt_check_iova,
 * iopt_insert_area), pages.c (iopt_alloc_user_pages, iopt_alloc_pages).
 * Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */
import { edit } from '../journal.ts';
import { typedObject } from '../table.ts';
import {
  type Errno,
  fail,
  type IoasObject,
  type IoptArea,
  type KernelOutcome,
  type KernelState,
} from '../types.ts';
import { IOAS_MAP } from '../uapi.ts';
import { areaSpan, withAreas } from './areas.ts';
import {
  addNoWrap,
  HPAGE_SIZE,
  hex,
  holes,
  intersects,
  lowestBit,
  PAGE_SIZE,
  roundupPowOfTwo,
  type Span,
  spanOf,
  ULONG_MAX,
} from './iova.ts';
import { iovaAlignment, reservedOf } from './reserved.ts';

export { IOAS_MAP };

const MAP_KNOWN = IOAS_MAP.FIXED_IOVA | IOAS_MAP.WRITEABLE | IOAS_MAP.READABLE;
export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;

/** The command fields every map-like ioctl checks first, in iommufd_ioas_map's order. */
export function mapFlagsRefusal(flags: number, values: readonly bigint[]): Errno | undefined {
  if ((flags & ~MAP_KNOWN) !== 0) return 'EOPNOTSUPP';
  if (values.some((v) => v >= ULONG_MAX)) return 'EOVERFLOW';
  if ((flags & (IOAS_MAP.WRITEABLE | IOAS_MAP.READABLE)) === 0) return 'EINVAL';
  return undefined;
}

/** conv_iommu_prot (IOMMU_CACHE left out: every modelled domain is coherent). */
export function protOf(flags: number): number {
  return (
    ((flags & IOAS_MAP.WRITEABLE) !== 0 ? IOMMU_WRITE : 0) |
    ((flags & IOAS_MAP.READABLE) !== 0 ? IOMMU_READ : 0)
  );
}

/** iopt_alloc_iova: the lowest hole of the allowed spans, aligned as the kernel aligns it; or the errno. */
function allocIova(state: KernelState, ioas: IoasObject, addr: bigint, length: bigint): bigint | Errno {
  if (length === 0n || length >= ULONG_MAX / 2n) return 'EOVERFLOW';
  const pageOffset = addr % PAGE_SIZE;
  let alignment = roundupPowOfTwo(length);
  if (addr !== 0n && lowestBit(addr) < alignment) alignment = lowestBit(addr);
  if (alignment >= HPAGE_SIZE) alignment = HPAGE_SIZE;
  if (alignment < iovaAlignment(state, ioas.id)) return 'EINVAL';
  const window: Span = { start: PAGE_SIZE, last: ULONG_MAX - PAGE_SIZE };
  const allowed =
    ioas.allowed.length === 0
      ? [window]
      : ioas.allowed
          .map(spanOf)
          .filter((s) => intersects(s, window.start, window.last))
          .map((s) => ({
            start: s.start < window.start ? window.start : s.start,
            last: s.last > window.last ? window.last : s.last,
          }))
          .sort((a, b) => (a.start < b.start ? -1 : 1));
  const used: Span[] = [...reservedOf(state, ioas.id), ...ioas.areas.map(areaSpan)];
  for (const span of allowed) {
    const start = checkRange(span.start, span.last, length, alignment, pageOffset);
    if (start === undefined) continue;
    for (const hole of holes(used, start, span.last)) {
      const iova = checkRange(hole.start, hole.last, length, alignment, pageOffset);
      if (iova !== undefined) return iova;
    }
  }
  return 'ENOSPC';
}

/** __alloc_iova_check_range: ALIGN_UP(start) | page_offset still leaves `length` before `last`. */
function checkRange(
  start: bigint,
  last: bigint,
  length: bigint,
  alignment: bigint,
  pageOffset: bigint,
): bigint | undefined {
  const up = addNoWrap(start, alignment - 1n);
  if (up === undefined) return undefined;
  const aligned = (up & ~(alignment - 1n)) | pageOffset;
  if (aligned >= last || last - aligned < length - 1n) return undefined;
  return aligned;
}

/** iopt_check_iova: a fixed IOVA must be aligned, not wrap, miss every reserved range and every area. */
function checkIova(state: KernelState, ioas: IoasObject, iova: bigint, length: bigint): Errno | undefined {
  if ((iova & (iovaAlignment(state, ioas.id) - 1n)) !== 0n) return 'EINVAL';
  const last = addNoWrap(iova, length - 1n);
  if (last === undefined) return 'EOVERFLOW';
  if (reservedOf(state, ioas.id).some((r) => intersects(r, iova, last))) return 'EINVAL';
  if (ioas.areas.some((a) => intersects(areaSpan(a), iova, last))) return 'EEXIST';
  return undefined;
}

/** One slice of pages to place, in order (iopt_pages_list); a map has one, a copy one per source area. */
export interface PlacedSlice {
  readonly addr: bigint;
  readonly length: bigint;
  readonly writable: boolean;
  readonly source: IoptArea['source'];
  /** The host physical address behind `addr`, when described. */
  readonly hostPa?: bigint;
}

/**
 * iopt_alloc_area_pages + iopt_insert_area for each slice: the IOVA (chosen or checked), then each
 * area; returns the first IOVA, having added the areas, or the errno having changed nothing.
 */
export function placeSlices(
  state: KernelState,
  ioas: IoasObject,
  slices: readonly PlacedSlice[],
  length: bigint,
  fixedIova: bigint | undefined,
  prot: number,
): bigint | Errno {
  const alignment = iovaAlignment(state, ioas.id);
  if ((length & (alignment - 1n)) !== 0n || length === 0n) return 'EINVAL';
  let iova: bigint;
  if (fixedIova === undefined) {
    const chosen = allocIova(state, ioas, slices[0]!.addr, length);
    if (typeof chosen === 'string') return chosen;
    iova = chosen;
  } else {
    const refusal = checkIova(state, ioas, fixedIova, length);
    if (refusal !== undefined) return refusal;
    iova = fixedIova;
  }
  const added: IoptArea[] = [];
  let cursor = iova;
  for (const slice of slices) {
    if ((prot & IOMMU_WRITE) !== 0 && !slice.writable) return 'EPERM';
    if (((slice.addr % PAGE_SIZE) & (alignment - 1n)) !== 0n) return 'EINVAL';
    const last = addNoWrap(cursor, slice.length - 1n);
    if (last === undefined) return 'EOVERFLOW';
    added.push({
      iova: hex(cursor),
      last: hex(last),
      prot,
      writable: slice.writable,
      addr: hex(slice.addr),
      source: slice.source,
      ...(slice.hostPa === undefined ? {} : { hostPa: hex(slice.hostPa) }),
    });
    cursor += slice.length;
  }
  edit(state, ioas).areas = withAreas(ioas.areas, added);
  return iova;
}

export interface MapCommand {
  readonly ioas_id: number;
  readonly flags: number;
  /** user_va of IOMMU_IOAS_MAP, or start (the file offset) of IOMMU_IOAS_MAP_FILE. */
  readonly addr: bigint;
  readonly length: bigint;
  readonly iova: bigint;
  readonly source: IoptArea['source'];
  /** IOMMU_IOAS_MAP_FILE's fd (fget after the IOAS lookup: a negative one is EBADF). */
  readonly fd?: number;
  /** The host physical address behind `addr` (the log's `host_pa`), when described. */
  readonly hostPa?: bigint;
}

/** iommufd_ioas_map / iommufd_ioas_map_file: the chosen or given IOVA is written back as `iova`. */
export function ioasMap(state: KernelState, cmd: MapCommand): KernelOutcome {
  const refusal = mapFlagsRefusal(cmd.flags, [cmd.iova, cmd.length]);
  if (refusal !== undefined) return fail(refusal);
  const ioas = typedObject(state, cmd.ioas_id, 'IOAS');
  if (ioas === undefined) return fail('ENOENT');
  if (cmd.fd !== undefined && cmd.fd < 0) return fail('EBADF');
  // iopt_alloc_user_pages: uptr + length must not wrap; iopt_alloc_pages: 0 < length <= SIZE_MAX - PAGE_SIZE.
  // iopt_alloc_file_pages: start + length must not wrap either.
  if (addNoWrap(cmd.addr, cmd.length) === undefined) return fail('EOVERFLOW');
  if (cmd.length === 0n || cmd.length > ULONG_MAX - PAGE_SIZE) return fail('EINVAL');
  const prot = protOf(cmd.flags);
  const fixed = (cmd.flags & IOAS_MAP.FIXED_IOVA) !== 0 ? cmd.iova : undefined;
  const slice: PlacedSlice = {
    addr: cmd.addr,
    length: cmd.length,
    writable: (prot & IOMMU_WRITE) !== 0,
    source: cmd.source,
    ...(cmd.hostPa === undefined ? {} : { hostPa: cmd.hostPa }),
  };
  const placed = placeSlices(state, ioas, [slice], cmd.length, fixed, prot);
  if (typeof placed === 'string') return fail(placed);
  return { ok: true, out: { iova: hex(placed) } };
}
