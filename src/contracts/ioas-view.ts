/**
 * The contracts' own view of what narrows an IOAS, derived again from the objects rather than taken
 * from src/kernel/ioas/reserved.ts: iopt->reserved_itree (each paging domain's IOVA outside its
 * aperture; each device attached at its RID through a HWPT of the IOAS adds its reserved regions)
 * and iopt->iova_alignment (the largest smallest page of the domains and of the accesses on it). Only the drivers' geometry and default regions (data) come from the model.
 * Kernel reference: io_pagetable.c iopt_table_add_domain, iopt_calculate_iova_alignment,
 * iopt_table_enforce_dev_resv_regions; device.c iommufd_hw_pagetable_attach (Linux 6.17-rc,
 * Kingxukai/linux 9b44fff655e2).
 */
import { driverOf } from '../kernel/drivers/index.ts';
import type {
  AccessObject,
  DeviceObject,
  DriverName,
  IoasObject,
  IoptArea,
  KernelState,
} from '../kernel/types.ts';
import { attachmentsOf, live } from './view.ts';

export const ULONG = (1n << 64n) - 1n;
export const PAGE = 4096n;

export interface IovaSpan {
  readonly start: bigint;
  readonly last: bigint;
}

export const spanOfArea = (area: IoptArea): IovaSpan => ({
  start: BigInt(area.iova),
  last: BigInt(area.last),
});
export const overlaps = (a: IovaSpan, start: bigint, last: bigint): boolean =>
  a.start <= last && start <= a.last;
export const toHex = (value: bigint): string => `0x${value.toString(16)}`;

/** The IOAS of the paging HWPT a HWPT stands on (a nested HWPT's parent), 0 when none. */
export function pagingIoas(state: KernelState, hwptId: number): number {
  const hwpt = live(state, hwptId);
  if (hwpt?.type === 'HWPT_PAGING') return hwpt.ioas;
  if (hwpt?.type === 'HWPT_NESTED') {
    const parent = live(state, hwpt.parent);
    return parent?.type === 'HWPT_PAGING' ? parent.ioas : 0;
  }
  return 0;
}

/** Every reserved span of the IOAS, unsorted. */
export function reservedSpans(state: KernelState, ioas: IoasObject): IovaSpan[] {
  const out: IovaSpan[] = [];
  for (const slot of state.objects) {
    if (slot?.type === 'HWPT_PAGING' && slot.ioas === ioas.id) {
      const { apertureStart, apertureEnd } = driverOf(slot.driver).pagingGeometry;
      if (apertureStart !== 0n) out.push({ start: 0n, last: apertureStart - 1n });
      if (apertureEnd !== ULONG) out.push({ start: apertureEnd + 1n, last: ULONG });
    }
    if (slot?.type === 'DEVICE') {
      const rid = attachmentsOf(slot).get(0);
      if (rid === undefined || pagingIoas(state, rid) !== ioas.id) continue;
      for (const r of slot.resv ?? driverOf(slot.driver).defaultResv)
        out.push({ start: BigInt(r.start), last: BigInt(r.last) });
    }
  }
  return out;
}

/** access->iova_alignment: PAGE_SIZE for an access that pins pages, 1 for a selftest one that does not. */
const accessAlignment = (access: AccessObject): bigint =>
  access.selftest !== undefined && !access.selftest.needsPinPages ? 1n : PAGE;

export function alignmentOf(state: KernelState, ioas: IoasObject): bigint {
  let alignment = 1n;
  for (const slot of state.objects) {
    if (slot?.type === 'HWPT_PAGING' && slot.ioas === ioas.id) {
      const page = driverOf(slot.driver).pagingGeometry.pgsizeMin;
      if (page > alignment) alignment = page;
    }
    // Every access on the IOAS's access_list counts: an mdev's, a selftest one made with
    // NEEDS_PIN_PAGES, and a HW queue's internal one (iommufd_access_create_internal) ask for PAGE_SIZE.
    if (slot?.type === 'ACCESS' && slot.ioas === ioas.id && accessAlignment(slot) > alignment)
      alignment = accessAlignment(slot);
  }
  return alignment;
}

/** The holes left in [start, last] by the used spans (interval_tree_for_each_span, is_hole). */
export function holesIn(used: readonly IovaSpan[], start: bigint, last: bigint): IovaSpan[] {
  const sorted = [...used]
    .filter((u) => overlaps(u, start, last))
    .sort((a, b) => (a.start < b.start ? -1 : 1));
  const out: IovaSpan[] = [];
  let cursor = start;
  for (const u of sorted) {
    if (u.start > cursor) out.push({ start: cursor, last: u.start - 1n });
    if (u.last >= last) return out;
    if (u.last + 1n > cursor) cursor = u.last + 1n;
  }
  out.push({ start: cursor, last });
  return out;
}

/** area->num_locks: a HW queue's internal access holds pages of the area locked. */
export function lockedArea(state: KernelState, ioas: IoasObject, span: IovaSpan): boolean {
  return state.objects.some(
    (slot) =>
      slot?.type === 'ACCESS' &&
      slot.ioas === ioas.id &&
      slot.pinned !== undefined &&
      overlaps(span, BigInt(slot.pinned.start), BigInt(slot.pinned.last)),
  );
}

/** iopt_reserve_iova: an area or an allowed range in the way of a new reserved span. */
function inTheWay(ioas: IoasObject, span: IovaSpan): boolean {
  return (
    ioas.areas.some((a) => overlaps(spanOfArea(a), span.start, span.last)) ||
    ioas.allowed.some((r) => overlaps(span, BigInt(r.start), BigInt(r.last)))
  );
}

/**
 * iopt_table_add_domain for a new paging domain of `driver`: the IOAS alignment it needs (above
 * PAGE_SIZE: EINVAL; an area not conforming to a raised one: EADDRINUSE), then its aperture's
 * reserved spans (an area or allowed range outside the aperture: EADDRINUSE).
 */
export function addDomainErrno(
  state: KernelState,
  ioas: IoasObject,
  driver: DriverName,
): 'EINVAL' | 'EADDRINUSE' | undefined {
  const { apertureStart, apertureEnd, pgsizeMin } = driverOf(driver).pagingGeometry;
  const current = alignmentOf(state, ioas);
  const next = pgsizeMin > current ? pgsizeMin : current;
  if (next > PAGE) return 'EINVAL';
  if (next !== current) {
    const mask = next - 1n;
    for (const area of ioas.areas) {
      const span = spanOfArea(area);
      const offset = BigInt(area.addr) % PAGE;
      if (
        (span.start & mask) !== 0n ||
        ((span.last - span.start + 1n) & mask) !== 0n ||
        (offset & mask) !== 0n
      )
        return 'EADDRINUSE';
    }
  }
  if (apertureStart !== 0n && inTheWay(ioas, { start: 0n, last: apertureStart - 1n })) return 'EADDRINUSE';
  if (apertureEnd !== ULONG && inTheWay(ioas, { start: apertureEnd + 1n, last: ULONG })) return 'EADDRINUSE';
  return undefined;
}

/** iopt_table_enforce_dev_resv_regions: each reserved region of the device against the IOAS. */
export function devResvErrno(ioas: IoasObject, device: DeviceObject): 'EADDRINUSE' | undefined {
  for (const r of device.resv ?? driverOf(device.driver).defaultResv)
    if (inTheWay(ioas, { start: BigInt(r.start), last: BigInt(r.last) })) return 'EADDRINUSE';
  return undefined;
}
