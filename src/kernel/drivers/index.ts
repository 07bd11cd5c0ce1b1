/**
 * The IOMMU drivers behind the devices, one record each (selftest.ts, intel-vtd.ts, arm-smmuv3.ts),
 * shaped like the kernel's driver interfaces: `struct iommu_ops` (domain allocation, vIOMMU types and
 * init), the `struct iommu_domain_ops` of the paging and the nested domains the driver makes
 * (attach_dev, set_dev_pasid, cache_invalidate_user) and the `struct iommufd_viommu_ops` its
 * viommu_init installs (alloc_domain_nested, cache_invalidate, HW queues).
 *
 * Each function returns the errno the driver's C function returns, or undefined when it accepts.
 * An op the driver does not have is left out, and the core (the src/kernel file that calls it) gives
 * the errno the kernel's core gives for a missing op, at the point where the core checks for it. The
 * core's own checks stay in the core files; only what the driver's code decides lives in a record.
 * Only the driver behaviour the events can reach is modelled.
 *
 * Kernel reference: include/linux/iommu.h (struct iommu_ops, struct iommu_domain_ops),
 * include/linux/iommufd.h (struct iommufd_viommu_ops); Linux 6.17-rc as read in the Kingxukai/linux
 * mirror (0291023e7330 and 9b44fff655e2, see each record's header).
 */

import type { KernelRevision } from '../../log/fields.ts';
import type { UserData, UserDataArray } from '../driver-api.ts';
import type { IovaRange } from '../ioas/iova.ts';
import type {
  DeviceObject,
  DriverName,
  Errno,
  HwptNestedObject,
  HwptPagingObject,
  HwptShape,
  KernelOutcome,
  KernelState,
  ViommuObject,
} from '../types.ts';
import { armSmmuv3 } from './arm-smmuv3.ts';
import { intelVtd } from './intel-vtd.ts';
import { selftest } from './selftest.ts';

/** struct iommu_domain_ops, as far as iommufd reaches it. */
export interface DomainOps {
  /** attach_dev: the RID of one device (the core calls it for every device of the group). */
  readonly attachDev: (state: KernelState, device: DeviceObject, hwpt: HwptShape) => Errno | undefined;
  /** set_dev_pasid: one PASID of one device; without it the core refuses a PASID with EOPNOTSUPP. */
  readonly setDevPasid?: (
    state: KernelState,
    device: DeviceObject,
    hwpt: HwptShape,
    pasid: number,
  ) => Errno | undefined;
  /** cache_invalidate_user (nested domains); without it IOMMU_HWPT_INVALIDATE is EOPNOTSUPP. */
  readonly cacheInvalidateUser?: (hwpt: HwptNestedObject, array: UserDataArray) => KernelOutcome;
}

/** struct iommufd_viommu_ops, as installed by the driver's viommu_init. */
export interface ViommuOps {
  /** alloc_domain_nested: HWPT_ALLOC with pt_id a vIOMMU; flags without FAULT_ID_VALID. */
  readonly allocDomainNested?: (viommu: ViommuObject, flags: number, userData: UserData) => Errno | undefined;
  /** cache_invalidate: IOMMU_HWPT_INVALIDATE on the vIOMMU. */
  readonly cacheInvalidate?: (viommu: ViommuObject, array: UserDataArray) => KernelOutcome;
  /** get_hw_queue_size: the HW queue types it gives a size for (none: EOPNOTSUPP). */
  readonly hwQueueTypes: readonly number[];
  /** hw_queue_init_phys: the ID of the queue this one depends on (0: none), or the errno. */
  readonly hwQueueInitPhys?: (
    state: KernelState,
    viommu: ViommuObject,
    index: number,
  ) => { readonly dependsOn: number } | Errno;
}

/** What iopt_table_add_domain reads of a paging domain: domain->geometry and domain->pgsize_bitmap. */
export interface DomainGeometry {
  readonly apertureStart: bigint;
  readonly apertureEnd: bigint;
  /** 1UL << __ffs(pgsize_bitmap): the smallest page the domain maps, the IOAS's alignment. */
  readonly pgsizeMin: bigint;
}

/** One driver: its struct iommu_ops, its domains' ops and its vIOMMU ops. */
export interface IommuDriver {
  /** domain_alloc_paging_flags: HWPT_ALLOC on an IOAS; flags without FAULT_ID_VALID. */
  readonly domainAllocPagingFlags: (
    device: DeviceObject,
    flags: number,
    userData: UserData | undefined,
    revision?: KernelRevision,
  ) => Errno | undefined;
  /** domain_alloc_nested: HWPT_ALLOC on a nest-parent HWPT_PAGING; without it EOPNOTSUPP. */
  readonly domainAllocNested?: (flags: number, userData: UserData) => Errno | undefined;
  /** get_viommu_size: the vIOMMU types it gives a size for (none: EOPNOTSUPP). */
  readonly viommuTypes: readonly number[];
  /** viommu_init; without it (and get_viommu_size) IOMMU_VIOMMU_ALLOC is EOPNOTSUPP. */
  readonly viommuInit?: (device: DeviceObject, parent: HwptPagingObject) => Errno | undefined;
  /** The vIOMMU ops viommu_init installs. */
  readonly viommuOps?: ViommuOps;
  /** default_domain_ops: the ops of its paging domains (HWPT_PAGING). */
  readonly pagingDomainOps: DomainOps;
  /** The ops of the nested domains it allocates (HWPT_NESTED, on either path). */
  readonly nestedDomainOps: DomainOps;
  /** Its paging domains' aperture and page sizes. */
  readonly pagingGeometry: DomainGeometry;
  /** get_resv_regions: what a device of this driver reserves when it bound without `resv_regions`. */
  readonly defaultResv: readonly IovaRange[];
}

const DRIVERS: Readonly<Record<DriverName, IommuDriver>> = {
  selftest,
  'intel-vtd': intelVtd,
  'arm-smmuv3': armSmmuv3,
};

/** dev_iommu_ops(dev): the driver behind a device, a HWPT or a vIOMMU. */
export function driverOf(name: DriverName): IommuDriver {
  return DRIVERS[name];
}

/** hwpt->domain->ops: the ops of the domain behind a HWPT (or an auto domain about to be made). */
export function domainOpsOf(hwpt: HwptShape): DomainOps {
  const driver = DRIVERS[hwpt.driver];
  return hwpt.type === 'HWPT_NESTED' ? driver.nestedDomainOps : driver.pagingDomainOps;
}
