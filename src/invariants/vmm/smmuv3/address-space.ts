/**
 * SMMUv3 invariant on the address space and MSI rule of an accel device: VFIO's device behind an
 * accel SMMU sits in the system address space (shared_as_sysmem, so guest RAM is mapped into its
 * S2), its MSIs go to the `msi-gpa` doorbell untranslated, and its default HWPT is the nest parent
 * VFIO allocated because get_viommu_flags asked for one.
 * Sources: reference qemu-viommu.md §2.1, §2.5; QEMU reference: hw/arm/smmuv3-accel.c
 * (smmuv3_accel_find_add_as, smmuv3_accel_get_viommu_flags, smmuv3_accel_get_msi_gpa).
 */
import { typedObject } from '../../../kernel/table.ts';
import { findNamed } from '../../../vmm/core/named.ts';
import { smmuOf } from '../../../vmm/smmuv3/state.ts';
import type { Invariant } from '../../types.ts';

export const smmuAccelAddressSpace: Invariant = {
  name: 'smmuv3-accel-address-space',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence:
    'An accel device is in shared_as_sysmem, takes its MSI doorbell from msi-gpa, and its default HWPT is a live nest-parent S2.',
  source:
    'smmuv3-accel.c smmuv3_accel_find_add_as, smmuv3_accel_get_viommu_flags, smmuv3_accel_get_msi_gpa; reference §2.5',
  check(world) {
    const vmm = smmuOf(world.vmm);
    if (vmm === null) return [];
    const out: string[] = [];
    for (const accel of vmm.frontend.devices) {
      const space = findNamed(vmm.frontend.spaces, accel.dev);
      if (space?.as !== 'shared_as_sysmem' || space.msi !== 'direct-gpa')
        out.push(`${accel.dev} is behind accel=on but its address space is ${space?.as}/${space?.msi}`);
      const s2 = typedObject(world.kernel, accel.s2Hwpt, 'HWPT_PAGING');
      if (s2 === undefined || !s2.nestParent)
        out.push(`${accel.dev}'s default HWPT ${accel.s2Hwpt} is not a live nest-parent HWPT_PAGING`);
    }
    return out;
  },
};
