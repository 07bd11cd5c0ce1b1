/**
 * Queued invalidation descriptors: PASID cache (→ vtd_pasid_cache_sync), context cache (global and
 * domain replay every binding, device-selective fakes a global PASID sync for one address space),
 * PASID-based IOTLB (forwarded to the first-stage HWPT, one entry per ioctl) and IOTLB (shadow
 * tables only, not forwarded).
 * QEMU reference: hw/i386/intel_iommu.c (vtd_process_pasid_desc, vtd_context_global_invalidate,
 * vtd_context_device_invalidate, vtd_pasid_cache_devsi, vtd_process_piotlb_desc),
 * intel_iommu_accel.c (vtd_flush_host_piotlb_all_locked); reference §1.5, §1.8.
 */
import { PGTT } from '../../../machines/vtd-device.machine.ts';
import type { InvalidateEntryFields } from '../../kernel/ops.ts';
import { INVALIDATE_DATA } from '../../kernel/uapi.ts';
import { LogInputError } from '../../log/errors.ts';
import type { EventOf } from '../../log/schema.ts';
import { toBigU64 } from '../../log/values.ts';
import { emit } from '../../trace/emit.ts';
import { invalidateCache } from '../core/host.ts';
import { iommufdDevice } from '../core/state.ts';
import { pasidCacheSync, type SyncInfo } from './pasid-cache.ts';
import { pasidsOn, spaceOf, type VtdStep } from './state.ts';

/** npages of an all-in-PASID flush: every page (2^64-1). */
const ALL_PAGES = `0x${((1n << 64n) - 1n).toString(16)}`;
/**
 * npages of a page-selective flush: vtd_piotlb_page_invalidate passes `1 << am`, a C int shift, to a
 * uint64_t. am >= 31 is undefined behaviour in C; the table holds what x86 code does (SHL masks the
 * count to 5 bits, bit 31 is the sign, sign-extended into the u64). Precomputed for am 0..63.
 */
const NPAGES: readonly string[] = Array.from(
  { length: 64 },
  (_, am) => `0x${BigInt.asUintN(64, BigInt.asIntN(32, 1n << BigInt(am & 31))).toString(16)}`,
);
const npagesOf = (am: number): string => NPAGES[am]!;
/** VTD_MAMV: the largest address mask an IOTLB page descriptor may carry. */
const VTD_MAMV = 18;
/** ~0xfff as a u64. */
const PAGE_MASK = ~0xfffn & ((1n << 64n) - 1n);
/** sizeof(struct iommu_hwpt_vtd_s1_invalidate). */
const VTD_S1_INV_LEN = 24;

export function invPasidCache(step: VtdStep, event: EventOf<'vtd.inv.pasid_cache'>): void {
  const did = event.did ?? 0;
  const pasid = event.pasid ?? 0;
  const info: SyncInfo =
    event.granularity === 'global'
      ? { type: 'global' }
      : event.granularity === 'domain'
        ? { type: 'domain', did }
        : { type: 'pasid', did, pasid };
  step.trace.push(
    info.type === 'global'
      ? emit.pasidCacheGsi()
      : info.type === 'domain'
        ? emit.pasidCacheDsi(did)
        : emit.pasidCachePsi(did, pasid),
  );
  pasidCacheSync(step, info);
}

/** A space's `bdf` is always dddd:bb:ss.f, slot <= 1f: a plug's (schema) or spaceOf's default (refused past 1f). */
function bdfParts(bdf: string): { bus: number; dev: number; fn: number } {
  const hex = (from: number, to?: number) => Number.parseInt(bdf.slice(from, to), 16);
  return { bus: hex(5, 7), dev: hex(8, 10), fn: hex(11) };
}

export function invContextCache(step: VtdStep, event: EventOf<'vtd.inv.context_cache'>, line: number): void {
  if (event.granularity !== 'device') {
    // vtd_process_context_cache_desc: DOMAIN traces its DID and falls through to GLOBAL, whose
    // vtd_context_global_invalidate traces cc_global itself.
    if (event.granularity === 'domain') step.trace.push(emit.ccDomain(event.did ?? 0));
    step.trace.push(emit.ccGlobal());
    pasidCacheSync(step, { type: 'global' }); // vtd_replay_pasid_bindings_all
    return;
  }
  if (event.dev === undefined) throw new LogInputError(line, 'dev', 'required when granularity is "device"');
  const space = spaceOf(step, event.dev);
  const { bus, dev, fn } = bdfParts(space.bdf);
  step.trace.push(emit.ccDevices((bus << 8) | (dev << 3) | fn));
  // vtd_context_device_invalidate walks the address spaces QEMU made: none where no device was realized.
  if (!space.created) return;
  step.trace.push(emit.ccDevice(bus, dev, fn));
  const vtd = step.frontend;
  if (!vtd.config.xFlts || !vtd.rootScalable || !vtd.dmarEnabled) return;
  step.trace.push(emit.pasidCacheDevsi(bus, dev, fn));
  pasidCacheSync(step, { type: 'global' }, event.dev);
}

