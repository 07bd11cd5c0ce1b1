/**
 * What narrows an IOAS, derived from the objects: iopt->reserved_itree (each paging domain's area
 * outside its aperture, owned by the domain; each attached device's reserved regions, owned by the
 * device) and iopt->iova_alignment (the largest smallest page of the domains on the IOAS).
 * The kernel inserts and removes these nodes as domains come and go (iopt_table_add_domain /
 * iopt_table_remove_domain) and devices attach and detach at the RID
 * (iommufd_hw_pagetable_attach -> iommufd_device_attach_reserved_iova, iommufd_hw_pagetable_detach ->
 * iopt_remove_reserved_iova); the model derives the same set from who is on the IOAS now.
 * Kernel reference: drivers/iommu/iommufd/io_pagetable.c (iopt_table_add_domain, iopt_reserve_iova,
 * iopt_table_enforce_dev_resv_regions, iopt_calculate_iova_alignment: domains and pinning accesses),
 * device.c (find_hwpt_paging).
 * Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */
import { type DomainGeometry, driverOf } from '../drivers/index.ts';
import { attachedHwpt } from '../groups.ts';
import { liveObject } from '../table.ts';
import type { DeviceObject, DriverName, HwptPagingObject, IoasObject, KernelState } from '../types.ts';
import { type IovaRange, intersects, type Span, spanOf, ULONG_MAX } from './iova.ts';

export interface ReservedSpan extends Span {
  /** Who reserved it, in words (the kernel's owner pointer). */
  readonly owner: string;
}

export function geometryOf(driver: DriverName): DomainGeometry {
  return driverOf(driver).pagingGeometry;
}

/** The reserved nodes one paging domain adds: below and above its aperture. */
export function apertureReserved(driver: DriverName, owner: string): ReservedSpan[] {
  const { apertureStart, apertureEnd } = geometryOf(driver);
  const out: ReservedSpan[] = [];
  if (apertureStart !== 0n) out.push({ start: 0n, last: apertureStart - 1n, owner });
  if (apertureEnd !== ULONG_MAX) out.push({ start: apertureEnd + 1n, last: ULONG_MAX, owner });
  return out;
}

export function deviceResv(device: DeviceObject): readonly IovaRange[] {
  return device.resv ?? driverOf(device.driver).defaultResv;
}

export function deviceReserved(device: DeviceObject): ReservedSpan[] {
  return deviceResv(device).map((r) => ({ ...spanOf(r), owner: `device ${device.dev}` }));
}

/** find_hwpt_paging: the paging HWPT behind a HWPT (a nested one's parent). */
export function pagingOf(state: KernelState, hwptId: number): HwptPagingObject | undefined {
  const hwpt = liveObject(state, hwptId);
  if (hwpt?.type === 'HWPT_PAGING') return hwpt;
  if (hwpt?.type === 'HWPT_NESTED') {
    const parent = liveObject(state, hwpt.parent);
    return parent?.type === 'HWPT_PAGING' ? parent : undefined;
  }
  return undefined;
}

/** The IOAS a device's RID attachment reserves its regions in, 0 when none. */
export function ioasOfDevice(state: KernelState, device: DeviceObject): number {
  const hwpt = attachedHwpt(device, 0);
  return hwpt === undefined ? 0 : (pagingOf(state, hwpt)?.ioas ?? 0);
}

export function domainsOf(state: KernelState, ioasId: number): HwptPagingObject[] {
  const out: HwptPagingObject[] = [];
  for (const slot of state.objects) if (slot?.type === 'HWPT_PAGING' && slot.ioas === ioasId) out.push(slot);
  return out;
}

/** iopt->reserved_itree of an IOAS. */
export function reservedOf(state: KernelState, ioasId: number): ReservedSpan[] {
  const out: ReservedSpan[] = [];
  for (const hwpt of domainsOf(state, ioasId)) out.push(...apertureReserved(hwpt.driver, `HWPT ${hwpt.id}`));
  for (const slot of state.objects) {
    if (slot?.type === 'DEVICE' && ioasOfDevice(state, slot) === ioasId) out.push(...deviceReserved(slot));
  }
  return out;
}

/** iopt->iova_alignment: 1 for a table with no domain (iopt_init_table), else the domains' largest. */
export function iovaAlignment(state: KernelState, ioasId: number): bigint {
  let alignment = 1n;
  for (const hwpt of domainsOf(state, ioasId)) {
    const pgsize = geometryOf(hwpt.driver).pgsizeMin;
    if (pgsize > alignment) alignment = pgsize;
  }
  // An emulated device's access, a selftest access made with NEEDS_PIN_PAGES and a HW queue's internal
  // access (iommufd_access_create_internal) pin pages: access->iova_alignment is PAGE_SIZE.
  for (const slot of state.objects)
    if (
      slot?.type === 'ACCESS' &&
      (slot.dev !== undefined || slot.selftest?.needsPinPages === true || slot.owner !== 0) &&
      slot.ioas === ioasId &&
      alignment < 4096n
    )
      alignment = 4096n;
  return alignment;
}

/** iopt_reserve_iova's refusal: an area or an allowed range in the way is EADDRINUSE. */
export function reserveRefusal(ioas: IoasObject, span: Span): 'EADDRINUSE' | undefined {
  for (const area of ioas.areas)
    if (intersects(spanOf({ start: area.iova, last: area.last }), span.start, span.last)) return 'EADDRINUSE';
  for (const range of ioas.allowed) if (intersects(spanOf(range), span.start, span.last)) return 'EADDRINUSE';
  return undefined;
}

/** iopt_check_iova_alignment: every area conforms to a larger alignment, else EADDRINUSE. */
export function alignmentRefusal(ioas: IoasObject, alignment: bigint): 'EADDRINUSE' | undefined {
  const mask = alignment - 1n;
  for (const area of ioas.areas) {
    const iova = BigInt(area.iova);
    const length = BigInt(area.last) - iova + 1n;
    if ((iova & mask) !== 0n || (length & mask) !== 0n || ((BigInt(area.addr) % 4096n) & mask) !== 0n)
      return 'EADDRINUSE';
  }
  return undefined;
}

/**
 * iopt_table_add_domain's checks for a new paging domain of `driver` on the IOAS: the new alignment
 * (above PAGE_SIZE: EINVAL; existing areas that do not conform: EADDRINUSE), then the aperture's
 * reserved nodes (an area or allowed range outside the aperture: EADDRINUSE).
 */
export function addDomainRefusal(
  state: KernelState,
  ioas: IoasObject,
  driver: DriverName,
): 'EINVAL' | 'EADDRINUSE' | undefined {
  const current = iovaAlignment(state, ioas.id);
  const pgsize = geometryOf(driver).pgsizeMin;
  const next = pgsize > current ? pgsize : current;
  if (next > 4096n) return 'EINVAL';
  if (next !== current) {
    const refusal = alignmentRefusal(ioas, next);
    if (refusal !== undefined) return refusal;
  }
  for (const span of apertureReserved(driver, 'new domain')) {
    const refusal = reserveRefusal(ioas, span);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

/** iopt_table_enforce_dev_resv_regions: each region of the device becomes a reserved node, or EADDRINUSE. */
export function devResvRefusal(ioas: IoasObject, device: DeviceObject): 'EADDRINUSE' | undefined {
  // Only an area or an allowed range can be in the way: an IOAS with neither refuses no region (every attach asks).
  if (ioas.areas.length === 0 && ioas.allowed.length === 0) return undefined;
  for (const range of deviceResv(device)) {
    const refusal = reserveRefusal(ioas, spanOf(range));
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}
