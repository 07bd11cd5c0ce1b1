/**
 * IOAS and HW_QUEUE: objects with no lifecycle of their own beyond "live until DESTROY, and DESTROY
 * only once nothing pins them". One spec, two machines, so their diagrams and IDs stay separate.
 *
 * IOAS: pinned by each HWPT_PAGING built on it and by each ACCESS attached to it; mappings do not
 * pin it. HW_QUEUE: pinned by the queue of the next index (driver dependency); its DESTROY also
 * releases its hidden internal ACCESS.
 * Not modelled: IOAS mappings and IOVA ranges, HW_QUEUE contents.
 *
 * Kernel reference: drivers/iommu/iommufd/ioas.c (iommufd_ioas_alloc_ioctl, iommufd_ioas_destroy),
 * viommu.c (iommufd_hw_queue_alloc_ioctl, iommufd_hw_queue_destroy), driver.c (_iommufd_object_depend).
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export type PinnedObjectContext = Record<string, never>;
export type PinnedObjectInput = Record<string, never>;
export type PinnedObjectEvent = { readonly type: 'object.destroy'; readonly pins: number };

function pinnedObject(id: string, description: string) {
  return defineMachine<PinnedObjectContext, PinnedObjectEvent, PinnedObjectInput>()({
    id,
    description,
    initial: 'live',
    context: () => ({}),
    states: {
      live: { on: { 'object.destroy': [{ guard: 'isUnpinned', target: 'destroyed' }] } },
      destroyed: { type: 'final', description: 'ID free' },
    },
    guards: { isUnpinned: (_context, event) => event.pins === 0 },
    actions: {},
  });
}

export const ioas = pinnedObject('ioas', 'IOAS lifecycle: DESTROY once no HWPT or ACCESS pins it');
/** IOAS and HW_QUEUE share the spec, so they share the state names. */
export type PinnedObjectStateName = StateNameOf<typeof ioas>;
export type PinnedObjectState = MachineState<PinnedObjectContext, PinnedObjectStateName>;
export const ioasMachine = ioas.machine;
export const ioasFast = compileMachine(ioas);

export const hwQueue = pinnedObject(
  'hwQueue',
  'HW_QUEUE lifecycle: DESTROY once no higher-index queue depends on it',
);
export const hwQueueMachine = hwQueue.machine;
export const hwQueueFast = compileMachine(hwQueue);
