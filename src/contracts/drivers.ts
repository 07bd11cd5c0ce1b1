/**
 * What each IOMMU driver decides, as the contracts read it from the driver sources (written here,
 * not taken from src/kernel/drivers/): the selftest mock, Intel VT-d and ARM SMMUv3.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 0291023e7330 / 9b44fff655e2):
 * drivers/iommu/iommufd/selftest.c (mock_domain_alloc_paging_flags, mock_domain_alloc_nested,
 * __mock_domain_alloc_nested, mock_domain_nop_attach, mock_domain_set_dev_pasid_nop,
 * mock_domain_cache_invalidate_user, mock_viommu_cache_invalidate, mock_hw_queue_init_phys,
 * mock_get_viommu_size), drivers/iommu/intel/iommu.c (intel_iommu_domain_alloc_paging_flags,
 * paging_domain_compatible, intel_iommu_set_dev_pasid), intel/nested.c (intel_iommu_domain_alloc_nested,
 * intel_nested_attach_dev, intel_nested_set_dev_pasid, intel_nested_cache_invalidate_user), intel/pasid.c (intel_pasid_setup_nested: addr_width),
 * arm/arm-smmu-v3/arm-smmu-v3.c (arm_smmu_domain_alloc_paging_flags, arm_smmu_attach_dev,
 * arm_smmu_s1_set_dev_pasid, arm_smmu_set_pasid), arm-smmu-v3-iommufd.c (arm_vsmmu_init,
 * arm_vsmmu_alloc_domain_nested, arm_smmu_validate_vste, arm_smmu_attach_dev_nested,
 * arm_smmu_attach_prepare_vmaster, arm_vsmmu_cache_invalidate, arm_vsmmu_convert_user_cmd).
 */
import type { HwptDataFields, InvalidateEntryFields } from '../kernel/ops.ts';
import type { DeviceObject, DriverName, Errno, HwptNestedObject, KernelState } from '../kernel/types.ts';
import { HW_QUEUE_TYPE, HWPT_ALLOC, HWPT_DATA, INVALIDATE_DATA, VIOMMU_TYPE } from '../kernel/uapi.ts';
import { attachmentsOf, live, typed } from './view.ts';

/** A HWPT as attach sees it (an auto domain about to be made has this shape too). */
export interface DomainShape {
  readonly type: 'HWPT_PAGING' | 'HWPT_NESTED';
  readonly iommu: string;
  readonly driver: DriverName;
  readonly dirty: boolean;
  readonly viommu: number;
  readonly addrWidth: number | undefined;
  /** A stage-2 (nest parent) paging domain. */
  readonly nestParent: boolean;
  /** A vIOMMU nested domain's vSTE Config as the driver keeps it (a V=0 vSTE is zeroed: abort). */
  readonly steConfig: number | undefined;
  /** A nested domain's stage-2 parent HWPT (s2_domain), 0 for a paging domain. */
  readonly parent: number;
}

export interface DriverRules {
  readonly pagingAlloc: (device: DeviceObject, flags: number, hasData: boolean) => Errno | undefined;
  /** undefined: no domain_alloc_nested (the core answers EOPNOTSUPP). */
  readonly nestedAlloc?: (flags: number, dataType: number) => Errno | undefined;
  readonly viommuTypes: readonly number[];
  readonly viommuNestedAlloc?: (flags: number, dataType: number, data?: HwptDataFields) => Errno | undefined;
  /** ops->viommu_init: undefined when the driver has none to refuse with. */
  readonly viommuInit?: (device: DeviceObject, parentIommu: string) => Errno | undefined;
  readonly attachDev: (state: KernelState, device: DeviceObject, hwpt: DomainShape) => Errno | undefined;
  readonly setDevPasid: (device: DeviceObject, hwpt: DomainShape, state: KernelState) => Errno | undefined;
  /** Per entry of an invalidation (after the type check); undefined when the driver has no such op. */
  readonly nestedInvalidate?: {
    readonly type: number;
    readonly entry: (e: InvalidateEntryFields) => Errno | undefined;
  };
  readonly viommuInvalidate?: {
    readonly type: number;
    readonly entry: (e: InvalidateEntryFields, virtIds: ReadonlySet<string>) => Errno | undefined;
    /** iommu_copy_struct_from_full_user_array: no entry at all is EINVAL. */
    readonly nonEmpty?: boolean;
  };
  readonly hwQueueTypes: readonly number[];
  readonly hwQueueMax: number;
}

