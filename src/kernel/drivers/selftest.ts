/**
 * The iommufd selftest's mock IOMMU driver (platform `none`), as one record: mock_ops, the mock
 * paging domain ops, domain_nested_ops and mock_viommu_ops. A device bound with `driver:"selftest"`
 * (the default on platform none) is a mock device.
 * Kernel reference: drivers/iommu/iommufd/selftest.c (mock_domain_alloc_paging_flags,
 * mock_domain_alloc_nested, __mock_domain_alloc_nested, mock_domain_nop_attach,
 * mock_domain_set_dev_pasid_nop, mock_domain_cache_invalidate_user, mock_get_viommu_size,
 * mock_viommu_init, mock_viommu_alloc_domain_nested, mock_viommu_cache_invalidate,
 * mock_viommu_get_hw_queue_size, mock_hw_queue_init_phys), iommufd_test.h; Linux 6.17-rc as read in
 * the Kingxukai/linux mirror at 9b44fff655e2.
 * Not modelled: the mock's single IOMMU instance (the model lets devices name several, and an
 * attach across them is EINVAL as on the real drivers), its IOPF and fake-error hooks, vIOMMU user
 * data and mmap, the HW queue's EFAULT check of the physical address.
 */
import type { KernelRevision } from '../../log/fields.ts';
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
  type HwptNestedObject,
  type HwptShape,
  type HwQueueObject,
  type KernelOutcome,
  type KernelState,
  type ViommuObject,
} from '../types.ts';
import {
  HW_QUEUE_TYPE,
  HWPT_ALLOC,
  HWPT_DATA,
  INVALIDATE_DATA,
  MOCK_HW_QUEUE_MAX,
  MOCK_IOTLB_ID_MAX,
  VIOMMU_TYPE,
} from '../uapi.ts';

const { NEST_PARENT, DIRTY_TRACKING, PASID } = HWPT_ALLOC;
const PAGING_FLAGS = DIRTY_TRACKING | NEST_PARENT | PASID;
const MOCK_FLAG_ALL = 1; // IOMMU_TEST_INVALIDATE_FLAG_ALL
const MOCK_DEV_CACHE_ID_MAX = 3;

/**
 * mock_domain_alloc_paging_flags: the known flags; DIRTY needs a dirty-capable device. 6.17-rc
 * refuses any user data first; mainline checks the flags first and then takes
 * IOMMU_HWPT_DATA_SELFTEST data (struct iommu_hwpt_selftest's pagetable_type, 0 = the default page
 * table, as the model's data always means) and refuses other types.
 */
function domainAllocPagingFlags(
  device: DeviceObject,
  flags: number,
  userData: UserData | undefined,
  revision?: KernelRevision,
): Errno | undefined {
  if (revision !== 'mainline' && userData !== undefined) return 'EOPNOTSUPP';
  if ((flags & ~PAGING_FLAGS) !== 0 || ((flags & DIRTY_TRACKING) !== 0 && !device.dirty)) return 'EOPNOTSUPP';
  if (userData !== undefined && userData.type !== HWPT_DATA.SELFTEST) return 'EOPNOTSUPP';
  return undefined;
}

/** __mock_domain_alloc_nested: only IOMMU_HWPT_DATA_SELFTEST. */
function allocNestedData(userData: UserData): Errno | undefined {
  return userData.type === HWPT_DATA.SELFTEST ? undefined : 'EOPNOTSUPP';
}

/** mock_domain_alloc_nested (parent path) and mock_viommu_alloc_domain_nested: PASID is the only flag. */
function allocNested(flags: number, userData: UserData): Errno | undefined {
  if ((flags & ~PASID) !== 0) return 'EOPNOTSUPP';
  return allocNestedData(userData);
}

/** The IOMMU instance check every modelled driver makes first (see "Not modelled" above). */
function otherInstance(device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  return hwpt.iommu !== device.iommu ? 'EINVAL' : undefined;
}

/**
 * mock_domain_nop_attach: a dirty-tracking domain on a device without dirty tracking is EINVAL; a
 * nested domain of a vIOMMU needs the device's vDEVICE on that vIOMMU (iommufd_viommu_get_vdev_id).
 */