// The last descriptor address as parsed, and its entry text: a guest flushes the same few ranges.
let lastAddrInput: number | string | undefined;
let lastAddrText = '0x0';

/** vtd_flush_host_piotlb_all_locked: every bound device whose cached FST entry has this DID, PASID 0 only. */
export function invPiotlb(step: VtdStep, event: EventOf<'vtd.inv.piotlb'>): void {
  const pasid = event.pasid ?? 0;
  const addrInput = event.addr ?? 0;
  if (addrInput !== lastAddrInput) {
    // VTD_INV_DESC_PIOTLB_ADDR: the descriptor's address bits only (the low 12 hold IH and AM).
    const parsed = toBigU64(addrInput) & PAGE_MASK;
    lastAddrText = `0x${parsed.toString(16)}`;
    lastAddrInput = addrInput;
  }
  const am = event.am ?? 0;
  const page = event.granularity === 'page';
  // vtd_process_piotlb_desc prints nothing: vtd_inv_desc_iotlb_pasid* are declared in trace-events but never called.
  if (pasid !== 0 && !pasidsOn(step.frontend)) return;
  const entry = page
    ? { addr: lastAddrText, npages: npagesOf(am), flags: event.ih ? 1 : 0 }
    : { addr: '0x0', npages: ALL_PAGES, flags: 0 };
  const { spaces, variant } = step.frontend;
  if (pasid !== 0) {
    flushPasidSlots(step, pasid, event.did, entry);
    return;
  }
  for (const space of spaces) {
    if (!space.created) continue;
    const cached = space.pasid.context.cached;
    if (space.pasid.value !== 'valid' || cached === null) continue;
    // The cheap filters before the device lookup (all are pure reads: same devices reached).
    if (cached.pgtt !== PGTT.FST || cached.did !== event.did) continue;
    if (iommufdDevice(step.core, space.dev) === undefined) continue;
    // upstream trusts the cache even when the first-stage HWPT was never attached (fs_hwpt_id 0).
    if (variant === 'fixed' && space.host.value !== 'firstStage') continue;
    const result = invalidateCache(
      step,
      space.host.context.fsHwpt,
      INVALIDATE_DATA.VTD_S1,
      VTD_S1_INV_LEN,
      entry,
    );
    // vtd_flush_host_piotlb_locked: error_report_err ("Something wrong in kernel, but trying to continue" is a comment).
    if (!result.ok) step.messages.push(result.error);
  }
}

/** pasid-series, vtd_flush_host_piotlb_locked: the cache entries of this PASID whose cached FST entry has this DID. */
function flushPasidSlots(step: VtdStep, pasid: number, did: number, entry: InvalidateEntryFields): void {
  for (const space of step.frontend.spaces) {
    if (!space.created || iommufdDevice(step.core, space.dev) === undefined) continue;
    for (const slot of space.pasids) {
      const cached = slot.pasid.context.cached;
      if (slot.pasidId !== pasid || slot.pasid.value !== 'valid' || cached === null) continue;
      if (cached.pgtt !== PGTT.FST || cached.did !== did) continue;
      const result = invalidateCache(
        step,
        slot.host.context.fsHwpt,
        INVALIDATE_DATA.VTD_S1,
        VTD_S1_INV_LEN,
        entry,
      );
      if (!result.ok) step.messages.push(result.error);
    }
  }
}

export function invIotlb(step: VtdStep, event: EventOf<'vtd.inv.iotlb'>): void {
  const did = event.did ?? 0;
  if (event.granularity === 'global') step.trace.push(emit.iotlbGlobal());
  else if (event.granularity === 'domain') step.trace.push(emit.iotlbDomain(did));
  else {
    const am = event.am ?? 0;
    // vtd_process_iotlb_desc refuses am > VTD_MAMV (error_report_once, queue error) before any trace.
    if (am > VTD_MAMV) return;
    // VTD_INV_DESC_IOTLB_ADDR: the address bits only.
    step.trace.push(emit.iotlbPages(did, toBigU64(event.addr ?? 0) & PAGE_MASK, am));
  }
}
