/**
 * The VT-d PCIIOMMUOps (vtd_iommu_ops): the address space of a bus/devfn, the flags VFIO asks for,
 * and set/unset of a host IOMMU device. set_iommu_device runs the host-device checks and marks the
 * address space as backed by an iommufd device; unset_iommu_device, upstream, only drops it (the
 * first-stage HWPT stays: reference §6.6), while `fixed` first detaches the device, frees the
 * first-stage HWPT and forgets the cached binding before VFIO's teardown.
 * QEMU reference: hw/i386/intel_iommu.c (vtd_iommu_ops, vtd_host_dma_iommu, vtd_find_add_as,
 * vtd_dev_set_iommu_device, vtd_dev_unset_iommu_device, vtd_get_viommu_flags); reference §1.10, §6.6.
 */
import { vtdDeviceFast } from '../../../machines/vtd-device.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import { HWPT_ALLOC } from '../../kernel/uapi.ts';
import { VIOMMU_FLAG_WANT_NESTING_PARENT } from '../core/frontend.ts';
import { detachHwpt, freeId } from '../core/host.ts';
import { findNamed } from '../core/named.ts';
import { defaultBdf, keepAddress, type PlugAddress } from '../core/pci-address.ts';
import type { VfioDevice } from '../core/state.ts';
import { stepPasid } from './propagate.ts';
import { deviceCheckFailure } from './realize.ts';
import {
  blockedHost,
  pasidsOn,
  spaceOf,
  touchBinding,
  type VtdPasidSlot,
  type VtdState,
  type VtdStep,
} from './state.ts';

/** Where vfio.plug realizes `dev`: its address space's address (kept after unplug), the `bdf` given, or the default. */
export function plugAddress(step: VtdStep, dev: string, bdf: string | undefined): PlugAddress {
  const kept = findNamed(step.frontend.spaces, dev);
  if (kept !== undefined) {
    keepAddress(kept.bdf, bdf, 'bdf', dev, step.line);
    return { bdf: kept.bdf, chosen: kept.chosen };
  }
  if (bdf !== undefined) return { bdf, chosen: false };
  return { bdf: defaultBdf(step.frontend.spaces.length, dev, step.line), chosen: true };
}

/** vtd_host_dma_iommu → vtd_find_add_as: made at realize and kept after unplug. */
export function getAddressSpace(step: VtdStep, dev: string, bdf: string | undefined): void {
  const space = spaceOf(step, dev, bdf);
  touchBinding(space);
  space.created = true;
}

/** vtd_get_viommu_flags: VIOMMU_FLAG_WANT_NESTING_PARENT iff x-flts. */
export function getViommuFlags(vtd: VtdState): number {
  return vtd.config.xFlts ? VIOMMU_FLAG_WANT_NESTING_PARENT : 0;
}

/**
 * pasid-series, "vfio/iommufd: Create nesting parent hwpt with IOMMU_HWPT_ALLOC_PASID flag": the S2
 * is PASID-compatible when the vIOMMU exposes PASIDs (VIOMMU_FLAG_PASID_SUPPORTED, commit "Expose flag
 * VIOMMU_FLAG_PASID_SUPPORTED"; the patch text was not read: the condition is the commit subject's).
 */
export function nestParentFlags(vtd: VtdState): number {
  return pasidsOn(vtd) ? HWPT_ALLOC.PASID : 0;
}

/** vtd_dev_set_iommu_device: vtd_check_hiod, then the iommufd device backs the address space. */
export function setIommuDevice(step: VtdStep, device: VfioDevice): string | undefined {
  const vtd = step.frontend;
  const check = deviceCheckFailure(vtd.config, device.backend, vtd.variant);
  if (check !== undefined || device.backend !== 'iommufd') return check;
  const space = spaceOf(step, device.dev);
  touchBinding(space);
  space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.plug' });
  // pasid-series: the cache entries hang off the new VTDHostIOMMUDevice (vtd_hiod->pasid_cache_list),
  // which starts empty: a PASID other than 0 is uncached, with nothing attached.
  if (space.pasids.length > 0) space.pasids = space.pasids.map((slot) => freshSlot(slot));
  // fixed: an address space that already caches a binding gets it replayed at the next guest operation.
  if (vtd.variant === 'fixed' && vtd.config.xFlts && space.pasid.value === 'valid')
    space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.retry', pending: true });
  return undefined;
}

/** vtd_dev_unset_iommu_device. */
export function unsetIommuDevice(step: VtdStep, device: VfioDevice): void {
  if (device.backend !== 'iommufd') return;
  const space = spaceOf(step, device.dev);
  // upstream: vtd_dev_unset_iommu_device only drops the host device; the first-stage HWPT stays.
  if (step.frontend.variant === 'fixed') releaseFirstStage(step, device);
  touchBinding(space);
  space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.unplug' });
  // pasid-series: the PASID entries are kept with their fs_hwpt_id, as the RID's (unplug path assumed upstream's).
  if (space.pasids.length > 0)
    space.pasids = space.pasids.map((slot) =>
      slot.host.value === 'unplugged'
        ? slot
        : { ...slot, host: mustStep(vtdDeviceFast, slot.host, { type: 'as.unplug' }) },
    );
}

/** fixed: block the device, free its first-stage HWPT and forget the cached binding before VFIO's teardown. */
function releaseFirstStage(step: VtdStep, device: VfioDevice): void {
  const space = spaceOf(step, device.dev);
  const fs = space.host.context.fsHwpt;
  if (fs !== 0 && detachHwpt(step, device).ok) {
    freeId(step, fs);
    touchBinding(space);
    space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.detach', te: true, scalable: true });
  }
  if (space.pasid.value === 'valid') stepPasid(space, { type: 'pasid.reset' });
}

/** A PASID slot of a newly set host device: its cached entry dropped, nothing attached. */
function freshSlot(slot: VtdPasidSlot): VtdPasidSlot {
  const fresh = { ...slot, host: blockedHost(slot.host) };
  if (fresh.pasid.value === 'valid') stepPasid(fresh, { type: 'pasid.reset' });
  return fresh;
}
