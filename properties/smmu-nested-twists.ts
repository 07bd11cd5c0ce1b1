/**
 * Nested IOMMU_HWPT_ALLOCs on a vIOMMU that the core must refuse before the driver sees them, made
 * from the arm-smmuv3 kernel logs (properties/smmu-kernel-events.ts) by a per-position choice: the
 * device behind another SMMU than the vIOMMU (EINVAL), no user data (EOPNOTSUPP), or a flag the
 * vIOMMU path does not take (NEST_PARENT: EOPNOTSUPP).
 * Kernel reference (Kingxukai/linux 0291023e7330, the stored hw_pagetable.c): iommufd_hwpt_alloc
 * (viommu->iommu_dev != __iommu_get_iommu_dev(idev->dev): -EINVAL), iommufd_viommu_alloc_hwpt_nested
 * (flags & ~(FAULT_ID_VALID | PASID), !user_data->len: -EOPNOTSUPP, both before alloc_domain_nested).
 */
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';
import { armSmmuEvent } from './smmu-kernel-events.ts';

export type NestedTwist = 'as generated' | 'device of another SMMU' | 'no data' | 'NEST_PARENT flag';
const TWISTS: readonly NestedTwist[] = [
  'as generated',
  'device of another SMMU',
  'no data',
  'NEST_PARENT flag',
];

/** A live DEVICE behind another IOMMU instance than `iommu`, if there is one. */
function deviceElsewhere(world: World, iommu: string, choice: number): number | undefined {
  const ids: number[] = [];
  for (const object of liveObjects(world.kernel))
    if (object.type === 'DEVICE' && object.iommu !== iommu) ids.push(object.id);
  return ids.length === 0 ? undefined : ids[choice % ids.length];
}

/** The arm-smmuv3 rewrite, then (for a nested HWPT on a vIOMMU) one of the twists, chosen by `choice >> 4`. */
export function smmuNestedEvent(event: LogEvent, world: World, choice: number): LogEvent {
  const arm = armSmmuEvent(event, world, choice);
  if (arm.type !== 'iommufd.hwpt_alloc' || typeof arm.pt_id !== 'number') return arm;
  const viommu = world.kernel.objects[arm.pt_id];
  if (viommu?.type !== 'VIOMMU') return arm;
  switch (TWISTS[(choice >> 4) % TWISTS.length]) {
    case 'device of another SMMU': {
      const dev_id = deviceElsewhere(world, viommu.iommu, choice);
      return dev_id === undefined ? arm : { ...arm, dev_id };
    }
    case 'no data': {
      const { data: _data, data_type: _type, ...rest } = arm;
      return rest;
    }
    case 'NEST_PARENT flag':
      return { ...arm, flags: ['NEST_PARENT'] };
    default:
      return arm;
  }
}

// include/uapi/linux/iommufd.h: IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_NONE.
const NEST_PARENT = 1 << 0;
const DATA_NONE = 0;

/** Which core check a judged nested HWPT_ALLOC on a vIOMMU met, with the model's answer (undefined: none). */
export function nestedDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  if (op.type !== 'iommufd.hwpt_alloc') return undefined;
  const viommu = before.objects[op.pt_id];
  const device = before.objects[op.dev_id];
  if (viommu?.type !== 'VIOMMU' || device?.type !== 'DEVICE') return undefined;
  const answer = errno ?? 'ok';
  if (viommu.iommu !== device.iommu) return `device of another SMMU: ${answer}`;
  if (op.data_type === DATA_NONE && op.data === undefined) return `no data: ${answer}`;
  if ((op.flags & NEST_PARENT) !== 0) return `NEST_PARENT flag: ${answer}`;
  return undefined;
}
