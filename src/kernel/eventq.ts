/**
 * IOMMU_FAULT_QUEUE_ALLOC and IOMMU_VEVENTQ_ALLOC (each returns an fd that pins its object) and the
 * close of such an fd.
 * Kernel reference: drivers/iommu/iommufd/eventq.c (iommufd_fault_alloc, iommufd_veventq_alloc,
 * iommufd_eventq_init, iommufd_eventq_fops_release).
 */
import { eventqFast } from '../../machines/eventq.machine.ts';
import { edit } from './journal.ts';
import { stepOr } from './machine-step.ts';
import type { KernelOp } from './ops.ts';
import { insertObject, liveObject, pin, typedObject, unpin } from './table.ts';
import {
  type FaultObject,
  fail,
  type KernelOutcome,
  type KernelState,
  OK,
  type VeventqObject,
} from './types.ts';
import { VEVENTQ_TYPE } from './uapi.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

export function faultAlloc(state: KernelState): KernelOutcome {
  const fault = insertObject(
    state,
    (id, seq): FaultObject => ({
      id,
      seq,
      type: 'FAULT',
      users: 1, // the fd's reference
      m: eventqFast.initial({}),
    }),
  );
  return { ok: true, id: fault.id };
}

export function veventqAlloc(state: KernelState, op: Op<'iommufd.veventq_alloc'>): KernelOutcome {
  if (op.veventq_type === VEVENTQ_TYPE.DEFAULT) return fail('EOPNOTSUPP');
  if (op.depth === 0) return fail('EINVAL');
  const viommu = typedObject(state, op.viommu_id, 'VIOMMU');
  if (viommu === undefined) return fail('ENOENT');
  for (const slot of state.objects) {
    if (slot?.type === 'VEVENTQ' && slot.viommu === viommu.id && slot.veventqType === op.veventq_type)
      return fail('EEXIST');
  }
  const queue = insertObject(
    state,
    (id, seq): VeventqObject => ({
      id,
      seq,
      type: 'VEVENTQ',
      users: 1, // the fd's reference
      viommu: viommu.id,
      veventqType: op.veventq_type,
      depth: op.depth,
      m: eventqFast.initial({}),
    }),
  );
  pin(state, viommu.id);
  return { ok: true, id: queue.id };
}

/** Closing a FAULT/vEVENTQ fd drops its users ref; the object itself lives until DESTROY. */
export function fdClose(state: KernelState, op: Op<'fd.close'>): KernelOutcome {
  const object = liveObject(state, op.id);
  if (object === undefined || (object.type !== 'FAULT' && object.type !== 'VEVENTQ')) return fail('EBADF');
  const next = stepOr(eventqFast, object.m, { type: 'eventq.fd_close' }, 'EBADF'); // already closed
  if (typeof next === 'string') return fail(next);
  edit(state, object).m = next;
  unpin(state, object.id);
  return OK;
}

export function hasOpenEventFd(state: KernelState): boolean {
  return state.objects.some(
    (slot) => (slot?.type === 'FAULT' || slot?.type === 'VEVENTQ') && slot.m.value === 'fdOpen',
  );
}
