/**
 * vtd_propagate_guest_pasid: make the host binding of one device follow its cached PASID entry.
 * Attach (cache valid): PGTT=PT attaches the default HWPT, PGTT=FST allocates a nested HWPT on it
 * from the cached entry and attaches that (make-before-break: the old first-stage HWPT is freed
 * only after the new attach succeeded; a new one whose attach failed is freed). Unbind (cache
 * invalid): detach (blocked) with TE=1 in scalable mode, else fall back to the default HWPT.
 * Returns an error text, or undefined on success.
 * QEMU reference: hw/i386/intel_iommu_accel.c (vtd_propagate_guest_pasid, vtd_device_attach_iommufd,
 * vtd_device_detach_iommufd, vtd_create_fs_hwpt, vtd_destroy_old_fs_hwpt); reference §1.7. pasid-series:
 * the same functions with vtd_pce->pasid, as queued in the PCI maintainer's tree (mst/qemu pci 31dbba011d0f, 2026-06-03).
 */
import type { PasidEntryEvent } from '../../../machines/pasid-entry.machine.ts';
import { pasidEntryFast } from '../../../machines/pasid-entry.machine.ts';
import { vtdDeviceFast } from '../../../machines/vtd-device.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import { HWPT_ALLOC, HWPT_DATA } from '../../kernel/uapi.ts';
import { emit } from '../../trace/emit.ts';
import { allocHwpt, attachHwpt, detachHwpt, freeId } from '../core/host.ts';
import { iommufdDevice, type VfioDevice } from '../core/state.ts';
import { firstStageData, isFirstStage, isPassThrough } from './entry.ts';
import { pasidsOn, touchBinding, type VtdPasidSlot, type VtdSpace, type VtdStep } from './state.ts';

/** sizeof(struct iommu_hwpt_vtd_s1). */
const VTD_S1_LEN = 24;

/** The PASID the vtd_device_* lines print for the RID: PCI_NO_PASID (-1 with %d); the series' IOMMU_NO_PASID (0). */
const ridPasid = (step: VtdStep): number => (step.frontend.variant === 'pasid-series' ? 0 : -1);

/** The RID's address space or, on pasid-series, one PASID's slot: the cache and the host binding. */
type Binding = Pick<VtdSpace, 'pasid' | 'host'>;

/** Steps the PASID entry statechart; false when it refuses (QEMU's early `return`). */
export function stepPasid(space: Pick<VtdSpace, 'pasid'>, event: PasidEntryEvent): boolean {
  const next = pasidEntryFast.step(space.pasid, event);
  if (next === undefined) return false;
  touchBinding(space as Binding);
  space.pasid = next;
  return true;
}

function destroyOldFsHwpt(step: VtdStep, space: Binding): void {
  const old = space.host.context.fsHwpt;
  if (old !== 0) freeId(step, old);
}

/** The PASID the VFIO callback gets: the series passes one (its trace prints it); baseline none. */
const calleePasid = (step: VtdStep, pasid: number): number | undefined =>
  step.frontend.variant === 'pasid-series' ? pasid : undefined;

function attach(
  step: VtdStep,
  space: Binding,
  device: VfioDevice,
  pasid = ridPasid(step),
): string | undefined {
  const pe = space.pasid.context.cached;
  if (pe === null || (!isFirstStage(pe) && !isPassThrough(pe))) return `Invalid PGTT type ${pe?.pgtt ?? 0}`;
  let hwpt = device.hwptId;
  if (isFirstStage(pe)) {
    const data = { type: HWPT_DATA.VTD_S1, len: VTD_S1_LEN, fields: firstStageData(pe) };
    // The series' vtd_create_fs_hwpt: `s->pasid ? IOMMU_HWPT_ALLOC_PASID : 0`.
    const flags = pasidsOn(step.frontend) ? HWPT_ALLOC.PASID : 0;
    const alloc = allocHwpt(step, device, device.hwptId, flags, data);
    if (!alloc.ok) return alloc.error;
    hwpt = alloc.id;
  }
  const result = attachHwpt(step, device, hwpt, calleePasid(step, Math.max(pasid, 0)));
  step.trace.push(emit.vtdAttachHwpt(device.devId, hwpt, result.ok, pasid));
  if (result.ok) {
    destroyOldFsHwpt(step, space);
    touchBinding(space);
    space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.attach', pgtt: pe.pgtt, hwpt });
    return undefined;
  }
  if (isFirstStage(pe)) freeId(step, hwpt);
  return result.error;
}

function unbind(
  step: VtdStep,
  space: Binding,
  device: VfioDevice,
  errorFatal: boolean,
  pasid = ridPasid(step),
): string | undefined {
  // The series' vtd_device_detach_iommufd: a PASID other than 0 is always detached.
  const te = step.frontend.dmarEnabled || pasid > 0;
  const scalable = step.frontend.rootScalable || pasid > 0;
  let result: { ok: boolean; error?: string };
  if (te && scalable) {
    result = detachHwpt(step, device, calleePasid(step, Math.max(pasid, 0)));
    // errp == &error_fatal: error_setg exits inside the failing call, before the vtd_device_* trace.
    if (!result.ok && errorFatal) return result.error;
    step.trace.push(emit.vtdDetachHwpt(device.devId, result.ok, pasid));
  } else {
    // "fallback to the default HWPT which contains shadow page table. So guest DMA could still work."
    result = attachHwpt(step, device, device.hwptId, calleePasid(step, 0));
    if (!result.ok && errorFatal) return result.error;
    step.trace.push(emit.vtdReattachDefHwpt(device.devId, device.hwptId, result.ok, ridPasid(step)));
  }
  if (!result.ok) return result.error;
  destroyOldFsHwpt(step, space);
  touchBinding(space);
  space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.detach', te, scalable });
  return undefined;
}

/**
 * Emulated devices, legacy-container devices and x-flts=off have nothing to propagate. `errorFatal`:
 * the caller passed &error_fatal (upstream's reset path), so QEMU exits inside the failing host call.
 */
export function propagate(
  step: VtdStep,
  dev: string,
  space: VtdSpace,
  errorFatal = false,
): string | undefined {
  const device = iommufdDevice(step.core, dev);
  if (!step.frontend.config.xFlts || device === undefined) return undefined;
  return space.pasid.value === 'valid'
    ? attach(step, space, device)
    : unbind(step, space, device, errorFatal);
}

/** fixed only: remember that this binding must be redone, or that it no longer must. */
export function markRetry(step: VtdStep, space: VtdSpace, pending: boolean): void {
  if (step.frontend.variant !== 'fixed' || space.host.value === 'unplugged') return;
  if (space.host.context.retry === pending) return;
  touchBinding(space);
  space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.retry', pending });
}

/**
 * pasid-series: the same for a PASID other than 0 of a PASID-capable device (vtd_device_attach_iommufd
 * and vtd_device_detach_iommufd with vtd_pce->pasid): attach at that PASID, or detach it.
 */
export function propagateSlot(step: VtdStep, dev: string, slot: VtdPasidSlot): string | undefined {
  const device = iommufdDevice(step.core, dev);
  if (!step.frontend.config.xFlts || device === undefined) return undefined;
  return slot.pasid.value === 'valid'
    ? attach(step, slot, device, slot.pasidId)
    : unbind(step, slot, device, false, slot.pasidId);
}
