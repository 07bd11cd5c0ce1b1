/**
 * The ARM SMMUv3 frontend's VMM invariants, in report order (listed by src/vmm/smmuv3/frontend.ts).
 * QEMU reference: hw/arm/smmuv3-accel.c, hw/arm/smmuv3.c.
 */
import type { Invariant } from '../../types.ts';
import { smmuAccelAddressSpace } from './address-space.ts';
import {
  smmuAttachmentFollowsGuest,
  smmuTranslateHwptAttached,
  smmuVdeviceBeforeTranslate,
  smmuViommuOnDeviceSmmu,
} from './attachment.ts';
import { smmuChildrenBeforeParents } from './lifetimes.ts';

export {
  smmuAccelAddressSpace,
  smmuAttachmentFollowsGuest,
  smmuChildrenBeforeParents,
  smmuTranslateHwptAttached,
  smmuVdeviceBeforeTranslate,
  smmuViommuOnDeviceSmmu,
};

export const smmuv3Invariants: readonly Invariant[] = [
  smmuAttachmentFollowsGuest,
  smmuTranslateHwptAttached,
  smmuVdeviceBeforeTranslate,
  smmuViommuOnDeviceSmmu,
  smmuChildrenBeforeParents,
  smmuAccelAddressSpace,
];
