/**
 * An assigned device as the VT-d vIOMMU sees it (x-flts=on): which HWPT QEMU believes the device's
 * RID is attached to. `default` is VFIO's nest-parent S2 HWPT (idev->hwpt_id), `firstStage` a
 * nested HWPT QEMU allocated from the cached PASID entry (vtd_as->fs_hwpt_id), `blocked` detached.
 *
 * Events are host results QEMU records after a successful call; a failed call changes nothing here.
 * `fsHwpt` survives an unplug on purpose: QEMU keys the address space by bus/devfn, so upstream a
 * surprise unplug leaves a stale ID behind (reference §6.6). `retry` marks a binding the `fixed`
 * variant will redo at the next guest operation.
 * On `pasid-series` one instance per PASID other than 0 too (`blocked`: nothing attached there).
 * Not modelled: the shadow-page-table path of legacy mode.
 *
 * QEMU reference: hw/i386/intel_iommu_accel.c (vtd_device_attach_iommufd, vtd_device_detach_iommufd,
 * vtd_destroy_old_fs_hwpt), hw/i386/intel_iommu.c (vtd_dev_set_iommu_device, vtd_dev_unset_iommu_device).
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export const PGTT = { FST: 1, SST: 2, NESTED: 3, PT: 4 } as const;

export interface VtdDeviceContext {
  /** vtd_as->fs_hwpt_id: 0 is QEMU's "no first-stage HWPT" sentinel. */
  readonly fsHwpt: number;
  readonly retry: boolean;
}

export type VtdDeviceInput = Record<string, never>;

export type VtdDeviceEvent =
  | { readonly type: 'as.plug' }
  | { readonly type: 'as.unplug' }
  /** host_iommu_device_iommufd_attach_hwpt succeeded for an entry with this PGTT. */
  | { readonly type: 'as.attach'; readonly pgtt: number; readonly hwpt: number }
  /** The unbind path succeeded: detach with TE=1 in scalable mode, else re-attach of the default HWPT. */
  | { readonly type: 'as.detach'; readonly te: boolean; readonly scalable: boolean }
  | { readonly type: 'as.retry'; readonly pending: boolean };

const plugged = {
  'as.attach': [
    { guard: 'isFirstStagePgtt', target: 'firstStage', actions: ['recordFsHwpt', 'clearRetry'] },
    { guard: 'isPassThroughPgtt', target: 'default', actions: ['clearFsHwpt', 'clearRetry'] },
  ],
  'as.detach': [
    { guard: 'isTranslatingScalable', target: 'blocked', actions: ['clearFsHwpt', 'clearRetry'] },
    { target: 'default', actions: ['clearFsHwpt', 'clearRetry'] },
  ],
  'as.unplug': [{ target: 'unplugged', actions: ['clearRetry'] }],
  'as.retry': [{ actions: ['setRetry'] }],
} as const;

export const vtdDevice = defineMachine<VtdDeviceContext, VtdDeviceEvent, VtdDeviceInput>()({
  id: 'vtdDevice',
  description: 'VT-d assigned device: default (S2) HWPT, first-stage HWPT or blocked, as QEMU believes',
  initial: 'unplugged',
  context: () => ({ fsHwpt: 0, retry: false }),
  states: {
    unplugged: {
      description: 'no iommufd host device at this bus/devfn (emulated, legacy, or gone)',
      on: { 'as.plug': [{ target: 'default' }] },
    },
    default: { description: 'RID on idev->hwpt_id, the nest-parent S2 HWPT', on: plugged },
    firstStage: { description: 'RID on the nested HWPT fsHwpt built from the cached entry', on: plugged },
    blocked: { description: 'RID detached: TE=1, scalable mode, no usable PASID entry', on: plugged },
  },
  guards: {
    isFirstStagePgtt: (_context, event) => event.type === 'as.attach' && event.pgtt === PGTT.FST,
    isPassThroughPgtt: (_context, event) => event.type === 'as.attach' && event.pgtt === PGTT.PT,
    isTranslatingScalable: (_context, event) => event.type === 'as.detach' && event.te && event.scalable,
  },
  actions: {
    recordFsHwpt: (_context, event) => (event.type === 'as.attach' ? { fsHwpt: event.hwpt } : {}),
    clearFsHwpt: () => ({ fsHwpt: 0 }),
    clearRetry: () => ({ retry: false }),
    setRetry: (_context, event) => (event.type === 'as.retry' ? { retry: event.pending } : {}),
  },
});

export type VtdDeviceStateName = StateNameOf<typeof vtdDevice>;
export type VtdDeviceState = MachineState<VtdDeviceContext, VtdDeviceStateName>;
export const vtdDeviceMachine = vtdDevice.machine;
export const vtdDeviceFast = compileMachine(vtdDevice);
