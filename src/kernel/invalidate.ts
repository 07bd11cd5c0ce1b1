/**
 * IOMMU_HWPT_INVALIDATE on a HWPT_NESTED (the domain's cache_invalidate_user) or a VIOMMU (the
 * vIOMMU's cache_invalidate). The core does not check data_type; each driver does (its record in
 * src/kernel/drivers/). entry_num is written back with the number of entries handled, even on error
 * (`done`).
 * Kernel reference: drivers/iommu/iommufd/hw_pagetable.c (iommufd_hwpt_invalidate); Linux 6.17-rc as
 * read in the Kingxukai/linux mirror at 0291023e7330.
 */
import type { UserDataArray } from './driver-api.ts';
import { driverOf } from './drivers/index.ts';
import type { KernelOp } from './ops.ts';
import { liveObject } from './table.ts';
import { fail, type KernelOutcome, type KernelState } from './types.ts';

type InvalidateOp = Extract<KernelOp, { type: 'iommufd.invalidate' }>;

export function invalidate(state: KernelState, op: InvalidateOp): KernelOutcome {
  const target = liveObject(state, op.id);
  if (target === undefined) return fail('ENOENT', 0);
  const array: UserDataArray = { type: op.data_type, entries: op.entries };
  if (target.type === 'HWPT_NESTED') {
    const cacheInvalidateUser = driverOf(target.driver).nestedDomainOps.cacheInvalidateUser;
    if (cacheInvalidateUser === undefined) return fail('EOPNOTSUPP', 0); // e.g. SMMUv3: through the vIOMMU
    return cacheInvalidateUser(target, array);
  }
  if (target.type === 'VIOMMU') {
    const cacheInvalidate = driverOf(target.driver).viommuOps?.cacheInvalidate;
    if (cacheInvalidate === undefined) return fail('EOPNOTSUPP', 0);
    return cacheInvalidate(target, array);
  }
  return fail('EINVAL', 0); // a paging HWPT (auto domain or nest parent) or any other object
}
