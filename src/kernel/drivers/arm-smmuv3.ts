/**
 * ARM SMMUv3 with nesting, as one record: arm_smmu_ops, the paging domain ops, arm_smmu_nested_ops
 * and arm_vsmmu_ops. SMMUv3 nests only through a vIOMMU (it has no domain_alloc_nested); a nest
 * parent is a stage-2 domain, which takes no PASID; a nested domain has no set_dev_pasid and no
 * cache_invalidate_user (invalidations go to the vIOMMU).
 * Kernel reference: drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c (arm_smmu_ops,
 * arm_smmu_domain_alloc_paging_flags, arm_smmu_attach_dev, arm_smmu_s1_set_dev_pasid),
 * arm-smmu-v3-iommufd.c (arm_smmu_get_viommu_size, arm_vsmmu_init, arm_vsmmu_alloc_domain_nested,
 * arm_smmu_validate_vste, arm_smmu_attach_dev_nested, arm_smmu_attach_prepare_vmaster,
 * arm_vsmmu_cache_invalidate, arm_vsmmu_convert_user_cmd); Linux 6.17-rc as read in the
 * Kingxukai/linux mirror at 9b44fff655e2, with one later mainline change: an abort or bypass vSTE
 * attaches without a vDEVICE (arm_smmu_attach_prepare_vmaster, the GBPA case).
 * Not modelled: the TEGRA241 CMDQV implementation (its vIOMMU type and HW queues), the SMMU feature
 * bits (all present), the vSTE bits outside Config (STRTAB_STE_0/1_NESTING_ALLOWED, EATS), ATS.
 */
import {
  forEachEntry,
  type UserData,
  type UserDataArray,
  viommuFindDev,
  viommuGetVdevId,
} from '../driver-api.ts';
import {
  type DeviceObject,
  type Errno,
  fail,
  type HwptPagingObject,
  type HwptShape,
  type KernelOutcome,
  type KernelState,
  type ViommuObject,
} from '../types.ts';
import { HWPT_ALLOC, HWPT_DATA, INVALIDATE_DATA, VIOMMU_TYPE } from '../uapi.ts';

const { NEST_PARENT, DIRTY_TRACKING, PASID } = HWPT_ALLOC;
const PAGING_FLAGS = DIRTY_TRACKING | PASID | NEST_PARENT;
/** The flag combinations arm_smmu_domain_alloc_paging_flags has a case for. */
const PAGING_CASES = [0, NEST_PARENT, DIRTY_TRACKING, DIRTY_TRACKING | PASID, PASID];

const STE_CFG_ABORT = 0b000;
const STE_CFG_BYPASS = 0b100;
const STE_CFG_S1_TRANS = 0b101;
// The opcodes arm_vsmmu_convert_user_cmd accepts: the TLBIs, and the three that name a vSID.
const CMDQ_OP_TLBI = new Set([0x10, 0x11, 0x12, 0x13, 0x30]); // NH_ALL, NH_ASID, NH_VA, NH_VAA, NSNH_ALL
const CMDQ_OP_BY_SID = new Set([0x40, 0x05, 0x06]); // ATC_INV, CFGI_CD, CFGI_CD_ALL

/** arm_smmu_domain_alloc_paging_flags: the known flags, no user data, and one of its cases. */
function domainAllocPagingFlags(
  _device: DeviceObject,
  flags: number,
  userData: UserData | undefined,
): Errno | undefined {
  if ((flags & ~PAGING_FLAGS) !== 0 || userData !== undefined) return 'EOPNOTSUPP';
  return PAGING_CASES.includes(flags) ? undefined : 'EOPNOTSUPP';
}

/** arm_vsmmu_init: the parent S2 must be on the vIOMMU's own SMMU (the device's). */
function viommuInit(device: DeviceObject, parent: HwptPagingObject): Errno | undefined {
  return parent.iommu !== device.iommu ? 'EINVAL' : undefined;
}

/**
 * arm_vsmmu_alloc_domain_nested: no flags; iommu_copy_struct_from_user wants the SMMUv3 type (EINVAL);
 * arm_smmu_validate_vste: a vSTE with V=0 becomes an abort STE, else Config must be abort, bypass or
 * S1 translate (EIO).
 */
function allocDomainNested(_viommu: ViommuObject, flags: number, userData: UserData): Errno | undefined {
  if (flags !== 0) return 'EOPNOTSUPP';
  if (userData.type !== HWPT_DATA.ARM_SMMUV3) return 'EINVAL';
  const word0 = BigInt(userData.fields.ste?.[0] ?? 0);
  if ((word0 & 1n) === 0n) return undefined;
  const config = Number((word0 >> 1n) & 0b111n);
  return [STE_CFG_ABORT, STE_CFG_BYPASS, STE_CFG_S1_TRANS].includes(config) ? undefined : 'EIO';
}

