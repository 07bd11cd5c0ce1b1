/**
 * Generated kernel logs on an Intel VT-d host (every physical device bound under intel-vtd) twisted
 * like properties/pasid-driver-op-twists.ts, so PASID attaches meet dirty-tracking,
 * PASID-compatible second-stage domains: intel_iommu_set_dev_pasid refuses any domain with
 * dirty_ops (-EINVAL), whatever the device, where intel_iommu_attach_device (the RID form) refuses
 * it only for a device without dirty tracking (paging_domain_compatible).
 * Kernel reference (Kingxukai/linux 0291023e7330, the stored drivers/iommu/intel/iommu.c):
 * intel_iommu_set_dev_pasid (`if (domain->dirty_ops) return -EINVAL;`),
 * intel_iommu_domain_alloc_paging_flags / intel_iommu_domain_alloc_second_stage (DIRTY_TRACKING sets
 * dirty_ops; PASID with it is a second-stage domain).
 */
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { pasidAttachOf, pasidDriverOpEvent } from './pasid-driver-op-twists.ts';

/** The pasid-driver-op twist, with every physical bind moved to intel-vtd. */
export function vtdPasidDirtyEvent(event: LogEvent, world: World, choice: number): LogEvent {
  const twisted = pasidDriverOpEvent(event, world, choice);
  if (twisted.type !== 'vfio.bind' || twisted.mdev === true) return twisted;
  return { ...twisted, driver: 'intel-vtd', iommu: 'dmar0' };
}

/** For a judged PASID attach of a VT-d device to a dirty-tracking paging HWPT: the answer. */
export function vtdPasidDirtyDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  const parts = pasidAttachOf(op, before, 'intel-vtd');
  if (parts === undefined) return undefined;
  const { device, target } = parts;
  if (target?.type !== 'HWPT_PAGING' || !target.dirty) return undefined;
  return `dirty VT-d domain at a PASID, device ${device.dirty ? 'with' : 'without'} dirty tracking: ${errno ?? 'ok'}`;
}
