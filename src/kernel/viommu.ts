/**
 * IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC and IOMMU_HW_QUEUE_ALLOC in the kernel's check order: the
 * core's checks here, the driver's (get_viommu_size, viommu_init, get_hw_queue_size,
 * hw_queue_init_phys) in its record (src/kernel/drivers/), called where the core calls it.
 * Kernel reference: drivers/iommu/iommufd/viommu.c (iommufd_viommu_alloc_ioctl,
 * iommufd_vdevice_alloc_ioctl, iommufd_hw_queue_alloc_ioctl, iommufd_hw_queue_alloc_phys: its pin
 * of the queue's IOVA is in ioas/pin.ts); Linux
 * 6.17-rc as read in the Kingxukai/linux mirror at 0291023e7330.
 */
import { deviceFast } from '../../machines/device.machine.ts';
import { hwQueueFast } from '../../machines/pinned-object.machine.ts';
import { vdeviceFast } from '../../machines/vdevice.machine.ts';
import { viommuFast } from '../../machines/viommu.machine.ts';
import { driverOf } from './drivers/index.ts';
import { pinRefusal, queuePinRange } from './ioas/pin.ts';
import { alignmentRefusal, iovaAlignment } from './ioas/reserved.ts';
import { edit } from './journal.ts';
import { mustStep } from './machine-step.ts';
import type { KernelOp } from './ops.ts';
import { eraseId, insertObject, pin, typedObject } from './table.ts';
import {
  type AccessObject,
  fail,
  type HwptPagingObject,
  type HwQueueObject,
  type IoasObject,
  type KernelOutcome,
  type KernelState,
  type VdeviceObject,
  type ViommuObject,
} from './types.ts';
import { HW_QUEUE_TYPE, VIOMMU_TYPE } from './uapi.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;
const U64_MAX = (1n << 64n) - 1n;

export function viommuAlloc(state: KernelState, op: Op<'iommufd.viommu_alloc'>): KernelOutcome {
  if (op.viommu_type === VIOMMU_TYPE.DEFAULT) return fail('EOPNOTSUPP');
  const device = typedObject(state, op.dev_id, 'DEVICE');
  if (device === undefined) return fail('ENOENT');
  // No get_viommu_size / viommu_init, or no size for this type: checked before hwpt_id.
  const driver = driverOf(device.driver);
  if (driver.viommuInit === undefined || !driver.viommuTypes.includes(op.viommu_type))
    return fail('EOPNOTSUPP');
  const hwpt = typedObject(state, op.hwpt_id, 'HWPT_PAGING');
  if (hwpt === undefined) return fail('ENOENT');
  if (!hwpt.nestParent) return fail('EINVAL');
  const refusal = driver.viommuInit(device, hwpt);
  if (refusal !== undefined) return fail(refusal);
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

export function hwQueueAlloc(state: KernelState, op: Op<'iommufd.hw_queue_alloc'>): KernelOutcome {
  if (op.queue_type === HW_QUEUE_TYPE.DEFAULT) return fail('EOPNOTSUPP');
  const length = BigInt(op.length);
  if (length === 0n) return fail('EINVAL');
  if (BigInt(op.nesting_parent_iova) + length - 1n > U64_MAX) return fail('EOVERFLOW');
  const viommu = typedObject(state, op.viommu_id, 'VIOMMU');
  if (viommu === undefined) return fail('ENOENT');
  // No get_hw_queue_size / hw_queue_init_phys in the vIOMMU's ops, or no size for this type.
  const ops = driverOf(viommu.driver).viommuOps;
  if (ops?.hwQueueInitPhys === undefined || !ops.hwQueueTypes.includes(op.queue_type))
    return fail('EOPNOTSUPP');
  const parent = state.objects[viommu.hwpt] as HwptPagingObject;
  // iommufd_hw_queue_alloc_phys: the internal access pins the queue's pages in the parent's IOAS.
  const pinned = queuePinRange(BigInt(op.nesting_parent_iova), length);
  if (typeof pinned === 'string') return fail(pinned);
  // iommufd_access_attach_internal -> iopt_add_access: the internal access asks the IOAS for PAGE_SIZE.
  const ioas = state.objects[parent.ioas] as IoasObject;
  if (iovaAlignment(state, ioas.id) < 4096n) {
    const misaligned = alignmentRefusal(ioas, 4096n);
    if (misaligned !== undefined) return fail(misaligned);
  }
  const unmapped = pinRefusal(ioas, pinned);
  if (unmapped !== undefined) return fail(unmapped);
  // The driver's hw_queue_init_phys (its checks change nothing, so they run before the allocation).
  const init = ops.hwQueueInitPhys(state, viommu, op.index);
  if (typeof init === 'string') return fail(init);
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
      dependsOn: init.dependsOn,
      m: hwQueueFast.initial({}),
    }),
  );
  let access: AccessObject;
  try {
    access = insertObject(
      state,
      (id, seq): AccessObject => ({
        id,
        seq,
        type: 'ACCESS',
        users: 1, // owned by the queue (driver reference): never user-destroyable
        ioas: parent.ioas,
        owner: queue.id,
        pinned,
      }),
    );
  } catch (error) {
    // iommufd_hw_queue_alloc_ioctl: a failed internal ACCESS aborts the queue (found by kernel fail_nth).
    eraseId(state, queue.id);
    throw error;
  }
  (edit(state, queue) as { access: number }).access = access.id;
  pin(state, viommu.id);
  pin(state, parent.ioas);
  if (init.dependsOn !== 0) pin(state, init.dependsOn); // iommufd_hw_queue_depend
  return { ok: true, id: queue.id };
}
