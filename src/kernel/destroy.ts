/**
 * IOMMU_DESTROY: untyped; ENOENT for a free or tombstoned ID, EBUSY while anything pins the
 * object (users != 1 in the kernel), else the object's destroy op drops the refs it held.
 * Kernel reference: drivers/iommu/iommufd/main.c (iommufd_destroy, iommufd_object_remove) and the
 * destroy ops: hw_pagetable.c (iommufd_hwpt_paging_destroy, iommufd_hwpt_nested_destroy),
 * viommu.c (iommufd_viommu_destroy, iommufd_vdevice_destroy, iommufd_hw_queue_destroy),
 * eventq.c (iommufd_fault_destroy, iommufd_veventq_destroy), ioas.c (iommufd_ioas_destroy).
 */
import { eventqFast } from '../../machines/eventq.machine.ts';
import { hwptFast } from '../../machines/hwpt.machine.ts';
import { hwQueueFast, ioasFast } from '../../machines/pinned-object.machine.ts';
import { vdeviceFast } from '../../machines/vdevice.machine.ts';
import { viommuFast } from '../../machines/viommu.machine.ts';
import { destroyHwptObject } from './attach.ts';
import { edit } from './journal.ts';
import { mustStep, stepOr } from './machine-step.ts';
import type { KernelOp } from './ops.ts';
import { eraseId, liveObject, unpin } from './table.ts';
import { fail, type KernelOutcome, type KernelState, OK, type VdeviceObject } from './types.ts';

function destroyVdevice(state: KernelState, vdev: VdeviceObject): void {
  const viommu = liveObject(state, vdev.viommu);
  if (viommu?.type === 'VIOMMU') {
    // A live vDEVICE's virt_id is in its vIOMMU's table by construction (vdeviceAlloc put it there).
    edit(state, viommu).m = mustStep(viommuFast, viommu.m, {
      type: 'viommu.vdevice.remove',
      virtId: vdev.virtId,
    });
  }
  const device = liveObject(state, vdev.device);
  if (device?.type === 'DEVICE') edit(state, device).vdevice = 0;
  unpin(state, vdev.viommu);
  unpin(state, vdev.device);
  eraseId(state, vdev.id);
}

export function destroy(
  state: KernelState,
  op: Extract<KernelOp, { type: 'iommufd.destroy' }>,
): KernelOutcome {
  const object = liveObject(state, op.id);
  if (object === undefined) return fail('ENOENT');
  const pins = object.users;
  switch (object.type) {
    case 'DEVICE':
    case 'ACCESS':
      return fail('EBUSY'); // the driver's reference: only unbind / the owner removes them
    case 'HWPT_PAGING':
    case 'HWPT_NESTED': {
      const next = stepOr(hwptFast, object.m, { type: 'hwpt.destroy', pins }, 'EBUSY');
      if (typeof next === 'string') return fail(next);
      edit(state, object).m = next;
      destroyHwptObject(state, object);
      return OK;
    }
    case 'IOAS': {
      const next = stepOr(ioasFast, object.m, { type: 'object.destroy', pins }, 'EBUSY');
      if (typeof next === 'string') return fail(next);
      eraseId(state, object.id);
      return OK;
    }
    case 'VIOMMU': {
      const next = stepOr(viommuFast, object.m, { type: 'viommu.destroy', pins }, 'EBUSY');
      if (typeof next === 'string') return fail(next);
      unpin(state, object.hwpt);
      eraseId(state, object.id);
      return OK;
    }
    case 'VDEVICE': {
      const next = stepOr(vdeviceFast, object.m, { type: 'vdevice.destroy', pins }, 'EBUSY');
      if (typeof next === 'string') return fail(next);
      destroyVdevice(state, object);
      return OK;
    }
    case 'HW_QUEUE': {
      const next = stepOr(hwQueueFast, object.m, { type: 'object.destroy', pins }, 'EBUSY');
      if (typeof next === 'string') return fail(next);
      const access = liveObject(state, object.access);
      if (access?.type === 'ACCESS') {
        unpin(state, access.ioas);
        eraseId(state, access.id);
      }
      unpin(state, object.viommu);
      if (object.dependsOn !== 0) unpin(state, object.dependsOn);
      eraseId(state, object.id);
      return OK;
    }
    case 'FAULT':
    case 'VEVENTQ': {
      const next = stepOr(eventqFast, object.m, { type: 'eventq.destroy', pins }, 'EBUSY');
      if (typeof next === 'string') return fail(next);
      if (object.type === 'VEVENTQ') unpin(state, object.viommu);
      eraseId(state, object.id);
      return OK;
    }
    default:
      return object satisfies never;
  }
}
