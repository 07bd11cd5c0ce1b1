/**
 * VDEVICE: a device's identity (virt_id, e.g. a guest SID) inside one vIOMMU (IOMMU_VDEVICE_ALLOC).
 *
 * IOMMU_DESTROY removes it once nothing pins it (`pins`, counted in src/kernel like for the other
 * objects). No object pins a vDEVICE today, so DESTROY removes it even while the device is attached
 * to a nested HWPT of that vIOMMU. When its device unbinds, the kernel tombstones it instead: the ID
 * stays reserved (ENOENT for every lookup and DESTROY) until the iommufd itself is released.
 *
 * Kernel reference: drivers/iommu/iommufd/viommu.c (iommufd_vdevice_alloc_ioctl, iommufd_vdevice_destroy),
 * device.c (iommufd_device_remove_vdev), main.c (iommufd_object_remove, REMOVE_OBJ_TOMBSTONE).
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export type VdeviceContext = Record<string, never>;
export type VdeviceInput = Record<string, never>;
export type VdeviceEvent =
  | { readonly type: 'vdevice.destroy'; readonly pins: number }
  | { readonly type: 'vdevice.tombstone' };

export const vdevice = defineMachine<VdeviceContext, VdeviceEvent, VdeviceInput>()({
  id: 'vdevice',
  description: 'vDEVICE lifecycle: destroyed by user space or tombstoned by device unbind',
  initial: 'live',
  context: () => ({}),
  states: {
    live: {
      description: 'pins its vIOMMU; keeps a revocable ref on its DEVICE',
      on: {
        'vdevice.destroy': [{ guard: 'isUnpinned', target: 'destroyed' }],
        'vdevice.tombstone': [{ target: 'tombstone', description: 'device unbind revokes it' }],
      },
    },
    destroyed: { type: 'final', description: 'ID free' },
    tombstone: { type: 'final', description: 'ID reserved (XA_ZERO_ENTRY) until the iommufd is released' },
  },
  guards: { isUnpinned: (_context, event) => event.type === 'vdevice.destroy' && event.pins === 0 },
  actions: {},
});

export type VdeviceStateName = StateNameOf<typeof vdevice>;
export type VdeviceState = MachineState<VdeviceContext, VdeviceStateName>;
export const vdeviceMachine = vdevice.machine;
export const vdeviceFast = compileMachine(vdevice);
