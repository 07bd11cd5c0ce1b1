/**
 * Intel VT-d (scalable mode with nesting), as one record: intel_iommu_ops, the paging domain ops and
 * intel_nested_domain_ops. VT-d nests on a parent HWPT (domain_alloc_nested) and has no vIOMMU type,
 * so IOMMU_VIOMMU_ALLOC is EOPNOTSUPP for its devices; the first-stage config of a nested domain is
 * checked only when it is attached.
 * Kernel reference: drivers/iommu/intel/iommu.c (intel_iommu_domain_alloc_paging_flags,
 * intel_iommu_domain_alloc_second_stage, intel_iommu_attach_device, paging_domain_compatible,
 * intel_iommu_set_dev_pasid), intel/nested.c (intel_iommu_domain_alloc_nested,
 * intel_nested_attach_dev, intel_nested_set_dev_pasid, intel_nested_cache_invalidate_user),
 * intel/pasid.c (intel_pasid_setup_nested, intel_pasid_replace_nested: the address width); Linux
 * 6.17-rc as read in the Kingxukai/linux mirror (iommu.c and nested.c at 0291023e7330, pasid.c at
 * 9b44fff655e2).
 * Not modelled: capability bits of the DMAR unit (all present, 5-level included), snoop control,
 * the SRE/EAFE ecap checks, context-copied (kdump) devices.
 */
import { forEachEntry, type UserData, type UserDataArray } from '../driver-api.ts';
import {
  type DeviceObject,
  type Errno,
  fail,
  type HwptNestedObject,
  type HwptShape,
  type KernelOutcome,
  type KernelState,
} from '../types.ts';
import { HWPT_ALLOC, HWPT_DATA, INVALIDATE_DATA, VTD_INV_FLAGS_LEAF } from '../uapi.ts';

const { NEST_PARENT, DIRTY_TRACKING, PASID } = HWPT_ALLOC;
const U64_MAX = (1n << 64n) - 1n;
const VTD_PAGE_MASK = 0xfffn;

/** intel_iommu_domain_alloc_paging_flags: no user data; the second stage takes NEST_PARENT, DIRTY, PASID. */
function domainAllocPagingFlags(
  _device: DeviceObject,
  flags: number,
  userData: UserData | undefined,
): Errno | undefined {
  if (userData !== undefined) return 'EOPNOTSUPP';
  return (flags & ~(NEST_PARENT | DIRTY_TRACKING | PASID)) !== 0 ? 'EOPNOTSUPP' : undefined;
}

/** intel_iommu_domain_alloc_nested: PASID is the only flag, and the data must be a VT-d stage-1 table. */
function domainAllocNested(flags: number, userData: UserData): Errno | undefined {
  if ((flags & ~PASID) !== 0) return 'EOPNOTSUPP';
  return userData.type === HWPT_DATA.VTD_S1 ? undefined : 'EOPNOTSUPP';
}

/** The IOMMU instance of the domain must be the device's (paging_domain_compatible, modelled as one check). */
function otherInstance(device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  return hwpt.iommu !== device.iommu ? 'EINVAL' : undefined;
}

/** intel_iommu_attach_device: paging_domain_compatible (dirty tracking needs the device's support). */
function attachDevice(_state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  const instance = otherInstance(device, hwpt);
  if (instance !== undefined) return instance;
  return hwpt.dirty === true && !device.dirty ? 'EINVAL' : undefined;
}

/**
 * intel_iommu_set_dev_pasid: a domain with dirty_ops (allocated with DIRTY_TRACKING) is EINVAL for
 * every device, before paging_domain_compatible. (Model fix found by properties/vtd-pasid-dirty:
 * it took such a domain at a PASID.)
 */
function setDevPasid(_state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  const instance = otherInstance(device, hwpt);
  if (instance !== undefined) return instance;
  return hwpt.dirty === true ? 'EINVAL' : undefined;
}

/** intel_pasid_setup_nested / _replace_nested: a 4- or 5-level first stage (48 or 57 bits). */
function firstStageRefusal(hwpt: HwptShape): Errno | undefined {
  if (hwpt.data === undefined) return undefined;
  return hwpt.data.addrWidth === 48 || hwpt.data.addrWidth === 57 ? undefined : 'EINVAL';
}

/** The stage-2 parent of a nested HWPT: live while the nested HWPT pins it. */
function stage2Of(state: KernelState, hwpt: HwptShape): HwptShape {
  const parent = state.objects[hwpt.parent ?? 0];
  if (parent?.type !== 'HWPT_PAGING') throw new Error(`no stage-2 parent ${hwpt.parent}`);
  return parent;
}

/**
 * intel_nested_attach_dev and intel_nested_set_dev_pasid: paging_domain_compatible on
 * dmar_domain->s2_domain (not on the nested domain, which any unit may take), then the S1 config.
 * (Model fix, issue 16c: it checked the nested HWPT's own unit and never the parent's dirty_ops.)
 */
function nestedAttach(state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  return attachDevice(state, device, stage2Of(state, hwpt)) ?? firstStageRefusal(hwpt);
}

/** intel_nested_cache_invalidate_user: the type, then per entry the flags and the range. */
function cacheInvalidateUser(_hwpt: HwptNestedObject, array: UserDataArray): KernelOutcome {
  if (array.type !== INVALIDATE_DATA.VTD_S1) return fail('EINVAL', 0);
  return forEachEntry(array, (entry) => {
    if (((entry.flags ?? 0) & ~VTD_INV_FLAGS_LEAF) !== 0) return 'EOPNOTSUPP';
    const addr = BigInt(entry.addr ?? 0);
    if ((addr & VTD_PAGE_MASK) !== 0n || (BigInt(entry.npages ?? 0) === U64_MAX && addr !== 0n))
      return 'EINVAL';
    return undefined;
  });
}

export const intelVtd = {
  domainAllocPagingFlags,
  domainAllocNested,
  viommuTypes: [], // no get_viommu_size / viommu_init: VT-d has no vIOMMU type
  // paging_domain_alloc: aperture 0..__DOMAIN_MAX_ADDR(gaw), 4 KiB pages; a 48-bit host is assumed.
  pagingGeometry: { apertureStart: 0n, apertureEnd: (1n << 48n) - 1n, pgsizeMin: 4096n },
  // intel_iommu_get_resv_regions: the IOAPIC range as IOMMU_RESV_MSI.
  defaultResv: [{ start: '0xfee00000', last: '0xfeefffff' }],
  pagingDomainOps: { attachDev: attachDevice, setDevPasid },
  nestedDomainOps: {
    attachDev: nestedAttach,
    setDevPasid: nestedAttach,
    cacheInvalidateUser,
  },
};
