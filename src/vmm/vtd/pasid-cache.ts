/**
 * The PASID cache: vtd_pasid_cache_sync (a PASID-cache invalidation, or a global replay after a
 * GCMD write or a context-cache flush), vtd_pasid_cache_reset_locked (the reset path of
 * vtd_reset_caches), and the `fixed` variant's retry of bindings whose host call failed.
 * Upstream, a host failure on the reset path is error_fatal: QEMU exits (reference §6.2).
 * QEMU reference: hw/i386/intel_iommu.c (vtd_pasid_cache_sync, vtd_pasid_cache_sync_locked,
 * vtd_pasid_cache_reset_locked, vtd_replay_pasid_bindings_all); reference §1.6. pasid-series: the
 * series' hw/i386/intel_iommu_accel.c (vtd_accel_pasid_cache_sync, vtd_accel_pasid_cache_invalidate_one,
 * vtd_accel_fill_pc, vtd_accel_delete_pc, vtd_accel_pasid_cache_reset, vtd_accel_replay_pasid_bind_for_dev)
 * as queued in the PCI maintainer's tree (mst/qemu pci 31dbba011d0f, 2026-06-03), with the PASIDs other than 0 of `pasid-bits`.
 */
import type { MachineState } from '../../../machines/define.ts';
import type { PasidEntryContext, PasidEntryValue } from '../../../machines/pasid-entry.machine.ts';
import { vtdDeviceFast } from '../../../machines/vtd-device.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import { emit } from '../../trace/emit.ts';
import { iommufdDevice } from '../core/state.ts';
import { readableEntry } from './entry.ts';
import { markRetry, propagate, propagateSlot, stepPasid } from './propagate.ts';
import { touchBinding, type VtdPasidSlot, type VtdSpace, type VtdState, type VtdStep } from './state.ts';

export type SyncInfo =
  | { readonly type: 'global' }
  | { readonly type: 'domain'; readonly did: number }
  | { readonly type: 'pasid'; readonly did: number; readonly pasid: number };

/**
 * The PASID_SI and DSI filters; the DID is the cached one while the cache is valid. pasid-series:
 * vtd_accel_pasid_cache_invalidate_one filters a removal by the cached DID, and
 * vtd_sm_pasid_table_walk_one an addition or a replacement by the guest entry's DID.
 */
function inScope(
  info: SyncInfo,
  pasid: MachineState<PasidEntryContext>,
  pe: PasidEntryValue | null,
  variant: VtdState['variant'],
  pasidId = 0,
): boolean {
  if (info.type === 'global') return true;
  // Descriptor PASID 0 is PCI_NO_PASID (the series: IOMMU_NO_PASID); other PASIDs are the series' slots.
  if (info.type === 'pasid' && info.pasid !== pasidId) return false;
  const did =
    variant === 'pasid-series'
      ? (pe?.did ?? pasid.context.cached?.did)
      : pasid.value === 'valid'
        ? pasid.context.cached?.did
        : pe?.did;
  return info.did === did;
}

/** What vtd_dev_get_pe_from_pasid reads: nothing without a scalable root ("-VTD_FR_RTADDR_INV_TTM"). */
function readableNow(vtd: VtdState, space: VtdSpace): PasidEntryValue | null {
  if (!vtd.rootScalable) return null;
  return readableEntry(vtd.config, space.contextPresent, space.pasid.context.guest);
}

function syncSpace(step: VtdStep, dev: string, space: VtdSpace, info: SyncInfo): void {
  const pe = readableNow(step.frontend, space);
  const before = space.pasid.value;
  const scoped = inScope(info, space.pasid, pe, step.frontend.variant);
  if (!stepPasid(space, { type: 'pasid.sync', entry: pe, inScope: scoped })) return;
  const prefix =
    before === 'invalid'
      ? 'Attaching to HWPT failed: '
      : space.pasid.value === 'invalid'
        ? 'Detaching from HWPT failed: '
        : 'Replacing HWPT attachment failed: ';
  // TODO in QEMU: fault injection into the guest; the error is only reported.
  const error = propagate(step, dev, space);
  if (error !== undefined) step.messages.push(`${prefix}${error}`);
  if (error !== undefined && step.frontend.variant === 'pasid-series' && space.pasid.value === 'invalid')
    forgetBinding(step, space);
  markRetry(step, space, error !== undefined);
}

