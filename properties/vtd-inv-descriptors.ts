/**
 * What QEMU does with each VT-d invalidation descriptor, written from the source rather than from
 * src/vmm/vtd (legoater/qemu 0137b0a01c5c, the x-flts series as merged: hw/i386/intel_iommu.c;
 * trace formats from hw/i386/trace-events, docs/reference/qemu-viommu.md §4), on the World before it:
 * - IOTLB (vtd_process_iotlb_desc): global, domain and page traces only, nothing forwarded to the host;
 *   a page descriptor with AM > VTD_MAMV (18) is refused before vtd_iotlb_page_invalidate traces;
 *   the address is VTD_INV_DESC_IOTLB_ADDR (the low 12 bits cleared);
 * - PASID-based IOTLB (vtd_process_piotlb_desc, vtd_flush_host_piotlb_all_locked, reference §1.8): no
 *   trace of its own; one IOMMU_HWPT_INVALIDATE (VTD_S1, 24-byte entry) per cached FST entry of an
 *   iommufd device with the descriptor's DID and PASID; all-in-PASID: addr 0, npages (uint64_t)-1,
 *   no IH; page: VTD_INV_DESC_PIOTLB_ADDR, npages `1 << am` (a C int), IH as IOMMU_VTD_INV_FLAGS_LEAF;
 * - PASID cache (vtd_process_pasid_desc): the gsi/dsi/psi trace with the descriptor's DID and PASID;
 * - context cache (vtd_process_context_cache_desc): DOMAIN traces cc_domain and falls through to
 *   vtd_context_global_invalidate (cc_global); DEVICE: vtd_context_device_invalidate traces
 *   cc_devices (sid, fmask 0), then per address space of that devfn cc_device, then
 *   vtd_pasid_cache_devsi traces only when x-flts, root_scalable and dmar_enabled.
 */
import type { KernelOp, LogEvent } from '../src/index.ts';
import type { VtdWorldView } from './vtd-view.ts';

export type Descriptor = Extract<
  LogEvent,
  { type: 'vtd.inv.iotlb' | 'vtd.inv.piotlb' | 'vtd.inv.pasid_cache' | 'vtd.inv.context_cache' }
>;

export const isDescriptor = (event: LogEvent): event is Descriptor =>
  event.type === 'vtd.inv.iotlb' ||
  event.type === 'vtd.inv.piotlb' ||
  event.type === 'vtd.inv.pasid_cache' ||
  event.type === 'vtd.inv.context_cache';

/** The trace events the descriptors own (the rest of a step's lines belong to the syncs and host calls). */
export const DESCRIPTOR_TRACE_EVENTS: readonly string[] = [
  'vtd_inv_desc_iotlb_global',
  'vtd_inv_desc_iotlb_domain',
  'vtd_inv_desc_iotlb_pages',
  'vtd_inv_desc_iotlb_pasid',
  'vtd_inv_desc_iotlb_pasid_pages',
  'vtd_inv_desc_pasid_cache_gsi',
  'vtd_inv_desc_pasid_cache_dsi',
  'vtd_inv_desc_pasid_cache_psi',
  'vtd_inv_desc_cc_global',
  'vtd_inv_desc_cc_domain',
  'vtd_inv_desc_cc_devices',
  'vtd_inv_desc_cc_device',
  'vtd_pasid_cache_devsi',
];

const U64 = (1n << 64n) - 1n;
/** PRIx formats: lower-case hex, no padding. */
const x = (value: number | bigint): string => value.toString(16);
/** %02"PRIx8. */
const x2 = (value: number): string => value.toString(16).padStart(2, '0');
/** A u64 field of the log: a number or a "0x…" string. */
const u64 = (value: number | string | undefined): bigint => BigInt(value ?? 0) & U64;
/** VTD_INV_DESC_IOTLB_ADDR / VTD_INV_DESC_PIOTLB_ADDR: `val & ~0xfffULL`. */
const descAddr = (value: number | string | undefined): bigint => u64(value) & ~0xfffn & U64;

/**
 * vtd_piotlb_page_invalidate passes `1 << am` (am a uint8_t promoted to int) to a uint64_t: 2^am up to
 * am 30, INT_MIN sign-extended at 31; a shift of 32 or more is undefined in C, and x86-64's SHL (what
 * GCC emits for a variable count) uses the count modulo 32.
 */
export function cIntShiftToU64(am: number): bigint {
  const shift = am % 32;
  return shift === 31 ? U64 - (1n << 31n) + 1n : 1n << BigInt(shift);
}

/** VTD_MAMV: the largest AM an IOTLB page descriptor may carry (intel_iommu_internal.h). */
const VTD_MAMV = 18;

export interface Bdf {
  readonly bus: number;
  readonly dev: number;
  readonly fn: number;
}

export function bdfOf(text: string): Bdf {
  const [, bus, dev, fn] = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(text)!;
  return { bus: Number.parseInt(bus!, 16), dev: Number.parseInt(dev!, 16), fn: Number.parseInt(fn!, 16) };
}

