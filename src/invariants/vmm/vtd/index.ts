/**
 * The Intel VT-d frontend's VMM invariants, in report order (listed by src/vmm/vtd/frontend.ts).
 * QEMU reference: hw/i386/intel_iommu.c, hw/i386/intel_iommu_accel.c.
 */
import type { Invariant } from '../../types.ts';
import {
  vmmBindingMatchesCache,
  vmmCacheFollowsGuest,
  vmmFirstStageData,
  vmmGuestCannotKillQemu,
  vmmResetClean,
} from './binding.ts';
import { vmmPasidBindingMatchesCache } from './pasid-binding.ts';

export {
  vmmBindingMatchesCache,
  vmmCacheFollowsGuest,
  vmmFirstStageData,
  vmmGuestCannotKillQemu,
  vmmPasidBindingMatchesCache,
  vmmResetClean,
};

export const vtdInvariants: readonly Invariant[] = [
  vmmBindingMatchesCache,
  vmmCacheFollowsGuest,
  vmmFirstStageData,
  vmmResetClean,
  vmmGuestCannotKillQemu,
  vmmPasidBindingMatchesCache,
];
