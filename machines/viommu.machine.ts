/**
 * VIOMMU: a virtual IOMMU instance backed by a nest-parent HWPT_PAGING (IOMMU_VIOMMU_ALLOC).
 *
 * Owns the virt_id -> vDEVICE table (virt_id unique per vIOMMU). Dies on IOMMU_DESTROY once nothing
 * pins it: vDEVICEs, nested HWPTs allocated from it, vEVENTQs and HW_QUEUEs each hold a users ref
 * (counted in src/kernel and passed as `pins`). Not modelled: mmap of vIOMMU pages, vCMDQ contents.
 *
 * Kernel reference: drivers/iommu/iommufd/viommu.c (iommufd_viommu_alloc_ioctl,
 * iommufd_vdevice_alloc_ioctl, iommufd_viommu_destroy), device.c (iommufd_device_remove_vdev).
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export interface ViommuContext {
  /** virt_id (decimal string) to the live vDEVICE's object ID; a tombstoned vDEVICE frees its virt_id. */
  readonly vdevs: Readonly<Record<string, number>>;
}

export type ViommuInput = Record<string, never>;

export type ViommuEvent =
  | { readonly type: 'viommu.vdevice.add'; readonly virtId: string; readonly vdevice: number }
  | { readonly type: 'viommu.vdevice.remove'; readonly virtId: string }
  | { readonly type: 'viommu.destroy'; readonly pins: number };

export const viommu = defineMachine<ViommuContext, ViommuEvent, ViommuInput>()({
  id: 'viommu',
  description: 'vIOMMU lifecycle: vDEVICE table by virt_id, destroy once unpinned',
  initial: 'live',
  context: () => ({ vdevs: {} }),
  states: {
    live: {
      description: 'allocated; pins its nest-parent HWPT_PAGING',
      on: {
        'viommu.vdevice.add': [{ guard: 'isVirtIdFree', actions: ['addVdevice'] }],
        'viommu.vdevice.remove': [{ guard: 'hasVirtId', actions: ['removeVdevice'] }],
        'viommu.destroy': [{ guard: 'isUnpinned', target: 'destroyed' }],
      },
    },
    destroyed: { type: 'final', description: 'ID free; the parent HWPT is unpinned' },
  },
  guards: {
    isVirtIdFree: (context, event) =>
      event.type === 'viommu.vdevice.add' && !Object.hasOwn(context.vdevs, event.virtId),
    hasVirtId: (context, event) =>
      event.type === 'viommu.vdevice.remove' && Object.hasOwn(context.vdevs, event.virtId),
    isUnpinned: (_context, event) => event.type === 'viommu.destroy' && event.pins === 0,
  },
  actions: {
    addVdevice: (context, event) =>
      event.type === 'viommu.vdevice.add'
        ? { vdevs: { ...context.vdevs, [event.virtId]: event.vdevice } }
        : {},
    removeVdevice: (context, event) => {
      if (event.type !== 'viommu.vdevice.remove') return {};
      const { [event.virtId]: _gone, ...rest } = context.vdevs;
      return { vdevs: rest };
    },
  },
});

export type ViommuStateName = StateNameOf<typeof viommu>;
export type ViommuState = MachineState<ViommuContext, ViommuStateName>;
export const viommuMachine = viommu.machine;
export const viommuFast = compileMachine(viommu);
