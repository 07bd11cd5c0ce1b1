/**
 * IOMMU_IOAS_UNMAP: a range that must cover whole areas, or everything (iova 0, length U64_MAX); the
 * bytes unmapped are written back as `length`. Areas are removed lowest first, so an area that
 * straddles the range's end fails the call with ENOENT after the areas below it are gone: the kernel
 * does not roll those back, and neither does the model (the one ioctl that fails part-way).
 * Kernel reference: drivers/iommu/iommufd/ioas.c (iommufd_ioas_unmap), io_pagetable.c
 * (iopt_unmap_iova, iopt_unmap_all, iopt_unmap_iova_range). Linux 6.17-rc as read in the
 * Kingxukai/linux mirror at 9b44fff655e2.
 */
import { edit } from '../journal.ts';
import { typedObject } from '../table.ts';
import { type Errno, fail, type IoasObject, type KernelOutcome, type KernelState } from '../types.ts';
import { areaSpan } from './areas.ts';
import { addNoWrap, hex, intersects, U64_MAX, ULONG_MAX } from './iova.ts';
import { lockedByAccess } from './pin.ts';

export interface UnmapCommand {
  readonly ioas_id: number;
  readonly iova: bigint;
  readonly length: bigint;
}

/** iopt_unmap_iova_range: the bytes unmapped and the result (ENOENT when nothing, or on a straddle). */
function unmapRange(
  state: KernelState,
  ioas: IoasObject,
  start: bigint,
  last: bigint,
): { unmapped: bigint; errno?: Errno } {
  let unmapped = 0n;
  let kept = ioas.areas;
  for (const area of ioas.areas) {
    const span = areaSpan(area);
    if (!intersects(span, start, last)) continue;
    // area->num_locks: a HW queue's internal access pinned it; the queue must be destroyed first.
    if (lockedByAccess(state, ioas.id, span.start, span.last)) {
      if (kept !== ioas.areas) edit(state, ioas).areas = kept;
      return { unmapped, errno: 'EBUSY' };
    }
    if (span.start < start || span.last > last) {
      if (kept !== ioas.areas) edit(state, ioas).areas = kept;
      return { unmapped, errno: 'ENOENT' };
    }
    kept = kept.filter((a) => a !== area);
    unmapped += span.last - span.start + 1n;
  }
  if (kept !== ioas.areas) edit(state, ioas).areas = kept;
  return unmapped === 0n ? { unmapped, errno: 'ENOENT' } : { unmapped };
}

export function ioasUnmap(state: KernelState, cmd: UnmapCommand): KernelOutcome {
  const ioas = typedObject(state, cmd.ioas_id, 'IOAS');
  if (ioas === undefined) return fail('ENOENT');
  if (cmd.iova === 0n && cmd.length === U64_MAX) {
    // iopt_unmap_all: an empty IOAS is a success with length 0.
    const { unmapped, errno } = unmapRange(state, ioas, 0n, ULONG_MAX);
    if (errno !== undefined && errno !== 'ENOENT') return fail(errno);
    return { ok: true, out: { length: hex(unmapped) } };
  }
  if (cmd.iova >= ULONG_MAX || cmd.length >= ULONG_MAX) return fail('EOVERFLOW');
  if (cmd.length === 0n) return fail('EINVAL');
  const last = addNoWrap(cmd.iova, cmd.length - 1n);
  if (last === undefined) return fail('EOVERFLOW');
  const { unmapped, errno } = unmapRange(state, ioas, cmd.iova, last);
  if (errno !== undefined) return fail(errno);
  return { ok: true, out: { length: hex(unmapped) } };
}