/**
 * arm_vsmmu_cache_invalidate: iommu_copy_struct_from_full_user_array wants the SMMUv3 type and at
 * least one entry (EINVAL); each command must be one arm_vsmmu_convert_user_cmd converts, and a
 * command naming a vSID needs a vDEVICE with that virt_id (EIO).
 */
function cacheInvalidate(viommu: ViommuObject, array: UserDataArray): KernelOutcome {
  if (array.type !== INVALIDATE_DATA.ARM_SMMUV3 || array.entries.length === 0) return fail('EINVAL', 0);
  return forEachEntry(array, (entry) => {
    const word0 = BigInt(entry.cmd?.[0] ?? 0);
    const opcode = Number(word0 & 0xffn);
    if (CMDQ_OP_TLBI.has(opcode)) return undefined;
    if (CMDQ_OP_BY_SID.has(opcode)) return viommuFindDev(viommu, word0 >> 32n) ? undefined : 'EIO';
    return 'EIO';
  });
}

/** smmu_domain->smmu != master->smmu. */
function otherInstance(device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  return hwpt.iommu !== device.iommu ? 'EINVAL' : undefined;
}

/** The device has PASIDs (SSIDs) attached: arm_smmu_ssids_in_use. */
function ssidsInUse(device: DeviceObject): boolean {
  return Object.keys(device.m.context.attachments).some((key) => key !== '0');
}

/**
 * arm_smmu_attach_dev: another SMMU is EINVAL; a stage-2 domain (a nest parent) while PASIDs are in
 * use is EBUSY. No dirty-tracking check: dirty tracking is SMMU-wide (arm_smmu_dbm_capable), so
 * arm_smmu_attach_dev has none (unlike intel's paging_domain_compatible).
 */
function attachDev(_state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  const instance = otherInstance(device, hwpt);
  if (instance !== undefined) return instance;
  if (hwpt.nestParent === true && ssidsInUse(device)) return 'EBUSY';
  return undefined;
}

/** arm_smmu_s1_set_dev_pasid: another SMMU, or a stage-2 domain (a nest parent), is EINVAL. */
function s1SetDevPasid(_state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  const instance = otherInstance(device, hwpt);
  if (instance !== undefined) return instance;
  return hwpt.nestParent === true ? 'EINVAL' : undefined;
}

/**
 * STE.Config of a nested HWPT's vSTE (word 0 bits 3:1). The HWPT keeps the vSTE as given, so a V=0
 * one reads as abort here: arm_smmu_validate_vste zeroed it (memset), whatever its Config bits said.
 */
function vsteConfig(hwpt: HwptShape): number {
  const word0 = BigInt(hwpt.data?.ste?.[0] ?? 0);
  return (word0 & 1n) === 0n ? STE_CFG_ABORT : Number((word0 >> 1n) & 0b111n);
}

/**
 * arm_smmu_attach_dev_nested: another SMMU is EINVAL, PASIDs in use EBUSY (the core's PASID check
 * refuses that first, as a nested SMMUv3 HWPT is never PASID-capable), then
 * arm_smmu_attach_prepare_vmaster needs the device's vDEVICE on the vIOMMU (ENOENT) unless the vSTE
 * is abort or bypass: later mainline ("Skip vmaster allocation in arm_smmu_attach_prepare_vmaster()
 * for an abort or bypass vSTE", Nicolin Chen), which QEMU's accel=on GBPA proxies rely on.
 */
function attachDevNested(state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  const instance = otherInstance(device, hwpt);
  if (instance !== undefined) return instance;
  if (ssidsInUse(device)) return 'EBUSY';
  if (hwpt.viommu === undefined || hwpt.viommu === 0) return undefined;
  const missing = viommuGetVdevId(state, hwpt.viommu, device);
  if (missing === undefined) return undefined;
  const config = vsteConfig(hwpt);
  return config === STE_CFG_ABORT || config === STE_CFG_BYPASS ? undefined : missing;
}

export const armSmmuv3 = {
  domainAllocPagingFlags,
  viommuTypes: [VIOMMU_TYPE.ARM_SMMUV3],
  viommuInit,
  viommuOps: { allocDomainNested, cacheInvalidate, hwQueueTypes: [] },
  // arm_smmu_domain_finalise (stage 1): aperture 0..(1 << ias) - 1 with ias 48 assumed, 4 KiB pages.
  pagingGeometry: { apertureStart: 0n, apertureEnd: (1n << 48n) - 1n, pgsizeMin: 4096n },
  // arm_smmu_get_resv_regions: the software MSI window MSI_IOVA_BASE, MSI_IOVA_LENGTH.
  defaultResv: [{ start: '0x8000000', last: '0x80fffff' }],
  pagingDomainOps: { attachDev, setDevPasid: s1SetDevPasid },
  nestedDomainOps: { attachDev: attachDevNested },
};