/** The descriptor's own trace lines, in order. */
export function expectedLines(
  before: VtdWorldView,
  event: Descriptor,
  bdfs: ReadonlyMap<string, Bdf>,
): string[] {
  const did = event.did ?? 0;
  switch (event.type) {
    case 'vtd.inv.iotlb':
      if (event.granularity === 'global') return ['vtd_inv_desc_iotlb_global iotlb invalidate global'];
      if (event.granularity === 'domain')
        return [`vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x${x(did)}`];
      if ((event.am ?? 0) > VTD_MAMV) return [];
      return [
        `vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x${x(did)} addr 0x${x(descAddr(event.addr))} mask 0x${x(event.am ?? 0)}`,
      ];
    case 'vtd.inv.piotlb':
      return [];
    case 'vtd.inv.pasid_cache':
      if (event.granularity === 'global') return ['vtd_inv_desc_pasid_cache_gsi '];
      if (event.granularity === 'domain')
        return [`vtd_inv_desc_pasid_cache_dsi Domain selective PC invalidation domain 0x${x(did)}`];
      return [
        `vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x${x(did)} pasid 0x${x(event.pasid ?? 0)}`,
      ];
    case 'vtd.inv.context_cache': {
      if (event.granularity !== 'device') {
        const global = 'vtd_inv_desc_cc_global context invalidate globally';
        return event.granularity === 'domain'
          ? [`vtd_inv_desc_cc_domain context invalidate domain 0x${x(did)}`, global]
          : [global];
      }
      const name = event.dev!;
      const bdf = bdfs.get(name)!;
      const sid = (bdf.bus << 8) | (bdf.dev << 3) | bdf.fn;
      const lines = [`vtd_inv_desc_cc_devices context invalidate devices sid 0x${x(sid)} fmask 0x0`];
      const space = before.vtd.spaces.find((s) => s.dev === name);
      if (space === undefined || !space.created) return lines;
      const at = `${x2(bdf.bus)}:${x2(bdf.dev)}.${x2(bdf.fn)}`;
      lines.push(`vtd_inv_desc_cc_device context invalidate device ${at}`);
      const { vtd } = before;
      if (vtd.config.xFlts && vtd.rootScalable && vtd.dmarEnabled)
        lines.push(`vtd_pasid_cache_devsi Dev selective PC invalidation dev: ${at}`);
      return lines;
    }
  }
}

/** Whether QEMU may call the host for this descriptor: never for an IOTLB one, nor for a device-selective context flush that does not reach vtd_pasid_cache_devsi's sync. */
export function mayCallHost(lines: readonly string[], event: Descriptor): boolean {
  if (event.type === 'vtd.inv.iotlb') return false;
  if (event.type !== 'vtd.inv.context_cache' || event.granularity !== 'device') return true;
  return lines.some((line) => line.startsWith('vtd_pasid_cache_devsi '));
}

export type InvalidateOp = Extract<KernelOp, { type: 'iommufd.invalidate' }>;

/** The IOMMU_HWPT_INVALIDATE calls of a PIOTLB descriptor: HWPT id and the one entry, in no particular order (QEMU walks a hash table). */
export function expectedInvalidations(
  before: VtdWorldView,
  event: Extract<LogEvent, { type: 'vtd.inv.piotlb' }>,
): { id: number; data_type: number; entries: { addr: string; npages: string; flags: number }[] }[] {
  const page = event.granularity === 'page';
  const entry = page
    ? {
        addr: `0x${x(descAddr(event.addr))}`,
        npages: `0x${x(cIntShiftToU64(event.am ?? 0))}`,
        flags: event.ih === true ? 1 : 0,
      }
    : { addr: '0x0', npages: `0x${x(U64)}`, flags: 0 };
  const { vtd, devices } = before;
  const pasid = event.pasid ?? 0;
  // iommufdDevice: QEMU holds the device through the iommufd backend (vtd_find_hiod_iommufd).
  const held = new Set(devices.filter((d) => d.backend === 'iommufd').map((d) => d.dev));
  const ids: number[] = [];
  for (const space of vtd.spaces) {
    if (!space.created || !held.has(space.dev)) continue;
    // PASID 0 is the RID's entry (vtd_as_to_iommu_pasid_locked); other PASIDs the series' cache entries.
    const slots =
      pasid === 0
        ? [{ pasid: space.pasid, host: space.host }]
        : space.pasids.filter((s) => s.pasidId === pasid);
    for (const slot of slots) {
      const cached = slot.pasid.context.cached;
      if (slot.pasid.value !== 'valid' || cached === null) continue;
      if (cached.pgtt !== 1 || cached.did !== event.did) continue; // vtd_pe_pgtt_is_fst, the cached DID
      // fixed: only an entry whose first-stage HWPT is attached (upstream trusts the cache).
      if (vtd.variant === 'fixed' && slot.host.value !== 'firstStage') continue;
      ids.push(slot.host.context.fsHwpt);
    }
  }
  return ids.map((id) => ({ id, data_type: 0, entries: [entry] }));
}
