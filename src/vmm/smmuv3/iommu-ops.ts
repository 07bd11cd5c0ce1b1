/**
 * The SMMUv3 PCIIOMMUOps. accel=on (smmuv3_accel_ops): a vfio-pci device's address space is the
 * shared system-memory alias (VFIO maps guest RAM into the S2), the flags ask for a nesting parent,
 * the first set_iommu_device allocates the vIOMMU, then the abort and bypass proxy HWPTs, then
 * attaches the device to the GBPA proxy; a later device is only added to the list (upstream: it
 * stays on its S2 default until a reset, a GBPA write or a CFGI_STE; `fixed` attaches it as the guest
 * state calls for). unset_iommu_device re-attaches the S2 default, frees the translate HWPT and the
 * vDEVICE, and with the last device the bypass and abort proxies and the vIOMMU.
 * accel=off (smmu_ops): the SMMU's IOMMU address space; VFIO's listener then registers a MAP
 * notifier, which smmuv3_notify_flag_changed refuses (iommu-region.ts), so no VFIO device is realized.
 * QEMU reference: hw/arm/smmuv3-accel.c (smmuv3_accel_find_add_as, smmuv3_accel_supports_as,
 * smmuv3_accel_get_viommu_flags, smmuv3_accel_set_iommu_device, smmuv3_accel_alloc_viommu,
 * smmuv3_accel_unset_iommu_device, smmuv3_accel_free_viommu) at qemu/qemu 13b941aaff48;
 * hw/arm/smmuv3.c (smmuv3_notify_flag_changed) at qemu/qemu c6445544d4ce; hw/arm/smmu-common.c
 * (smmu_get_sid, smmu_find_add_as: the IOMMU MR name); hw/pci/pci.c pci_device_iommu_msi_direct_gpa
 * and smmuv3_accel_get_msi_gpa (the MSI doorbell rule); reference §2.1, §2.2, §2.5, §2.6.
 */

import { smmuStreamFast } from '../../../machines/smmuv3-stream.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import { HWPT_DATA } from '../../kernel/uapi.ts';
import { LogInputError } from '../../log/errors.ts';
import { VIOMMU_FLAG_WANT_NESTING_PARENT } from '../core/frontend.ts';
import { allocHwpt, attachHwpt, detachHwpt, freeId } from '../core/host.ts';
import { findNamed, removeNamed } from '../core/named.ts';
import { defaultBdf, keepAddress, type PlugAddress, parseBdf } from '../core/pci-address.ts';
import type { VfioDevice } from '../core/state.ts';
import { allocViommu } from './host.ts';
import { hostIncompatibility } from './host-compat.ts';
import { gbpaHwpt, installAndRecord, type SteSource } from './install.ts';
import {
  type SmmuAccelDevice,
  type SmmuSpace,
  type SmmuState,
  type SmmuStep,
  type SmmuViommu,
  type StreamInstall,
  s1HwptOf,
  stepStream,
  stepVsmmu,
  streamAttached,
} from './state.ts';
import { ABORT_PROXY_STE, BYPASS_PROXY_STE } from './ste.ts';
import { smmuEmit } from './trace.ts';
import { allocVeventq, freeVeventq } from './veventq.ts';

/** include/hw/iommu.h: VIOMMU_FLAG_PASID_SUPPORTED. */
export const VIOMMU_FLAG_PASID_SUPPORTED = 1 << 1;
const STE_DATA_LEN = 16;

const hex2 = (value: number) => value.toString(16).padStart(2, '0');

