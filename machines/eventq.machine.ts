/**
 * FAULT and VEVENTQ: event queues that come with a file descriptor (IOMMU_FAULT_QUEUE_ALLOC,
 * IOMMU_VEVENTQ_ALLOC).
 *
 * The fd holds a users ref on its own object (and a ref on the iommufd file), so DESTROY fails with
 * EBUSY while it is open; closing the fd does not destroy the object. Once the fd is closed, DESTROY
 * succeeds when nothing else pins it (a HWPT allocated with FAULT_ID_VALID pins its FAULT).
 * Not modelled: reading events, fault responses, queue overflow (LOST_EVENTS).
 *
 * Kernel reference: drivers/iommu/iommufd/eventq.c (iommufd_eventq_init, iommufd_fault_alloc,
 * iommufd_veventq_alloc, iommufd_eventq_fops_release), main.c (iommufd_object_remove).
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export type EventqContext = Record<string, never>;
export type EventqInput = Record<string, never>;
export type EventqEvent =
  | { readonly type: 'eventq.fd_close' }
  | { readonly type: 'eventq.destroy'; readonly pins: number };

export const eventq = defineMachine<EventqContext, EventqEvent, EventqInput>()({
  id: 'eventq',
  description: 'FAULT / vEVENTQ lifecycle: the open fd pins the object',
  initial: 'fdOpen',
  context: () => ({}),
  states: {
    fdOpen: {
      description: 'the fd holds a users ref: DESTROY gives EBUSY',
      on: { 'eventq.fd_close': [{ target: 'fdClosed' }] },
    },
    fdClosed: {
      description: 'fd released; the object lives on until DESTROY',
      on: { 'eventq.destroy': [{ guard: 'isUnpinned', target: 'destroyed' }] },
    },
    destroyed: { type: 'final', description: 'ID free' },
  },
  guards: { isUnpinned: (_context, event) => event.type === 'eventq.destroy' && event.pins === 0 },
  actions: {},
});

export type EventqStateName = StateNameOf<typeof eventq>;
export type EventqState = MachineState<EventqContext, EventqStateName>;
export const eventqMachine = eventq.machine;
export const eventqFast = compileMachine(eventq);
