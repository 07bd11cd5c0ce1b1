/**
 * IOMMU_IOAS_IOVA_RANGES (the holes of the reserved ranges, and the IOAS's alignment) and
 * IOMMU_IOAS_ALLOW_IOVAS (replace the allowed ranges as a whole, or refuse and keep the old ones).
 * Allowed ranges steer only the kernel's own IOVA choice: a fixed-IOVA map outside them succeeds
 * (iopt_check_iova does not read allowed_itree); they also make a later reservation over them fail.
 * Kernel reference: drivers/iommu/iommufd/ioas.c (iommufd_ioas_iova_ranges, iommufd_ioas_allow_iovas,
 * iommufd_ioas_load_iovas), io_pagetable.c (iopt_set_allow_iova). Linux 6.17-rc as read in the
 * Kingxukai/linux mirror at 9b44fff655e2.
 */
import { edit } from '../journal.ts';
import { typedObject } from '../table.ts';
import { fail, type KernelOutcome, type KernelState } from '../types.ts';
import { hex, holes, type IovaRange, intersects, rangeOf, type Span, spanOf, ULONG_MAX } from './iova.ts';
import { iovaAlignment, reservedOf } from './reserved.ts';

export interface IovaRangesCommand {
  readonly ioas_id: number;
  /** How many struct iommu_iova_range the caller's array holds. */
  readonly num_iovas: number;
}

/** The ranges IOMMU_IOAS_IOVA_RANGES reports: every hole of the reserved tree over the whole space. */
export function usableRanges(state: KernelState, ioasId: number): IovaRange[] {
  return holes(reservedOf(state, ioasId), 0n, ULONG_MAX).map(rangeOf);
}

export function ioasIovaRanges(state: KernelState, cmd: IovaRangesCommand): KernelOutcome {
  const ioas = typedObject(state, cmd.ioas_id, 'IOAS');
  if (ioas === undefined) return fail('ENOENT');
  const ranges = usableRanges(state, ioas.id);
  // num_iovas is written back either way; past the array's end the kernel only counts (EMSGSIZE).
  if (ranges.length > cmd.num_iovas) return fail('EMSGSIZE');
  return {
    ok: true,
    out: {
      num_iovas: ranges.length,
      out_iova_alignment: hex(iovaAlignment(state, ioas.id)),
      allowed_iovas: ranges,
    },
  };
}

export interface AllowIovasCommand {
  readonly ioas_id: number;
  readonly allowed_iovas: readonly IovaRange[];
}

export function ioasAllowIovas(state: KernelState, cmd: AllowIovasCommand): KernelOutcome {
  const ioas = typedObject(state, cmd.ioas_id, 'IOAS');
  if (ioas === undefined) return fail('ENOENT');
  // iommufd_ioas_load_iovas: each range non-empty and clear of the ones loaded before it.
  const loaded: Span[] = [];
  for (const range of cmd.allowed_iovas) {
    const span = spanOf(range);
    if (span.start >= span.last) return fail('EINVAL');
    if (loaded.some((s) => intersects(s, span.start, span.last))) return fail('EINVAL');
    loaded.push(span);
  }
  // iopt_set_allow_iova: no allowed range may cover a reserved one.
  const reserved = reservedOf(state, ioas.id);
  if (loaded.some((s) => reserved.some((r) => intersects(r, s.start, s.last)))) return fail('EADDRINUSE');
  edit(state, ioas).allowed = loaded.map(rangeOf);
  return { ok: true };
}
