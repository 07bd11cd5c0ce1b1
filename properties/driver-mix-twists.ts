/**
 * Generated kernel logs whose physical devices are bound under three IOMMU drivers (selftest,
 * intel-vtd, arm-smmuv3), chosen per position, so a device is attached to a domain another driver
 * owns: the iommu core refuses that before any driver op runs, and the auto-domain search skips
 * such a domain. The generator binds every device under one driver. A group keeps the driver and
 * IOMMU instance of its first live member (an iommu group sits behind one IOMMU).
 * Kernel reference (Kingxukai/linux 9b44fff655e2): iommu.c __iommu_attach_group
 * (dev_iommu_ops(dev) != domain->owner: -EINVAL), iommu_attach_device_pasid and
 * iommu_replace_device_pasid (domain_iommu_ops_compatible: -EINVAL); iommufd/device.c
 * iommufd_device_auto_get_domain (-EINVAL from an auto domain: try the next one, else allocate).
 */
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';
import { attachOf } from './twisted-contracts.ts';

type DriverName = NonNullable<Extract<LogEvent, { type: 'vfio.bind' }>['driver']>;

/** Selftest most often (the generated logs' data types are mostly its own), the two real drivers beside it. */
const DRIVERS: readonly (readonly [DriverName, string])[] = [
  ['selftest', 'iommu0'],
  ['intel-vtd', 'dmar0'],
  ['selftest', 'iommu0'],
  ['arm-smmuv3', 'smmu0'],
];

/** The driver and IOMMU of a live DEVICE already in `group`, if any. */
function groupDriver(world: World, group: string): readonly [DriverName, string] | undefined {
  for (const object of liveObjects(world.kernel))
    if (object.type === 'DEVICE' && object.group === group) return [object.driver, object.iommu];
  return undefined;
}

/**
 * A physical device's bind moved to the driver of its group, or else of this position's choice. Half
 * the choices name the driver's own IOMMU instance; the other half name `iommu0` for every driver,
 * which the log format allows: then the core's owner check is the only one that refuses another
 * driver's domain (with distinct instances every driver's own instance check answers EINVAL too).
 */
export function mixedDriverEvent(event: LogEvent, world: World, choice: number): LogEvent {
  if (event.type !== 'vfio.bind' || event.mdev === true) return event;
  const group = event.group ?? `group:${event.dev}`;
  const [driver, own] = DRIVERS[choice % DRIVERS.length]!;
  const [groupDriverName, groupIommu] = groupDriver(world, group) ?? [
    driver,
    (choice >> 2) % 2 === 0 ? own : 'iommu0',
  ];
  return { ...event, driver: groupDriverName, iommu: groupIommu };
}

/** For a judged attach or replace whose target is a HWPT: whether its owner is another driver, with the answer. */
export function ownerDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  const parts = attachOf(op, before);
  if (parts === undefined) return undefined;
  const { device, target } = parts;
  if (target?.type === 'HWPT_PAGING' || target?.type === 'HWPT_NESTED')
    return target.driver === device.driver ? undefined : `another driver's HWPT: ${errno ?? 'ok'}`;
  if (target?.type !== 'IOAS') return undefined;
  // An IOAS whose auto domains include one of another driver: the search must pass it by.
  for (const object of liveObjects(before))
    if (
      object.type === 'HWPT_PAGING' &&
      object.ioas === target.id &&
      object.autoDomain &&
      object.driver !== device.driver
    )
      return `an IOAS with another driver's auto domain: ${errno ?? 'ok'}`;
  return undefined;
}