/** The bus/devfn a vfio.plug names: its `bdf`, else the one its `sid` is, else the next free slot on bus 0. */
function addressOf(
  smmu: SmmuState,
  dev: string,
  bdf: string | undefined,
  sid: number | undefined,
  line: number,
): string {
  if (bdf !== undefined) {
    const { bus, slot, fn } = parseBdf(bdf);
    const built = (bus << 8) | (slot << 3) | fn;
    if (sid !== undefined && sid !== built)
      throw new LogInputError(
        line,
        'sid',
        `sid 0x${sid.toString(16)} is not the stream ID of bdf ${bdf}: smmu_get_sid is PCI_BUILD_BDF(bus, devfn) = 0x${built.toString(16)}`,
      );
    return bdf;
  }
  if (sid !== undefined) {
    if (sid > 0xffff)
      throw new LogInputError(
        line,
        'sid',
        `sid 0x${sid.toString(16)} is not a PCI requester ID (16 bits: bus << 8 | devfn)`,
      );
    return `0000:${hex2(sid >> 8)}:${hex2((sid >> 3) & 0x1f)}.${sid & 7}`;
  }
  return defaultBdf(smmu.spaces.length, dev, line);
}

/**
 * The SMMUDevice of a bus/devfn (smmuv3_accel_get_dev / smmu_find_add_as), made on first use. A
 * `sid` must be the bus/devfn's own: QEMU derives the stream ID from the PCI address, never apart.
 */
export function spaceOf(
  smmu: SmmuState,
  dev: string,
  bdf: string | undefined,
  sid?: number,
  line = 0,
): SmmuSpace {
  const existing = findNamed(smmu.spaces, dev);
  if (existing !== undefined) return existing;
  const address = addressOf(smmu, dev, bdf, sid, line);
  const { bus, slot, fn } = parseBdf(address);
  const devfn = (slot << 3) | fn;
  const space: SmmuSpace = {
    dev,
    bdf: address,
    sid: (bus << 8) | devfn,
    devfn,
    chosen: bdf === undefined && sid === undefined,
    // accel=on: every vfio.plug is a vfio-pci endpoint, which gets shared_as_sysmem.
    as: smmu.config.accel ? 'shared_as_sysmem' : 'smmu_iommu_as',
    msi: smmu.config.accel ? 'direct-gpa' : 'iommu-translated',
  };
  smmu.spaces.push(space);
  return space;
}

/** Where vfio.plug realizes `dev`: its address space's address (kept after unplug), the `bdf`/`sid` given, or the default. */
export function plugAddress(step: SmmuStep, dev: string, bdf: string | undefined, sid?: number): PlugAddress {
  const smmu = step.frontend;
  const kept = findNamed(smmu.spaces, dev);
  if (kept === undefined)
    return { bdf: addressOf(smmu, dev, bdf, sid, step.line), chosen: bdf === undefined && sid === undefined };
  if (bdf !== undefined || sid !== undefined) {
    const given = addressOf(smmu, dev, bdf, sid, step.line);
    keepAddress(kept.bdf, given, bdf !== undefined ? 'bdf' : 'sid', dev, step.line);
  }
  return { bdf: kept.bdf, chosen: kept.chosen };
}

export function getAddressSpace(
  step: SmmuStep,
  dev: string,
  bdf: string | undefined,
  sid: number | undefined,
): void {
  spaceOf(step.frontend, dev, bdf, sid, step.line);
}

/** The one address space every vfio-pci device behind every accel vSMMU gets (so one VFIO container). */
export const SHARED_AS_SYSMEM = 'smmuv3-accel-as-sysmem';

/**
 * smmuv3_accel_find_add_as returns the shared_as_sysmem for a vfio-pci device: VFIO's
 * iommufd_cdev_attach then finds the container of the first such device (one IOAS, one nest-parent
 * S2 per host SMMU). accel=off: the device's own SMMU IOMMU address space.
 */
export function addressSpaceKey(smmu: SmmuState, dev: string): string | undefined {
  const space = findNamed(smmu.spaces, dev);
  return space?.as === 'shared_as_sysmem' ? SHARED_AS_SYSMEM : undefined;
}

/** smmuv3_accel_get_viommu_flags (accel=off has no get_viommu_flags: 0). */
export function getViommuFlags(smmu: SmmuState): number {
  if (!smmu.config.accel) return 0;
  return VIOMMU_FLAG_WANT_NESTING_PARENT | (smmu.config.ssidsize > 0 ? VIOMMU_FLAG_PASID_SUPPORTED : 0);
}