const { NEST_PARENT, DIRTY_TRACKING, PASID } = HWPT_ALLOC;
const U64_MAX = (1n << 64n) - 1n;

const otherInstance = (device: DeviceObject, hwpt: DomainShape): Errno | undefined =>
  hwpt.iommu !== device.iommu ? 'EINVAL' : undefined;

/** iommufd_viommu_get_vdev_id: the device's vDEVICE must be on the HWPT's vIOMMU. */
function vdevOn(state: KernelState, device: DeviceObject, viommu: number): Errno | undefined {
  const vdev = live(state, device.vdevice);
  return vdev?.type === 'VDEVICE' && vdev.viommu === viommu ? undefined : 'ENOENT';
}

const mockNested = (flags: number, dataType: number): Errno | undefined =>
  (flags & ~PASID) !== 0 || dataType !== HWPT_DATA.SELFTEST ? 'EOPNOTSUPP' : undefined;

const selftest: DriverRules = {
  pagingAlloc: (device, flags, hasData) => {
    if (hasData) return 'EOPNOTSUPP';
    if ((flags & ~(DIRTY_TRACKING | NEST_PARENT | PASID)) !== 0) return 'EOPNOTSUPP';
    return (flags & DIRTY_TRACKING) !== 0 && !device.dirty ? 'EOPNOTSUPP' : undefined;
  },
  nestedAlloc: mockNested,
  viommuTypes: [VIOMMU_TYPE.SELFTEST],
  viommuNestedAlloc: mockNested,
  attachDev: (state, device, hwpt) => {
    if (hwpt.iommu !== device.iommu) return 'EINVAL';
    if (hwpt.type === 'HWPT_PAGING' && hwpt.dirty && !device.dirty) return 'EINVAL';
    if (hwpt.type === 'HWPT_NESTED' && hwpt.viommu !== 0) return vdevOn(state, device, hwpt.viommu);
    return undefined;
  },
  setDevPasid: otherInstance,
  nestedInvalidate: {
    type: INVALIDATE_DATA.SELFTEST,
    entry: (e) => ((e.flags ?? 0) & ~1 ? 'EOPNOTSUPP' : (e.iotlb_id ?? 0) > 3 ? 'EINVAL' : undefined),
  },
  viommuInvalidate: {
    type: INVALIDATE_DATA.SELFTEST,
    entry: (e, virtIds) => {
      if ((e.flags ?? 0) & ~1) return 'EOPNOTSUPP';
      if ((e.cache_id ?? 0) > 3) return 'EINVAL';
      return virtIds.has(BigInt(e.vdev_id ?? 0).toString()) ? undefined : 'EINVAL';
    },
  },
  hwQueueTypes: [HW_QUEUE_TYPE.SELFTEST],
  hwQueueMax: 2,
};

/** paging_domain_compatible (second stage): another DMAR unit, or dirty_ops where the unit has no SSADS. */
const vtdPagingCompatible = (device: DeviceObject, iommu: string, dirty: boolean): Errno | undefined =>
  iommu !== device.iommu || (dirty && !device.dirty) ? 'EINVAL' : undefined;

/**
 * intel_nested_attach_dev, intel_nested_set_dev_pasid (intel/nested.c): paging_domain_compatible on
 * the nested domain's s2_domain, then intel_pasid_setup_nested / _replace_nested: a 48- or 57-bit
 * first stage (a missing addr_width is 0). Which unit the nested domain was allocated on is not read.
 */
function vtdNested(state: KernelState, device: DeviceObject, hwpt: DomainShape): Errno | undefined {
  const s2 = typed(state, hwpt.parent, 'HWPT_PAGING');
  const refusal = s2 === undefined ? 'EINVAL' : vtdPagingCompatible(device, s2.iommu, s2.dirty);
  if (refusal !== undefined) return refusal;
  return hwpt.addrWidth === 48 || hwpt.addrWidth === 57 ? undefined : 'EINVAL';
}

