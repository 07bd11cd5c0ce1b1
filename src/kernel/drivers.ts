/**
 * What each IOMMU driver behind a device accepts: allocation data types and flags, vIOMMU and
 * HW queue types, attach-time checks. Only the driver behaviour the events can reach is modelled.
 * Kernel reference: drivers/iommu/iommufd/selftest.c (mock_domain_alloc_paging_flags,
 * __mock_domain_alloc_nested, mock_domain_nop_attach, mock_get_viommu_size), drivers/iommu/intel/
 * nested.c (intel_iommu_domain_alloc_nested), intel/iommu.c (intel_iommu_domain_alloc_paging_flags),
 * intel/pasid.c (intel_pasid_setup_nested), drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c
 * (arm_smmu_domain_alloc_paging_flags, arm_smmu_attach_dev), arm-smmu-v3-iommufd.c
 * (arm_vsmmu_alloc_domain_nested, arm_smmu_validate_vste, arm_smmu_attach_prepare_vmaster).
 */
import type { HwptDataFields } from './ops.ts';
import type { DeviceObject, DriverName, Errno, HwptData, HwptObject, KernelState } from './types.ts';
import { HW_QUEUE_TYPE, HWPT_ALLOC, HWPT_DATA, VIOMMU_TYPE } from './uapi.ts';

const { NEST_PARENT, DIRTY_TRACKING, PASID } = HWPT_ALLOC;

/** Paging-domain flags (FAULT_ID_VALID already stripped by the core): EOPNOTSUPP when refused. */
export function pagingFlagsRefused(driver: DriverName, flags: number): boolean {
  if (driver === 'arm-smmuv3') {
    // arm_smmu_domain_alloc_paging_flags accepts exactly these combinations.
    return ![0, NEST_PARENT, DIRTY_TRACKING, PASID, DIRTY_TRACKING | PASID].includes(flags);
  }
  return (flags & ~(NEST_PARENT | DIRTY_TRACKING | PASID)) !== 0;
}

/** Parent-path nested allocation (VT-d style): undefined when accepted. */
export function nestedFromParentRefusal(driver: DriverName, dataType: number): Errno | undefined {
  if (driver === 'arm-smmuv3') return 'EOPNOTSUPP'; // no domain_alloc_nested in 6.17
  const wanted = driver === 'intel-vtd' ? HWPT_DATA.VTD_S1 : HWPT_DATA.SELFTEST;
  return dataType === wanted ? undefined : 'EOPNOTSUPP';
}

const STE_CFG_ABORT = 0b000;
const STE_CFG_BYPASS = 0b100;
const STE_CFG_S1_TRANS = 0b101;

/** vIOMMU-path nested allocation (SMMUv3 style); flags already exclude FAULT_ID_VALID. */
export function nestedFromViommuRefusal(
  driver: DriverName,
  flags: number,
  dataType: number,
  data: HwptDataFields,
): Errno | undefined {
  if (driver === 'selftest') {
    if ((flags & ~PASID) !== 0) return 'EOPNOTSUPP';
    return dataType === HWPT_DATA.SELFTEST ? undefined : 'EOPNOTSUPP';
  }
  if (driver === 'arm-smmuv3') {
    if (flags !== 0) return 'EOPNOTSUPP';
    if (dataType !== HWPT_DATA.ARM_SMMUV3) return 'EINVAL';
    const word0 = BigInt(data.ste?.[0] ?? 0);
    if ((word0 & 1n) === 0n) return undefined; // V=0: accepted, becomes an abort STE
    const config = Number((word0 >> 1n) & 0b111n);
    return [STE_CFG_ABORT, STE_CFG_BYPASS, STE_CFG_S1_TRANS].includes(config) ? undefined : 'EIO';
  }
  return 'EOPNOTSUPP';
}

export function viommuTypeSupported(driver: DriverName, type: number): boolean {
  if (driver === 'selftest') return type === VIOMMU_TYPE.SELFTEST;
  // TEGRA241_CMDQV needs the CMDQV implementation, which the model does not have.
  if (driver === 'arm-smmuv3') return type === VIOMMU_TYPE.ARM_SMMUV3;
  return false; // VT-d has no vIOMMU type
}

export function hwQueueTypeSupported(viommuType: number, queueType: number): boolean {
  return viommuType === VIOMMU_TYPE.SELFTEST && queueType === HW_QUEUE_TYPE.SELFTEST;
}

/** Shape the attach checks need; a not-yet-inserted auto domain has it too. */
export type HwptShape = Pick<HwptObject, 'type' | 'iommu' | 'driver' | 'pasidCompat'> & {
  readonly dirty?: boolean;
  readonly nestParent?: boolean;
  readonly viommu?: number;
  readonly data?: HwptData;
};

/** Driver attach (RID: attach_dev; PASID: set_dev_pasid) for the first device of a group. */
export function driverAttachRefusal(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptShape,
  pasid: number,
): Errno | undefined {
  if (hwpt.iommu !== device.iommu || hwpt.driver !== device.driver) return 'EINVAL';
  const rid = pasid === 0;
  if (rid && hwpt.type === 'HWPT_PAGING' && hwpt.dirty === true && !device.dirty) return 'EINVAL';
  if (hwpt.type === 'HWPT_NESTED' && hwpt.viommu !== undefined && hwpt.viommu !== 0) {
    if (!rid && device.driver === 'arm-smmuv3') return 'EOPNOTSUPP'; // nested ops have no set_dev_pasid
    // arm_smmu_attach_prepare_vmaster / mock_domain_nop_attach: the device needs a vDEVICE there.
    if (rid && !hasVdeviceOn(state, device, hwpt.viommu)) return 'ENOENT';
  }
  if (device.driver === 'arm-smmuv3' && hwpt.type === 'HWPT_PAGING' && hwpt.nestParent === true) {
    if (!rid) return 'EINVAL'; // an S2 domain cannot be set on a PASID
    if (Object.keys(device.m.context.attachments).some((key) => key !== '0')) return 'EBUSY';
  }
  if (device.driver === 'intel-vtd' && hwpt.type === 'HWPT_NESTED' && hwpt.data !== undefined) {
    // intel_pasid_setup_nested validates the first-stage config only at attach.
    if (hwpt.data.addrWidth !== 48 && hwpt.data.addrWidth !== 57) return 'EINVAL';
  }
  return undefined;
}

function hasVdeviceOn(state: KernelState, device: DeviceObject, viommu: number): boolean {
  if (device.vdevice === 0) return false;
  const vdev = state.objects[device.vdevice];
  return vdev !== null && vdev !== undefined && vdev.type === 'VDEVICE' && vdev.viommu === viommu;
}