function nopAttach(state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  const instance = otherInstance(device, hwpt);
  if (instance !== undefined) return instance;
  if (hwpt.type === 'HWPT_PAGING' && hwpt.dirty === true && !device.dirty) return 'EINVAL';
  if (hwpt.type === 'HWPT_NESTED' && hwpt.viommu !== undefined && hwpt.viommu !== 0)
    return viommuGetVdevId(state, hwpt.viommu, device);
  return undefined;
}

/** mock_domain_set_dev_pasid_nop: no checks of its own (the 1024 fake error is not modelled). */
function setDevPasidNop(_state: KernelState, device: DeviceObject, hwpt: HwptShape): Errno | undefined {
  return otherInstance(device, hwpt);
}

/** mock_domain_cache_invalidate_user: the type, then per entry the flags and the IOTLB index. */
function cacheInvalidateUser(_hwpt: HwptNestedObject, array: UserDataArray): KernelOutcome {
  if (array.type !== INVALIDATE_DATA.SELFTEST) return fail('EINVAL', 0);
  return forEachEntry(array, (entry) => {
    if (((entry.flags ?? 0) & ~MOCK_FLAG_ALL) !== 0) return 'EOPNOTSUPP';
    return (entry.iotlb_id ?? 0) > MOCK_IOTLB_ID_MAX ? 'EINVAL' : undefined;
  });
}

/**
 * mock_viommu_cache_invalidate: an empty array of the right type is a probe; otherwise the type
 * (iommu_copy_struct_from_full_user_array), then per entry the flags, the cache index and the vDEVICE.
 */
function viommuCacheInvalidate(viommu: ViommuObject, array: UserDataArray): KernelOutcome {
  if (array.type !== INVALIDATE_DATA.SELFTEST) return fail('EINVAL', 0);
  return forEachEntry(array, (entry) => {
    if (((entry.flags ?? 0) & ~MOCK_FLAG_ALL) !== 0) return 'EOPNOTSUPP';
    if ((entry.cache_id ?? 0) > MOCK_DEV_CACHE_ID_MAX) return 'EINVAL';
    return viommuFindDev(viommu, BigInt(entry.vdev_id ?? 0)) ? undefined : 'EINVAL';
  });
}

/** mock_viommu->hw_queue[index]: the vIOMMU's live queue at this index. */
function queueAt(state: KernelState, viommu: number, index: number): HwQueueObject | undefined {
  for (const slot of state.objects) {
    if (slot?.type === 'HW_QUEUE' && slot.viommu === viommu && slot.index === index) return slot;
  }
  return undefined;
}

/** mock_hw_queue_init_phys: index in range, not taken, and the queue of index-1 exists (it depends on it). */
function hwQueueInitPhys(
  state: KernelState,
  viommu: ViommuObject,
  index: number,
): { readonly dependsOn: number } | Errno {
  if (index >= MOCK_HW_QUEUE_MAX) return 'EINVAL';
  if (queueAt(state, viommu.id, index) !== undefined) return 'EEXIST';
  if (index === 0) return { dependsOn: 0 };
  const previous = queueAt(state, viommu.id, index - 1);
  return previous === undefined ? 'EIO' : { dependsOn: previous.id };
}

export const selftest = {
  domainAllocPagingFlags,
  domainAllocNested: allocNested,
  viommuTypes: [VIOMMU_TYPE.SELFTEST],
  viommuInit: (): Errno | undefined => undefined, // mock_viommu_init: only the user data, not modelled
  viommuOps: {
    allocDomainNested: (_viommu: ViommuObject, flags: number, userData: UserData) =>
      allocNested(flags, userData),
    cacheInvalidate: viommuCacheInvalidate,
    hwQueueTypes: [HW_QUEUE_TYPE.SELFTEST],
    hwQueueInitPhys,
  },
  // mock_domain_alloc_paging_flags: MOCK_APERTURE_START/LAST, pgsize_bitmap MOCK_IO_PAGE_SIZE (PAGE_SIZE / 2).
  pagingGeometry: { apertureStart: 1n << 24n, apertureEnd: (1n << 31n) - 1n, pgsizeMin: 2048n },
  // The mock device has no get_resv_regions; the selftest reserves through IOMMU_TEST_OP_ADD_RESERVED.
  defaultResv: [],
  pagingDomainOps: { attachDev: nopAttach, setDevPasid: setDevPasidNop },
  nestedDomainOps: { attachDev: nopAttach, setDevPasid: setDevPasidNop, cacheInvalidateUser },
};