const intelVtd: DriverRules = {
  pagingAlloc: (_device, flags, hasData) =>
    hasData || (flags & ~(NEST_PARENT | DIRTY_TRACKING | PASID)) !== 0 ? 'EOPNOTSUPP' : undefined,
  nestedAlloc: (flags, dataType) =>
    (flags & ~PASID) !== 0 || dataType !== HWPT_DATA.VTD_S1 ? 'EOPNOTSUPP' : undefined,
  viommuTypes: [],
  attachDev: (state, device, hwpt) => {
    if (hwpt.type === 'HWPT_NESTED') return vtdNested(state, device, hwpt);
    return vtdPagingCompatible(device, hwpt.iommu, hwpt.dirty);
  },
  setDevPasid: (device, hwpt, state) => {
    if (hwpt.type === 'HWPT_NESTED') return vtdNested(state, device, hwpt);
    // intel_iommu_set_dev_pasid: a domain with dirty_ops takes no PASID, whatever the device.
    if (hwpt.dirty) return 'EINVAL';
    return vtdPagingCompatible(device, hwpt.iommu, false);
  },
  nestedInvalidate: {
    type: INVALIDATE_DATA.VTD_S1,
    entry: (e) => {
      if ((e.flags ?? 0) & ~1) return 'EOPNOTSUPP';
      const addr = BigInt(e.addr ?? 0);
      return (addr & 0xfffn) !== 0n || (BigInt(e.npages ?? 0) === U64_MAX && addr !== 0n)
        ? 'EINVAL'
        : undefined;
    },
  },
  hwQueueTypes: [],
  hwQueueMax: 0,
};

// STE.Config values (STRTAB_STE_0_CFG, word 0 bits 3:1) and the CMDQ opcodes arm_vsmmu_convert_user_cmd takes.
const STE_ABORT = 0b000;
const STE_BYPASS = 0b100;
const STE_S1_TRANS = 0b101;
const TLBI_OPS = [0x10, 0x11, 0x12, 0x13, 0x30]; // TLBI_NH_ALL, NH_ASID, NH_VA, NH_VAA, NSNH_ALL
const SID_OPS = [0x40, 0x05, 0x06]; // ATC_INV, CFGI_CD, CFGI_CD_ALL: a vSID in bits 63:32

/** The vSTE's Config as arm_smmu_validate_vste leaves it: a vSTE without V is zeroed (abort). */
export function steConfigOf(ste: readonly [string, string] | undefined): number {
  const word0 = BigInt(ste?.[0] ?? 0);
  return (word0 & 1n) === 0n ? STE_ABORT : Number((word0 >> 1n) & 0b111n);
}

/** arm_smmu_ssids_in_use: some PASID (SSID) of the master is attached. */
const ssidsInUse = (device: DeviceObject): boolean => [...attachmentsOf(device).keys()].some((p) => p !== 0);

/**
 * ARM SMMUv3 (arm-smmu-v3.c, arm-smmu-v3-iommufd.c), every SMMU feature present and every master
 * coherent. One later mainline change is followed, as the model does: an abort or bypass vSTE
 * attaches without a vDEVICE (6.17's arm_smmu_attach_prepare_vmaster asks for one always).
 */
