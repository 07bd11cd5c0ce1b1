/**
 * One kernel operation applied to a mutable kernel state (an immer draft, or the replay fast path's
 * working copy). Every operation checks before it changes anything, so a failure leaves the state as
 * it was; the invariant `failed-event-changes-nothing` holds the code to that.
 */

import { ioasFast } from '../../machines/pinned-object.machine.ts';
import { applyAccessOp } from './access/apply.ts';
import { iommufdClose, releaseIfUnheld } from './context.ts';
import { destroy } from './destroy.ts';
import { faultAlloc, fdClose, veventqAlloc } from './eventq.ts';
import { hwptAlloc } from './hwpt-alloc.ts';
import { invalidate } from './invalidate.ts';
import { applyIoasOp } from './ioas/apply.ts';
import type { KernelOp } from './ops.ts';
import { AllocationFailed, insertObject } from './table.ts';
import { fail, type IoasObject, type KernelOutcome, type KernelState } from './types.ts';
import { vfioAttach, vfioBind, vfioClose, vfioDetach } from './vfio.ts';
import { hwQueueAlloc, vdeviceAlloc, viommuAlloc } from './viommu.ts';

function ioasAlloc(state: KernelState): KernelOutcome {
  const ioas = insertObject(
    state,
    (id, seq): IoasObject => ({
      id,
      seq,
      type: 'IOAS',
      users: 0,
      m: ioasFast.initial({}),
      areas: [],
      allowed: [],
    }),
  );
  return { ok: true, id: ioas.id };
}

function dispatch(state: KernelState, op: KernelOp): KernelOutcome {
  switch (op.type) {
    case 'vfio.bind':
      return vfioBind(state, op);
    case 'vfio.attach':
      return vfioAttach(state, op);
    case 'vfio.detach':
      return vfioDetach(state, op);
    case 'vfio.close':
      return vfioClose(state, op);
    case 'iommufd.ioas_alloc':
      return ioasAlloc(state);
    case 'iommufd.hwpt_alloc':
      return hwptAlloc(state, op);
    case 'iommufd.viommu_alloc':
      return viommuAlloc(state, op);
    case 'iommufd.vdevice_alloc':
      return vdeviceAlloc(state, op);
    case 'iommufd.hw_queue_alloc':
      return hwQueueAlloc(state, op);
    case 'iommufd.fault_alloc':
      return faultAlloc(state);
    case 'iommufd.veventq_alloc':
      return veventqAlloc(state, op);
    case 'iommufd.destroy':
      return destroy(state, op);
    case 'iommufd.invalidate':
      return invalidate(state, op);
    case 'fd.close':
      return fdClose(state, op);
    case 'iommufd.close':
      return iommufdClose(state);
    case 'iommufd.ioas_map':
    case 'iommufd.ioas_map_file':
    case 'iommufd.ioas_unmap':
    case 'iommufd.ioas_copy':
    case 'iommufd.ioas_iova_ranges':
    case 'iommufd.ioas_allow_iovas':
      return applyIoasOp(state, op);
    case 'iommufd.access_create':
    case 'iommufd.access_pin':
    case 'iommufd.access_unpin':
    case 'iommufd.access_rw':
    case 'iommufd.access_replace_ioas':
    case 'iommufd.access_destroy':
      return applyAccessOp(state, op);
    default:
      return op satisfies never;
  }
}

export function applyKernelOp(state: KernelState, op: KernelOp): KernelOutcome {
  // After iommufd_fops_release no fd reaches the context any more.
  if (state.released) return fail('EBADF');
  let outcome: KernelOutcome;
  try {
    outcome = dispatch(state, op);
  } catch (error) {
    if (error instanceof AllocationFailed) return fail('ENOMEM'); // fail_nth: the op unwound itself
    throw error;
  }
  if (
    outcome.ok &&
    (op.type === 'vfio.close' || op.type === 'fd.close' || op.type === 'iommufd.access_destroy')
  )
    releaseIfUnheld(state);
  return outcome;
}