/** smmuv3_accel_alloc_viommu: vIOMMU, abort proxy, bypass proxy, GBPA attach; unwinds in reverse. */
function allocViommuAndProxies(
  step: SmmuStep,
  device: VfioDevice,
  space: SmmuSpace,
): { ok: true; install: StreamInstall } | { ok: false; error: string } {
  const viommu = allocViommu(step, device.devId, device.hwptId);
  if (!viommu.ok) return viommu;
  const proxy = (ste: readonly [string, string]) =>
    allocHwpt(step, device, viommu.id, 0, { type: HWPT_DATA.ARM_SMMUV3, len: STE_DATA_LEN, fields: { ste } });
  const abort = proxy(ABORT_PROXY_STE);
  if (!abort.ok) {
    freeId(step, viommu.id);
    return abort;
  }
  const bypass = proxy(BYPASS_PROXY_STE);
  if (!bypass.ok) {
    freeId(step, abort.id);
    freeId(step, viommu.id);
    return bypass;
  }
  step.frontend.viommu = {
    id: viommu.id,
    s2: device.hwptId,
    abort: abort.id,
    bypass: bypass.id,
    firstDev: space.dev,
    iommu: device.iommu,
  };
  // "Allocate a vEVENTQ if guest has enabled event queue", then the GBPA attach.
  const veventq = allocVeventq(step);
  if (!veventq.ok) {
    freeId(step, bypass.id);
    freeId(step, abort.id);
    freeId(step, viommu.id);
    step.frontend.viommu = null;
    return veventq;
  }
  const { id, install } = gbpaHwpt(step);
  const attached = attachHwpt(step, device, id);
  if (!attached.ok) {
    freeVeventq(step);
    freeId(step, bypass.id);
    freeId(step, abort.id);
    freeId(step, viommu.id);
    step.frontend.viommu = null;
    return { ok: false, error: attached.error ?? 'attach failed' };
  }
  stepVsmmu(step.frontend, { type: 'vsmmu.alloc' });
  return { ok: true, install };
}

/** fixed's refusals (the model's text, not QEMU's): one vSMMU's vIOMMU serves one physical SMMU and one S2. */
function otherSmmuRefusal(device: VfioDevice, viommu: SmmuViommu): string {
  const devid = `hiodi devid 0x${device.devId.toString(16)}`;
  if (device.iommu !== viommu.iommu)
    return `${devid} is behind host SMMUv3 ${device.iommu}, but the vIOMMU ${viommu.id} is on ${viommu.iommu}: use one arm-smmuv3 per host SMMUv3`;
  return `${devid} is attached to S2 HWPT ${device.hwptId}, not to the vIOMMU's parent S2 HWPT ${viommu.s2}`;
}

