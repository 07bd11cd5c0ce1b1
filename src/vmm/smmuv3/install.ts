/**
 * Installing a guest STE on the host (smmuv3_accel_install_ste): the vDEVICE first (made once, even
 * if what follows fails), then the STE: no STE → nothing; SMMU disabled → the GBPA proxy; abort or
 * bypass → that proxy; S1 translate → a new nested HWPT on the vIOMMU; S2 or nested → refused
 * ("Invalid STE config"). After a good attach the previous translate HWPT is freed; on a failed
 * attach a new one is freed and the old attachment stays. Also the range form and the GBPA proxy
 * attach of every accel device (smmuv3_accel_attach_gbpa_hwpt, reset and GBPA writes).
 * QEMU reference: hw/arm/smmuv3-accel.c (smmuv3_accel_install_ste, smmuv3_accel_install_ste_range,
 * smmuv3_accel_alloc_vdev, smmuv3_accel_dev_alloc_translate, smmuv3_accel_gbpa_hwpt,
 * smmuv3_accel_attach_gbpa_hwpt) at qemu/qemu 13b941aaff48; reference §2.3, §7.4.
 */
import { HWPT_DATA } from '../../kernel/uapi.ts';
import { allocHwpt, attachHwpt, freeId } from '../core/host.ts';
import { deviceNamed, type VfioDevice } from '../core/state.ts';
import { allocVdev } from './host.ts';
import {
  publishedSteOf,
  type SmmuAccelDevice,
  type SmmuStep,
  type StreamInstall,
  s1HwptOf,
  steOf,
  stepStream,
  stepVsmmu,
  streamAttached,
} from './state.ts';
import { hexWord, steAction, steWords } from './ste.ts';
import { smmuEmit } from './trace.ts';

const STE_DATA_LEN = 16; // sizeof(struct iommu_hwpt_arm_smmuv3)

/** smmuv3_accel_gbpa_hwpt: GBPA.ABORT ? abort proxy : bypass proxy. */
export function gbpaHwpt(step: SmmuStep): { id: number; install: StreamInstall } {
  const { viommu, gbpaAbort } = step.frontend;
  if (viommu === null) throw new Error('gbpaHwpt without a vIOMMU');
  return gbpaAbort
    ? { id: viommu.abort, install: 'gbpa-abort' }
    : { id: viommu.bypass, install: 'gbpa-bypass' };
}

function vfioOf(step: SmmuStep, accel: SmmuAccelDevice): VfioDevice {
  const device = deviceNamed(step.core, accel.dev);
  if (device === undefined) throw new Error(`accel device ${accel.dev} has no VFIO device`);
  return device;
}

/** smmuv3_accel_install_ste: returns QEMU's error text, or undefined on success. */
/** Where an install reads the STE: guest memory (QEMU on a CFGI) or the last published one (`fixed`'s replays). */
export type SteSource = 'memory' | 'published';

