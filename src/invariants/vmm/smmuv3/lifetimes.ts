/**
 * SMMUv3 invariant on QEMU's teardown order: without an injected host failure, QEMU never asks the
 * kernel to destroy an object that still has users (a vDEVICE or nested HWPT before its vIOMMU, the
 * vIOMMU before its S2, a HWPT still attached).
 * Sources: reference qemu-viommu.md §3.C.5, §6 "children are freed before parents"; QEMU reference:
 * hw/arm/smmuv3-accel.c (smmuv3_accel_unset_iommu_device, smmuv3_accel_free_viommu).
 */
import { smmuOf } from '../../../vmm/smmuv3/state.ts';
import type { Invariant } from '../../types.ts';

export const smmuChildrenBeforeParents: Invariant = {
  name: 'smmuv3-children-before-parents',
  kind: 'step',
  reads: ['vmm'],
  sentence:
    'Without an injected host failure, no IOMMU_DESTROY QEMU issues on an SMMUv3 platform fails with EBUSY.',
  source: 'smmuv3-accel.c smmuv3_accel_unset_iommu_device, smmuv3_accel_free_viommu; reference §3.C.5',
  check(world, { outcome }) {
    if (smmuOf(world.vmm) === null) return [];
    if (outcome.hostOps.some((record) => record.injected === true)) return [];
    const out: string[] = [];
    for (const { op, outcome: result } of outcome.hostOps)
      if (op.type === 'iommufd.destroy' && !result.ok && result.errno === 'EBUSY')
        out.push(`IOMMU_DESTROY of ${op.id} failed with EBUSY: it still has users`);
    return out;
  },
};
