/**
 * HWPT (HWPT_PAGING or HWPT_NESTED): a hardware page table object in one iommufd context.
 *
 * Dies on IOMMU_DESTROY once no attachment and no other object pins it; an auto-domain HWPT (made
 * by attaching a device to an IOAS) dies by itself when its last attachment leaves; a HWPT whose
 * allocation or first attach failed is aborted. Attachments are counted here, per device and PASID;
 * which objects pin the HWPT is a cross-object rule kept in src/kernel (the `pins` of the event).
 * Not modelled: dirty bitmaps, IOPF delivery, domain contents.
 *
 * Kernel reference: drivers/iommu/iommufd/hw_pagetable.c (iommufd_hwpt_paging_alloc,
 * iommufd_hwpt_nested_alloc, iommufd_viommu_alloc_hwpt_nested), device.c (iommufd_hw_pagetable_attach,
 * iommufd_hw_pagetable_detach, iommufd_hw_pagetable_put), main.c (iommufd_object_remove).
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export interface HwptContext {
  readonly kind: 'paging' | 'nested';
  readonly autoDomain: boolean;
  readonly attachments: number;
}

export type HwptInput = { readonly kind: 'paging' | 'nested'; readonly autoDomain: boolean };

export type HwptEvent =
  | { readonly type: 'hwpt.attach' }
  | { readonly type: 'hwpt.detach' }
  | { readonly type: 'hwpt.destroy'; readonly pins: number }
  | { readonly type: 'hwpt.abort' };

export const hwpt = defineMachine<HwptContext, HwptEvent, HwptInput>()({
  id: 'hwpt',
  description: 'HWPT_PAGING / HWPT_NESTED lifecycle: attachments, destroy, auto-domain release',
  initial: 'detached',
  context: (input) => ({ kind: input.kind, autoDomain: input.autoDomain, attachments: 0 }),
  states: {
    detached: {
      description: 'allocated, no device or PASID attached',
      on: {
        'hwpt.attach': [{ target: 'attached', actions: ['addAttachment'] }],
        'hwpt.destroy': [{ guard: 'isUnpinned', target: 'destroyed' }],
        'hwpt.abort': [{ target: 'destroyed', description: 'allocation or first attach failed' }],
      },
    },
    attached: {
      description: 'at least one (device, PASID) attachment holds a users ref',
      on: {
        'hwpt.attach': [{ actions: ['addAttachment'] }],
        'hwpt.detach': [
          { guard: 'isLastAutoDomainUser', target: 'destroyed', actions: ['removeAttachment'] },
          { guard: 'isLastAttachment', target: 'detached', actions: ['removeAttachment'] },
          { actions: ['removeAttachment'] },
        ],
      },
    },
    destroyed: { type: 'final', description: 'ID erased from the xarray; free for reuse' },
  },
  guards: {
    isUnpinned: (_context, event) => event.type === 'hwpt.destroy' && event.pins === 0,
    isLastAttachment: (context) => context.attachments === 1,
    isLastAutoDomainUser: (context) => context.autoDomain && context.attachments === 1,
  },
  actions: {
    addAttachment: (context) => ({ attachments: context.attachments + 1 }),
    removeAttachment: (context) => ({ attachments: context.attachments - 1 }),
  },
});

export type HwptStateName = StateNameOf<typeof hwpt>;
export type HwptState = MachineState<HwptContext, HwptStateName>;
export const hwptMachine = hwpt.machine;
export const hwptFast = compileMachine(hwpt);
