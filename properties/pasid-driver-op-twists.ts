/**
 * Generated kernel logs (selftest driver) twisted so PASID attaches meet the domains whose RID
 * attach and PASID attach differ: a dirty-tracking, PASID-compatible paging HWPT attached at a
 * PASID by a device without dirty tracking, and a PASID-compatible nested HWPT of a vIOMMU
 * attached at a PASID by a device without a vDEVICE there. The RID form refuses both, the PASID
 * form neither; the generator rarely builds them (a tenth of its runs did not tell the two apart).
 * Per position: binds get PASID support and dirty tracking by the choice, paging HWPT_ALLOCs on an
 * IOAS get PASID and DIRTY_TRACKING, nested ones PASID, and a PASID attach is aimed at such a HWPT.
 * Kernel reference (Kingxukai/linux 9b44fff655e2): drivers/iommu/iommufd/selftest.c
 * (mock_domain_nop_attach: a dirty domain on a device without MOCK_FLAGS_DEVICE_NO_DIRTY support
 * is -EINVAL, a vIOMMU's nested domain needs iommufd_viommu_get_vdev_id; mock_domain_set_dev_pasid_nop:
 * neither), iommu.c iommu_attach_device_pasid (the domain's set_dev_pasid, not attach_dev).
 */
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';
import { attachOf } from './twisted-contracts.ts';

type HwptAlloc = Extract<LogEvent, { type: 'iommufd.hwpt_alloc' }>;
type Flag = 'NEST_PARENT' | 'DIRTY_TRACKING' | 'FAULT_ID_VALID' | 'PASID';
const FLAG_BITS: ReadonlyMap<Flag, number> = new Map([
  ['NEST_PARENT', 1 << 0],
  ['DIRTY_TRACKING', 1 << 1],
  ['FAULT_ID_VALID', 1 << 2],
  ['PASID', 1 << 3],
]);

/** The event's flags with `added` set, in the form the event used (names or a number). */
function withFlags(flags: HwptAlloc['flags'], added: readonly Flag[]): HwptAlloc['flags'] {
  if (typeof flags === 'number') return added.reduce((bits, f) => bits | FLAG_BITS.get(f)!, flags);
  const names = new Set<Flag>((flags ?? []) as readonly Flag[]);
  for (const f of added) names.add(f);
  return [...names];
}

/** The IDs of the live HWPTs whose RID and PASID attach differ for some device. */
function pasidTargets(world: World): number[] {
  const ids: number[] = [];
  for (const object of liveObjects(world.kernel)) {
    if (object.type === 'HWPT_PAGING' && object.dirty && object.pasidCompat) ids.push(object.id);
    if (object.type === 'HWPT_NESTED' && object.viommu !== 0 && object.pasidCompat) ids.push(object.id);
  }
  return ids;
}

export function pasidDriverOpEvent(event: LogEvent, world: World, choice: number): LogEvent {
  switch (event.type) {
    case 'vfio.bind':
      if (event.mdev === true || event.resv_regions !== undefined) return event;
      return { ...event, pasid: choice % 4 !== 3, dirty: (choice >> 2) % 2 === 0 };
    case 'iommufd.hwpt_alloc': {
      if (choice % 3 === 2) return event;
      const target = world.kernel.objects[typeof event.pt_id === 'number' ? event.pt_id : -1];
      if (target?.type === 'IOAS' && event.data_type === undefined)
        return { ...event, flags: withFlags(event.flags, ['PASID', 'DIRTY_TRACKING']) };
      return target?.type === 'VIOMMU' ? { ...event, flags: withFlags(event.flags, ['PASID']) } : event;
    }
    case 'vfio.attach': {
      if (event.pasid === undefined || event.pasid === 0 || choice % 4 === 3) return event;
      const targets = pasidTargets(world);
      return targets.length === 0 ? event : { ...event, pt_id: targets[choice % targets.length]! };
    }
    default:
      return event;
  }
}

/** A PASID attach's DEVICE (bound under this driver) and its target slot as they were before it; else undefined. */
export function pasidAttachOf(op: KernelOp, before: KernelState, driver: string) {
  if (op.type !== 'vfio.attach' || (op.pasid ?? 0) === 0) return undefined;
  const parts = attachOf(op, before);
  return parts?.device.driver === driver ? parts : undefined;
}

/** For a judged PASID attach to one of those HWPTs by a device the RID form would refuse: which, with the answer. */
export function pasidDriverOpDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  const parts = pasidAttachOf(op, before, 'selftest');
  if (parts === undefined) return undefined;
  const { device, target } = parts;
  const answer = errno ?? 'ok';
  if (target?.type === 'HWPT_PAGING' && target.dirty && target.pasidCompat && !device.dirty)
    return `dirty domain, device without dirty tracking: ${answer}`;
  if (target?.type === 'HWPT_NESTED' && target.viommu !== 0 && target.pasidCompat && device.vdevice === 0)
    return `vIOMMU nested domain, device without a vDEVICE: ${answer}`;
  return undefined;
}
