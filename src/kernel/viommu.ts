/**
 * IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC and IOMMU_HW_QUEUE_ALLOC in the kernel's check order.
 * Kernel reference: drivers/iommu/iommufd/viommu.c (iommufd_viommu_alloc_ioctl,
 * iommufd_vdevice_alloc_ioctl, iommufd_hw_queue_alloc_ioctl, iommufd_hw_queue_alloc_phys),
 * selftest.c (mock_hw_queue_init_phys), arm-smmu-v3-iommufd.c (arm_vsmmu_init).
 */
import { deviceFast } from '../../machines/device.machine.ts';
import { hwQueueFast } from '../../machines/pinned-object.machine.ts';
import { vdeviceFast } from '../../machines/vdevice.machine.ts';
import { viommuFast } from '../../machines/viommu.machine.ts';
import { hwQueueTypeSupported, viommuTypeSupported } from './drivers.ts';
import { edit } from './journal.ts';
import { mustStep } from './machine-step.ts';
import type { KernelOp } from './ops.ts';
import { insertObject, pin, typedObject } from './table.ts';
import {
  type AccessObject,
  fail,
  type HwptPagingObject,
  type HwQueueObject,
  type KernelOutcome,
  type KernelState,
  type VdeviceObject,
  type ViommuObject,
} from './types.ts';
import { HW_QUEUE_TYPE, MOCK_HW_QUEUE_MAX, VIOMMU_TYPE } from './uapi.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;
const U64_MAX = (1n << 64n) - 1n;

export function viommuAlloc(state: KernelState, op: Op<'iommufd.viommu_alloc'>): KernelOutcome {
  if (op.viommu_type === VIOMMU_TYPE.DEFAULT) return fail('EOPNOTSUPP');
  const device = typedObject(state, op.dev_id, 'DEVICE');
  if (device === undefined) return fail('ENOENT');
  if (!viommuTypeSupported(device.driver, op.viommu_type)) return fail('EOPNOTSUPP'); // checked before hwpt_id
  const hwpt = typedObject(state, op.hwpt_id, 'HWPT_PAGING');
  if (hwpt === undefined) return fail('ENOENT');
  if (!hwpt.nestParent) return fail('EINVAL');
  if (device.driver === 'arm-smmuv3' && hwpt.iommu !== device.iommu) return fail('EINVAL'); // arm_vsmmu_init
  const viommu = insertObject(
    state,
    (id, seq): ViommuObject => ({
      id,
      seq,
      type: 'VIOMMU',
      users: 0,
      hwpt: hwpt.id,
      iommu: device.iommu,
      driver: device.driver,
      viommuType: op.viommu_type,
      m: viommuFast.initial({}),
    }),
  );
  pin(state, hwpt.id);
  return { ok: true, id: viommu.id };
}

export function vdeviceAlloc(state: KernelState, op: Op<'iommufd.vdevice_alloc'>): KernelOutcome {
  const viommu = typedObject(state, op.viommu_id, 'VIOMMU');
  if (viommu === undefined) return fail('ENOENT');
  const device = typedObject(state, op.dev_id, 'DEVICE');
  if (device === undefined) return fail('ENOENT');
  if (device.iommu !== viommu.iommu) return fail('EINVAL');
  // idev->destroying: the device's fd close has begun, so its statechart takes no device.close.
  if (!deviceFast.accepts(device.m, { type: 'device.close' })) return fail('ENOENT');
  if (device.vdevice !== 0) return fail('EEXIST'); // one vDEVICE per device, across all vIOMMUs
  if (!viommuFast.accepts(viommu.m, { type: 'viommu.vdevice.add', virtId: op.virt_id, vdevice: 0 }))
    return fail('EEXIST');
  const vdev = insertObject(
    state,
    (id, seq): VdeviceObject => ({
      id,
      seq,
      type: 'VDEVICE',
      users: 0,
      viommu: viommu.id,
      device: device.id,
      virtId: op.virt_id,
      m: vdeviceFast.initial({}),
    }),
  );
  // Accepted above with the same virt_id; isVirtIdFree does not read the vDEVICE ID, known only now.
  edit(state, viommu).m = mustStep(viommuFast, viommu.m, {
    type: 'viommu.vdevice.add',
    virtId: op.virt_id,
    vdevice: vdev.id,
  });
  edit(state, device).vdevice = vdev.id;
  pin(state, viommu.id);
  pin(state, device.id);
  return { ok: true, id: vdev.id };
}

function queueAt(state: KernelState, viommu: number, index: number): HwQueueObject | undefined {
  for (const slot of state.objects) {
    if (slot?.type === 'HW_QUEUE' && slot.viommu === viommu && slot.index === index) return slot;
  }
  return undefined;
}

export function hwQueueAlloc(state: KernelState, op: Op<'iommufd.hw_queue_alloc'>): KernelOutcome {
  if (op.queue_type === HW_QUEUE_TYPE.DEFAULT) return fail('EOPNOTSUPP');
  const length = BigInt(op.length);
  if (length === 0n) return fail('EINVAL');
  if (BigInt(op.nesting_parent_iova) + length - 1n > U64_MAX) return fail('EOVERFLOW');
  const viommu = typedObject(state, op.viommu_id, 'VIOMMU');
  if (viommu === undefined) return fail('ENOENT');
  if (!hwQueueTypeSupported(viommu.viommuType, op.queue_type)) return fail('EOPNOTSUPP');
  // mock_hw_queue_init_phys: index range, index taken, and the chain to index-1.
  if (op.index >= MOCK_HW_QUEUE_MAX) return fail('EINVAL');
  if (queueAt(state, viommu.id, op.index) !== undefined) return fail('EEXIST');
  const previous = op.index > 0 ? queueAt(state, viommu.id, op.index - 1) : undefined;
  if (op.index > 0 && previous === undefined) return fail('EIO');
  const parent = state.objects[viommu.hwpt] as HwptPagingObject;
  // Two IDs: the queue first, then its hidden internal ACCESS.
  const queue = insertObject(
    state,
    (id, seq): HwQueueObject => ({
      id,
      seq,
      type: 'HW_QUEUE',
      users: 0,
      viommu: viommu.id,
      access: 0,
      index: op.index,
      queueType: op.queue_type,
      dependsOn: previous?.id ?? 0,
      m: hwQueueFast.initial({}),
    }),
  );
  const access = insertObject(
    state,
    (id, seq): AccessObject => ({
      id,
      seq,
      type: 'ACCESS',
      users: 1, // owned by the queue (driver reference): never user-destroyable
      ioas: parent.ioas,
      owner: queue.id,
    }),
  );
  (edit(state, queue) as { access: number }).access = access.id;
  pin(state, viommu.id);
  pin(state, parent.ioas);
  if (previous !== undefined) pin(state, previous.id);
  return { ok: true, id: queue.id };
}