/**
 * pasid-series, vtd_accel_delete_pc: the cache entry (and the fs_hwpt_id in it) is freed even when
 * the detach failed, so QEMU no longer knows the first-stage HWPT the device is still attached to.
 */
function forgetBinding(step: VtdStep, space: VtdSpace): void {
  if (space.host.value === 'unplugged') return;
  const { dmarEnabled: te, rootScalable: scalable } = step.frontend;
  touchBinding(space);
  space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.detach', te, scalable });
}

/**
 * pasid-series, vtd_accel_pasid_cache_reset: "Fake a global pasid cache invalidation", which drops
 * (and unbinds) only the entries whose guest entry can no longer be read; no error_fatal.
 */
function pasidSeriesReset(step: VtdStep): void {
  for (const space of step.frontend.spaces) {
    if (space.created && space.pasid.value === 'valid' && readableNow(step.frontend, space) === null)
      syncSpace(step, space.dev, space, { type: 'global' });
    if (!space.created) continue;
    for (const slot of space.pasids)
      if (slot.pasid.value === 'valid' && readableSlot(step.frontend, space, slot) === null)
        syncSlot(step, space, slot, { type: 'global' });
  }
}

/** vtd_pasid_cache_sync; `only` restricts it to one address space (vtd_pasid_cache_devsi). */
export function pasidCacheSync(step: VtdStep, info: SyncInfo, only?: string): void {
  const { spaces, rootScalable, dmarEnabled } = step.frontend;
  if (!rootScalable || !dmarEnabled) return;
  for (const space of spaces) {
    if (!space.created || (only !== undefined && space.dev !== only)) continue;
    if (space.pasids.length === 0) syncSpace(step, space.dev, space, info);
    else syncWithPasids(step, space, info);
  }
}

/** The guest entry of a PASID slot as vtd_dev_get_pe_from_pasid reads it. */
function readableSlot(vtd: VtdState, space: VtdSpace, slot: VtdPasidSlot): PasidEntryValue | null {
  if (!vtd.rootScalable) return null;
  return readableEntry(vtd.config, space.contextPresent, slot.pasid.context.guest);
}

/**
 * The end of the walk (vtd_accel_pasid_cache_sync, vtd_accel_replay_pasid_bind_for_dev): 2^pasid-bits,
 * but a PASID-selective sync's own [pasid, pasid + 1) instead, neither clipped by the other; then
 * MIN with dev_max_pasid, 1 << max_pasid_log2 (2^20 with PASID, 1 without). The context entry's PDTS
 * bound (ce_max_pasid) is not modelled: the guest's directory is taken to cover what it wrote.
 */
function walkEnd(vtd: VtdState, info: SyncInfo, capable: boolean): number {
  if (!capable) return 1;
  // max_pasid_log2 20: the kernel's max_pasids for a PASID-capable device (PASID_MAX + 1, kernel/uapi.ts).
  return Math.min(info.type === 'pasid' ? info.pasid + 1 : 2 ** vtd.config.pasidBits, 2 ** 20);
}

/**
 * pasid-series, vtd_accel_pasid_cache_sync for a device with PASIDs other than 0: first the removal
 * pass (vtd_accel_pasid_cache_invalidate: entries whose guest entry is gone), then the table walk up
 * to walkEnd, adding or replacing. QEMU's removal pass follows its list (newest entry first); the
 * model removes in PASID order.
 */
