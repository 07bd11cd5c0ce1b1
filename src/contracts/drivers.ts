/**
 * What each IOMMU driver decides, as the contracts read it from the driver sources (written here,
 * not taken from src/kernel/drivers/): the selftest mock and Intel VT-d. A device of another driver
 * (arm-smmuv3) has no driver contract: its operations are counted as not judged.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 0291023e7330 / 9b44fff655e2):
 * drivers/iommu/iommufd/selftest.c (mock_domain_alloc_paging_flags, mock_domain_alloc_nested,
 * __mock_domain_alloc_nested, mock_domain_nop_attach, mock_domain_set_dev_pasid_nop,
 * mock_domain_cache_invalidate_user, mock_viommu_cache_invalidate, mock_hw_queue_init_phys,
 * mock_get_viommu_size), drivers/iommu/intel/iommu.c (intel_iommu_domain_alloc_paging_flags,
 * paging_domain_compatible), intel/nested.c (intel_iommu_domain_alloc_nested,
 * intel_nested_cache_invalidate_user), intel/pasid.c (intel_pasid_setup_nested: addr_width).
 */
import type { InvalidateEntryFields } from '../kernel/ops.ts';
import type { DeviceObject, DriverName, Errno, HwptNestedObject, KernelState } from '../kernel/types.ts';
import { HW_QUEUE_TYPE, HWPT_ALLOC, HWPT_DATA, INVALIDATE_DATA, VIOMMU_TYPE } from '../kernel/uapi.ts';
import { live } from './view.ts';

/** A HWPT as attach sees it (an auto domain about to be made has this shape too). */
export interface DomainShape {
  readonly type: 'HWPT_PAGING' | 'HWPT_NESTED';
  readonly iommu: string;
  readonly driver: DriverName;
  readonly dirty: boolean;
  readonly viommu: number;
  readonly addrWidth: number | undefined;
}

export interface DriverRules {
  readonly pagingAlloc: (device: DeviceObject, flags: number, hasData: boolean) => Errno | undefined;
  /** undefined: no domain_alloc_nested (the core answers EOPNOTSUPP). */
  readonly nestedAlloc?: (flags: number, dataType: number) => Errno | undefined;
  readonly viommuTypes: readonly number[];
  readonly viommuNestedAlloc?: (flags: number, dataType: number) => Errno | undefined;
  readonly attachDev: (state: KernelState, device: DeviceObject, hwpt: DomainShape) => Errno | undefined;
  readonly setDevPasid: (device: DeviceObject, hwpt: DomainShape) => Errno | undefined;
  /** Per entry of an invalidation (after the type check); undefined when the driver has no such op. */
  readonly nestedInvalidate?: {
    readonly type: number;
    readonly entry: (e: InvalidateEntryFields) => Errno | undefined;
  };
  readonly viommuInvalidate?: {
    readonly type: number;
    readonly entry: (e: InvalidateEntryFields, virtIds: ReadonlySet<string>) => Errno | undefined;
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

const intelVtd: DriverRules = {
  pagingAlloc: (_device, flags, hasData) =>
    hasData || (flags & ~(NEST_PARENT | DIRTY_TRACKING | PASID)) !== 0 ? 'EOPNOTSUPP' : undefined,
  nestedAlloc: (flags, dataType) =>
    (flags & ~PASID) !== 0 || dataType !== HWPT_DATA.VTD_S1 ? 'EOPNOTSUPP' : undefined,
  viommuTypes: [],
  attachDev: (_state, device, hwpt) => {
    if (hwpt.iommu !== device.iommu) return 'EINVAL';
    if (hwpt.type === 'HWPT_NESTED')
      return hwpt.addrWidth === 48 || hwpt.addrWidth === 57 ? undefined : 'EINVAL'; // a missing addr_width is 0
    return hwpt.dirty && !device.dirty ? 'EINVAL' : undefined;
  },
  setDevPasid: (device, hwpt) => {
    if (hwpt.iommu !== device.iommu) return 'EINVAL';
    if (hwpt.type === 'HWPT_NESTED')
      return hwpt.addrWidth === 48 || hwpt.addrWidth === 57 ? undefined : 'EINVAL'; // a missing addr_width is 0
    return undefined;
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

/** The driver's rules, or undefined for a driver the contracts do not cover. */
export function rulesOf(driver: DriverName): DriverRules | undefined {
  if (driver === 'selftest') return selftest;
  if (driver === 'intel-vtd') return intelVtd;
  return undefined;
}

export class NotCovered extends Error {}

export function mustRules(driver: DriverName): DriverRules {
  const rules = rulesOf(driver);
  if (rules === undefined) throw new NotCovered(`no driver contract for ${driver}`);
  return rules;
}

export function shapeOf(
  hwpt: ({ type: 'HWPT_PAGING' } & Omit<DomainShape, 'type' | 'viommu' | 'addrWidth'>) | HwptNestedObject,
): DomainShape {
  if (hwpt.type === 'HWPT_NESTED')
    return {
      type: 'HWPT_NESTED',
      iommu: hwpt.iommu,
      driver: hwpt.driver,
      dirty: false,
      viommu: hwpt.viommu,
      addrWidth: hwpt.data.addrWidth,
    };
  return {
    type: 'HWPT_PAGING',
    iommu: hwpt.iommu,
    driver: hwpt.driver,
    dirty: hwpt.dirty,
    viommu: 0,
    addrWidth: undefined,
  };
}