/** smmuv3_accel_set_iommu_device (accel=on; smmu_ops has none: VFIO's listener refused already, iommu-region.ts). */
export function setIommuDevice(step: SmmuStep, device: VfioDevice): string | undefined {
  const smmu = step.frontend;
  const space = spaceOf(smmu, device.dev, undefined);
  if (!smmu.config.accel) return undefined;
  if (device.backend !== 'iommufd')
    return 'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on';
  // smmuv3_accel_hw_compatible, for every device, before the vIOMMU is looked at.
  const incompatible = hostIncompatibility(smmu.config, smmu.config.host);
  if (incompatible !== undefined) return incompatible;
  // upstream reuses the vIOMMU for any later device ("goto done"); fixed refuses one behind another
  // physical SMMU, or one whose default S2 is not the vIOMMU's parent (VFIO freeing that S2 later
  // would fail EBUSY: the vIOMMU holds it).
  if (smmu.variant === 'fixed' && smmu.viommu !== null && smmu.viommu.s2 !== device.hwptId)
    return otherSmmuRefusal(device, smmu.viommu);
  let install: StreamInstall | undefined;
  if (smmu.viommu === null) {
    // The hint "Unable to alloc vIOMMU: hiodi devid 0x%x: " QEMU appends is not part of the message.
    const result = allocViommuAndProxies(step, device, space);
    if (!result.ok) return result.error;
    install = result.install;
  }
  const accel: SmmuAccelDevice = {
    dev: device.dev,
    sid: space.sid,
    devfn: space.devfn,
    devId: device.devId,
    iommu: device.iommu,
    s2Hwpt: device.hwptId,
    vdev: null,
    stream: mustStep(smmuStreamFast, smmuStreamFast.initial({}), { type: 'stream.plug' }),
  };
  // The first device was attached to the GBPA proxy while the vIOMMU was made.
  if (install !== undefined) streamAttached(accel, install);
  smmu.devices.unshift(accel); // QLIST_INSERT_HEAD
  stepVsmmu(smmu, { type: 'vsmmu.device-add' });
  // fixed: a later device is attached as the guest state calls for, not left on its S2 default;
  // so is a first device plugged while SMMUEN=1 (alloc_viommu put it on the GBPA proxy).
  if (smmu.variant === 'fixed' && (install === undefined || smmu.smmuen)) {
    const error = installOrGbpa(step, accel, device);
    if (error !== undefined) {
      // set_iommu_device failed: undo what the install made (vDEVICE, translate HWPT, the list
      // entry) so VFIO's unwind leaves the VM as it was, as a refused hotplug must.
      stepStream(accel, { type: 'stream.fail' });
      unsetIommuDevice(step, device);
      return error;
    }
  }
  step.trace.push(smmuEmit.setIommuDevice(space.devfn, device.devId));
  return undefined;
}

/** fixed: the attachment f(SMMUEN, GBPA, STE) for one device, by install_ste or the GBPA proxy. */
export function installOrGbpa(
  step: SmmuStep,
  accel: SmmuAccelDevice,
  vfio?: VfioDevice,
  source: SteSource = 'published',
): string | undefined {
  if (step.frontend.smmuen) return installAndRecord(step, accel, vfio, source);
  const device = vfio ?? findNamed(step.core.devices, accel.dev);
  if (device === undefined) return undefined;
  const { id, install } = gbpaHwpt(step);
  const attached = attachHwpt(step, device, id);
  if (!attached.ok) return attached.error;
  streamAttached(accel, install);
  return undefined;
}

/** smmuv3_accel_unset_iommu_device, then smmuv3_accel_free_viommu with the last device. */
export function unsetIommuDevice(step: SmmuStep, device: VfioDevice): void {
  const smmu = step.frontend;
  const accel = findNamed(smmu.devices, device.dev);
  if (accel === undefined) return;
  if (!attachHwpt(step, device, device.hwptId).ok) {
    step.messages.push(
      `Unable to attach the default HW pagetable: hiodi devid 0x${device.devId.toString(16)}`,
    );
    // fixed: block the device (abort proxy, else detached) so its translate HWPT can still be freed.
    if (smmu.variant === 'fixed' && smmu.viommu !== null && !attachHwpt(step, device, smmu.viommu.abort).ok)
      detachHwpt(step, device);
  }
  if (s1HwptOf(accel) !== 0) freeId(step, s1HwptOf(accel));
  // The stream leaves the accel device list: its chart ends in `unplugged` before the record goes.
  stepStream(accel, { type: 'stream.unplug' });
  if (accel.vdev !== null) {
    freeId(step, accel.vdev.id);
    stepVsmmu(smmu, { type: 'vsmmu.vdevice-remove' });
  }
  removeNamed(smmu.devices, device.dev);
  stepVsmmu(smmu, { type: 'vsmmu.device-remove' });
  step.trace.push(smmuEmit.unsetIommuDevice(accel.devfn, device.devId));
  const viommu = smmu.viommu;
  if (smmu.devices.length === 0 && viommu !== null) {
    freeVeventq(step);
    freeId(step, viommu.bypass);
    freeId(step, viommu.abort);
    freeId(step, viommu.id);
    smmu.viommu = null;
    stepVsmmu(smmu, { type: 'vsmmu.free' });
  }
}