function syncWithPasids(step: VtdStep, space: VtdSpace, info: SyncInfo): void {
  const vtd = step.frontend;
  const capable = iommufdDevice(step.core, space.dev)?.pasid === true;
  const slots = [...space.pasids].sort((a, b) => a.pasidId - b.pasidId);
  const gone = (slot: VtdPasidSlot) =>
    slot.pasid.value === 'valid' && readableSlot(vtd, space, slot) === null;
  if (readableNow(vtd, space) === null) syncSpace(step, space.dev, space, info);
  for (const slot of slots) if (gone(slot)) syncSlot(step, space, slot, info);
  if (readableNow(vtd, space) !== null) syncSpace(step, space.dev, space, info);
  // (Model fix, issue 16c: a PASID-selective sync was clipped at 2^pasid-bits too.)
  const end = walkEnd(vtd, info, capable);
  for (const slot of slots)
    if (slot.pasidId < end && readableSlot(vtd, space, slot) !== null) syncSlot(step, space, slot, info);
}

/** syncSpace for one PASID other than 0 (vtd_accel_fill_pc / vtd_accel_delete_pc with vtd_pce->pasid). */
function syncSlot(step: VtdStep, space: VtdSpace, slot: VtdPasidSlot, info: SyncInfo): void {
  const pe = readableSlot(step.frontend, space, slot);
  const before = slot.pasid.value;
  const scoped = inScope(info, slot.pasid, pe, step.frontend.variant, slot.pasidId);
  if (!stepPasid(slot, { type: 'pasid.sync', entry: pe, inScope: scoped })) return;
  const prefix =
    before === 'invalid'
      ? 'Attaching to HWPT failed: '
      : slot.pasid.value === 'invalid'
        ? 'Detaching from HWPT failed: '
        : 'Replacing HWPT attachment failed: ';
  const error = propagateSlot(step, space.dev, slot);
  if (error === undefined) return;
  step.messages.push(`${prefix}${error}`);
  // vtd_accel_delete_pc frees the entry and its fs_hwpt_id even when the detach failed.
  if (slot.pasid.value === 'invalid' && slot.host.value !== 'unplugged') {
    touchBinding(slot);
    slot.host = mustStep(vtdDeviceFast, slot.host, { type: 'as.detach', te: true, scalable: true });
  }
}

/** fixed: a device the reset must move (first stage, or blocked once translation is off). */
function needsFixedReset(step: VtdStep, space: VtdSpace): boolean {
  const translating = step.frontend.dmarEnabled && step.frontend.rootScalable;
  return space.host.value === 'firstStage' || (space.host.value === 'blocked' && !translating);
}

/** vtd_pasid_cache_reset_locked: every valid entry is dropped and unbound ("It's fatal to get failure during reset"). */
export function pasidCacheReset(step: VtdStep): void {
  const vtd = step.frontend;
  const { spaces } = vtd;
  step.trace.push(emit.vtdPasidCacheReset());
  if (vtd.variant === 'pasid-series') {
    pasidSeriesReset(step);
    return;
  }
  for (const space of spaces) {
    if (!space.created) continue;
    const { dev } = space;
    const valid = space.pasid.value === 'valid';
    if (valid) stepPasid(space, { type: 'pasid.reset' });
    else if (
      vtd.variant === 'upstream' ||
      iommufdDevice(step.core, dev) === undefined ||
      !needsFixedReset(step, space)
    )
      continue;
    const error = propagate(step, dev, space, vtd.variant === 'upstream');
    if (error === undefined) {
      markRetry(step, space, false);
      continue;
    }
    if (vtd.variant === 'upstream') {
      // error_handle(&error_fatal): error_report then exit(1), inside the failing call.
      step.fatal = `qemu-system-x86_64: ${error}`;
      return;
    }
    step.messages.push(`Resetting HWPT attachment failed: ${error}`);
    markRetry(step, space, true);
  }
}

/** vtd_reset_caches: IOTLB, context cache, then the PASID cache. */
export function resetCaches(step: VtdStep): void {
  step.trace.push(emit.vtdContextCacheReset());
  pasidCacheReset(step);
}

/** fixed: redo bindings whose host call failed earlier (upstream never retries). */
export function retryPending(step: VtdStep): void {
  if (step.frontend.variant !== 'fixed') return;
  const { spaces } = step.frontend;
  for (const space of spaces) {
    if (!space.created || !space.host.context.retry) continue;
    const error = propagate(step, space.dev, space);
    if (error !== undefined) step.messages.push(`Retrying HWPT attachment failed: ${error}`);
    markRetry(step, space, error !== undefined);
  }
}
