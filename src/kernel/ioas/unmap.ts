/**
 * IOMMU_IOAS_UNMAP: a range that must cover whole areas, or everything (iova 0, length U64_MAX); the
 * bytes unmapped are written back as `length`. Areas are removed lowest first, so an area that
 * straddles the range's end fails the call with ENOENT after the areas below it are gone: the kernel
 * does not roll those back, and neither does the model (the one ioctl that fails part-way). An
 * area that accesses hold pinned is first announced to them (the unmap callback unpins), then the
 * pass starts again from it; pins that stay make the kernel give up with EDEADLOCK.
 * Kernel reference: drivers/iommu/iommufd/ioas.c (iommufd_ioas_unmap), io_pagetable.c
 * (iopt_unmap_iova, iopt_unmap_all, iopt_unmap_iova_range), device.c (iommufd_access_notify_unmap). Linux 6.17-rc as read in the
 * Kingxukai/linux mirror at 9b44fff655e2.
 */

import { notifyUnmap } from '../access/notify.ts';
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

interface PassResult {
  readonly unmapped: bigint;
  readonly errno?: Errno;
  /** An area with pins stopped the pass: its users must be told first (num_accesses). */
  readonly pinned?: { readonly start: bigint; readonly last: bigint };
}

/** One pass of iopt_unmap_iova_range's loop (from `again:`): removes whole areas lowest first. */
function unmapPass(state: KernelState, ioas: IoasObject, start: bigint, last: bigint): PassResult {
  let unmapped = 0n;
  let kept = ioas.areas;
  const stop = (result: PassResult): PassResult => {
    if (kept !== ioas.areas) edit(state, ioas).areas = kept;
    return result;
  };
  for (const area of ioas.areas) {
    const span = areaSpan(area);
    if (!intersects(span, start, last)) continue;
    // area->num_locks: a HW queue's internal access pinned it; the queue must be destroyed first.
    if (lockedByAccess(state, ioas.id, span.start, span.last)) return stop({ unmapped, errno: 'EBUSY' });
    if (span.start < start || span.last > last) return stop({ unmapped, errno: 'ENOENT' });
    if ((area.accesses ?? 0) > 0) return stop({ unmapped, pinned: span });
    kept = kept.filter((a) => a !== area);
    unmapped += span.last - span.start + 1n;
  }
  return stop({ unmapped });
}

/** iopt_unmap_iova_range: the bytes unmapped and the result (ENOENT when nothing, or on a straddle). */
function unmapRange(
  state: KernelState,
  ioas: IoasObject,
  start: bigint,
  last: bigint,
): { unmapped: bigint; errno?: Errno } {
  let unmapped = 0n;
  let from = start;
  for (;;) {
    const pass = unmapPass(state, ioas, from, last);
    unmapped += pass.unmapped;
    if (pass.errno !== undefined) return { unmapped, errno: pass.errno };
    if (pass.pinned === undefined) return unmapped === 0n ? { unmapped, errno: 'ENOENT' } : { unmapped };
    // iommufd_access_notify_unmap, then `goto again` from the pinned area.
    from = pass.pinned.start;
    notifyUnmap(state, ioas, pass.pinned.start, pass.pinned.last);
    const still = ioas.areas.find((a) => a.iova === hex(from));
    // "Something is not responding to unmap requests": after 100 tries the kernel gives up.
    if ((still?.accesses ?? 0) > 0) return { unmapped, errno: 'EDEADLOCK' };
  }
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