const armSmmuv3: DriverRules = {
  // arm_smmu_domain_alloc_paging_flags: known flags, no user data, then one of its switch cases.
  pagingAlloc: (_device, flags, hasData) => {
    if ((flags & ~(DIRTY_TRACKING | PASID | NEST_PARENT)) !== 0 || hasData) return 'EOPNOTSUPP';
    const cases = [0, NEST_PARENT, DIRTY_TRACKING, DIRTY_TRACKING | PASID, PASID];
    return cases.includes(flags) ? undefined : 'EOPNOTSUPP';
  },
  viommuTypes: [VIOMMU_TYPE.ARM_SMMUV3],
  // arm_vsmmu_init: the S2 parent must be a domain of this SMMU.
  viommuInit: (device, parentIommu) => (parentIommu !== device.iommu ? 'EINVAL' : undefined),
  // arm_vsmmu_alloc_domain_nested: no flags; the SMMUv3 data type (iommu_copy_struct_from_user);
  // arm_smmu_validate_vste: with V set, Config must be abort, bypass or S1 translate (EIO).
  viommuNestedAlloc: (flags, dataType, data) => {
    if (flags !== 0) return 'EOPNOTSUPP';
    if (dataType !== HWPT_DATA.ARM_SMMUV3) return 'EINVAL';
    const word0 = BigInt(data?.ste?.[0] ?? 0);
    if ((word0 & 1n) === 0n) return undefined;
    return [STE_ABORT, STE_BYPASS, STE_S1_TRANS].includes(steConfigOf(data?.ste)) ? undefined : 'EIO';
  },
  attachDev: (state, device, hwpt) => {
    // arm_smmu_attach_dev / arm_smmu_attach_dev_nested: smmu_domain->smmu != master->smmu.
    if (hwpt.iommu !== device.iommu) return 'EINVAL';
    if (hwpt.type === 'HWPT_PAGING') return hwpt.nestParent && ssidsInUse(device) ? 'EBUSY' : undefined;
    if (ssidsInUse(device)) return 'EBUSY';
    if (hwpt.steConfig === STE_ABORT || hwpt.steConfig === STE_BYPASS) return undefined;
    return vdevOn(state, device, hwpt.viommu); // arm_smmu_attach_prepare_vmaster
  },
  // arm_smmu_s1_set_dev_pasid, arm_smmu_set_pasid: this SMMU, a stage-1 domain, and the RID on a
  // stage-1 domain (the CD table in the STE) or on none; a nested domain has no set_dev_pasid.
  setDevPasid: (device, hwpt, state) => {
    if (hwpt.type === 'HWPT_NESTED') return 'EOPNOTSUPP';
    if (hwpt.iommu !== device.iommu || hwpt.nestParent) return 'EINVAL';
    const rid = attachmentsOf(device).get(0);
    const ridHwpt = rid === undefined ? undefined : live(state, rid);
    if (ridHwpt === undefined) return undefined;
    return ridHwpt.type === 'HWPT_PAGING' && !ridHwpt.nestParent ? undefined : 'EINVAL';
  },
  // arm_vsmmu_cache_invalidate, arm_vsmmu_convert_user_cmd: each command converted or EIO.
  viommuInvalidate: {
    type: INVALIDATE_DATA.ARM_SMMUV3,
    nonEmpty: true,
    entry: (e, virtIds) => {
      const word0 = BigInt(e.cmd?.[0] ?? 0);
      const opcode = Number(word0 & 0xffn);
      if (TLBI_OPS.includes(opcode)) return undefined;
      if (SID_OPS.includes(opcode)) return virtIds.has((word0 >> 32n).toString()) ? undefined : 'EIO';
      return 'EIO';
    },
  },
  hwQueueTypes: [],
  hwQueueMax: 0,
};

/** The driver's rules, or undefined for a driver the contracts do not cover. */
export function rulesOf(driver: DriverName): DriverRules | undefined {
  if (driver === 'selftest') return selftest;
  if (driver === 'intel-vtd') return intelVtd;
  if (driver === 'arm-smmuv3') return armSmmuv3;
  return undefined;
}

export class NotCovered extends Error {}

export function mustRules(driver: DriverName): DriverRules {
  const rules = rulesOf(driver);
  if (rules === undefined) throw new NotCovered(`no driver contract for ${driver}`);
  return rules;
}

export function shapeOf(
  hwpt:
    | ({ type: 'HWPT_PAGING' } & Omit<DomainShape, 'type' | 'viommu' | 'addrWidth' | 'steConfig' | 'parent'>)
    | HwptNestedObject,
): DomainShape {
  if (hwpt.type === 'HWPT_NESTED')
    return {
      type: 'HWPT_NESTED',
      iommu: hwpt.iommu,
      driver: hwpt.driver,
      dirty: false,
      viommu: hwpt.viommu,
      addrWidth: hwpt.data.addrWidth,
      nestParent: false,
      steConfig: hwpt.data.ste === undefined ? undefined : steConfigOf(hwpt.data.ste),
      parent: hwpt.parent,
    };
  return {
    type: 'HWPT_PAGING',
    iommu: hwpt.iommu,
    driver: hwpt.driver,
    dirty: hwpt.dirty,
    viommu: 0,
    addrWidth: undefined,
    nestParent: hwpt.nestParent,
    steConfig: undefined,
    parent: 0,
  };
}