export function installSte(
  step: SmmuStep,
  accel: SmmuAccelDevice,
  vfio?: VfioDevice,
  source: SteSource = 'memory',
): string | undefined {
  const smmu = step.frontend;
  const viommu = smmu.viommu;
  if (viommu === null) return undefined;
  // `vfio` while set_iommu_device runs: the core lists the device only after it returns.
  const device = vfio ?? vfioOf(step, accel);
  if (accel.vdev === null) {
    const vdev = allocVdev(step, accel.devId, viommu.id, accel.sid);
    if (!vdev.ok) return vdev.error;
    accel.vdev = { id: vdev.id, virtId: accel.sid };
    stepVsmmu(smmu, { type: 'vsmmu.vdevice-add' });
  }
  const ste = source === 'memory' ? steOf(smmu, accel.sid) : publishedSteOf(smmu, accel.sid);
  if (ste === undefined) return undefined; // smmu_find_ste failed: nothing to install
  let hwpt = 0;
  let s1 = 0;
  let install: StreamInstall;
  if (!smmu.smmuen) {
    ({ id: hwpt, install } = gbpaHwpt(step));
  } else {
    const action = steAction(ste);
    install = action === 'invalid' ? 'abort' : action;
    if (action === 'abort') hwpt = viommu.abort;
    else if (action === 'bypass') hwpt = viommu.bypass;
    else if (action === 'translate') {
      const [ste0, ste1] = steWords(ste);
      const alloc = allocHwpt(step, device, viommu.id, 0, {
        type: HWPT_DATA.ARM_SMMUV3,
        len: STE_DATA_LEN,
        fields: { ste: [hexWord(ste0), hexWord(ste1)] },
      });
      if (!alloc.ok) return alloc.error;
      s1 = alloc.id;
      hwpt = s1;
      step.trace.push(smmuEmit.translateSte(accel.vdev.virtId, s1, ste1, ste0));
    }
  }
  if (hwpt === 0) return `Invalid STE config for sid 0x${accel.sid.toString(16)}`;
  const attached = attachHwpt(step, device, hwpt);
  if (!attached.ok) {
    if (s1 !== 0) freeId(step, s1);
    return attached.error;
  }
  const old = s1HwptOf(accel);
  if (old !== 0) {
    freeId(step, old);
    stepStream(accel, { type: 'stream.free-s1' });
  }
  streamAttached(accel, install, s1);
  const type = hwpt === viommu.abort ? 'abort' : hwpt === viommu.bypass ? 'bypass' : 'translate';
  step.trace.push(smmuEmit.installSte(accel.sid, type, hwpt));
  return undefined;
}

/** One install with QEMU's bookkeeping of the outcome (a failure is pending: reported to the guest). */
export function installAndRecord(
  step: SmmuStep,
  accel: SmmuAccelDevice,
  vfio?: VfioDevice,
  source: SteSource = 'memory',
): string | undefined {
  const error = installSte(step, accel, vfio, source);
  // Only an install clears it (in installSte): "no STE found" leaves the last outcome standing.
  if (error !== undefined) stepStream(accel, { type: 'stream.fail' });
  return error;
}

/**
 * smmuv3_accel_install_ste_range over the accel devices with a SID in [start, end], in list order;
 * each failure is reported (with its hint) and the whole returns "Failed to install all STEs properly".
 */
export function installSteRange(step: SmmuStep, start: number, end: number): string | undefined {
  if (step.frontend.viommu === null) return undefined;
  let allOk = true;
  for (const accel of step.frontend.devices) {
    if (accel.sid < start || accel.sid > end) continue;
    const error = installAndRecord(step, accel);
    if (error !== undefined) {
      step.messages.push(error, `Device 0x${accel.sid.toString(16)}: Failed to install STE`);
      allOk = false;
    }
  }
  return allOk ? undefined : 'Failed to install all STEs properly';
}

/** smmuv3_accel_attach_gbpa_hwpt: the GBPA proxy to every accel device (no translate HWPT freed). */
export function attachGbpaHwpt(step: SmmuStep): string | undefined {
  if (step.frontend.viommu === null) return undefined;
  const { id, install } = gbpaHwpt(step);
  let allOk = true;
  for (const accel of step.frontend.devices) {
    const attached = attachHwpt(step, vfioOf(step, accel), id);
    if (attached.ok) {
      streamAttached(accel, install);
      continue;
    }
    step.messages.push(
      attached.error ?? 'attach failed',
      `Failed to attach GBPA hwpt ${id} for hiodi devid ${accel.devId}`,
    );
    stepStream(accel, { type: 'stream.fail' });
    allOk = false;
  }
  return allOk ? undefined : 'Failed to attach all GBPA based HWPTs properly';
}

/** fixed: a translate HWPT that is no longer attached (after a proxy attach) is freed. */
export function freeStaleTranslate(step: SmmuStep): void {
  for (const accel of step.frontend.devices) {
    const s1 = s1HwptOf(accel);
    if (s1 === 0 || accel.stream.value === 'translate') continue;
    freeId(step, s1);
    stepStream(accel, { type: 'stream.free-s1' });
  }
}
