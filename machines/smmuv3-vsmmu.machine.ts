/**
 * The vSMMU's vIOMMU with its children, as QEMU holds them (s_accel->viommu): `none` until the first
 * set_iommu_device allocates it with its abort and bypass proxy HWPTs, `live` while accel devices
 * use it, counting the devices on s_accel->device_list and the vDEVICEs made for them; it is freed
 * (with the proxies) only once the last device and its vDEVICE are gone, so a child never outlives
 * its parent in QEMU's books.
 * QEMU reference: hw/arm/smmuv3-accel.c (smmuv3_accel_alloc_viommu, smmuv3_accel_set_iommu_device,
 * smmuv3_accel_alloc_vdev, smmuv3_accel_unset_iommu_device, smmuv3_accel_free_viommu) at qemu/qemu
 * 13b941aaff48.
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export interface SmmuVsmmuContext {
  /** Accel devices on s_accel->device_list. */
  readonly devices: number;
  /** vDEVICEs (accel_dev->vdev) of those devices. */
  readonly vdevices: number;
}

export type SmmuVsmmuInput = Record<string, never>;

export type SmmuVsmmuEvent =
  | { readonly type: 'vsmmu.alloc' }
  | { readonly type: 'vsmmu.device-add' }
  | { readonly type: 'vsmmu.device-remove' }
  | { readonly type: 'vsmmu.vdevice-add' }
  | { readonly type: 'vsmmu.vdevice-remove' }
  | { readonly type: 'vsmmu.free' };

export const smmuVsmmu = defineMachine<SmmuVsmmuContext, SmmuVsmmuEvent, SmmuVsmmuInput>()({
  id: 'smmuVsmmu',
  description: "SMMUv3 accel vSMMU's vIOMMU: proxies, devices and vDEVICEs; freed with the last device",
  initial: 'none',
  context: () => ({ devices: 0, vdevices: 0 }),
  states: {
    none: {
      description: 'no vIOMMU: no iommufd device has been set on this vSMMU (or the last one left)',
      on: { 'vsmmu.alloc': [{ target: 'live' }] },
    },
    live: {
      description: 'vIOMMU with its abort and bypass proxy HWPTs, nested on the first device S2',
      on: {
        'vsmmu.device-add': [{ actions: ['addDevice'] }],
        'vsmmu.device-remove': [{ guard: 'hasDevice', actions: ['removeDevice'] }],
        'vsmmu.vdevice-add': [{ guard: 'hasDevice', actions: ['addVdevice'] }],
        'vsmmu.vdevice-remove': [{ guard: 'hasVdevice', actions: ['removeVdevice'] }],
        'vsmmu.free': [{ guard: 'childless', target: 'none' }],
      },
    },
  },
  guards: {
    hasDevice: (context) => context.devices > 0,
    hasVdevice: (context) => context.vdevices > 0,
    childless: (context) => context.devices === 0 && context.vdevices === 0,
  },
  actions: {
    addDevice: (context) => ({ devices: context.devices + 1 }),
    removeDevice: (context) => ({ devices: context.devices - 1 }),
    addVdevice: (context) => ({ vdevices: context.vdevices + 1 }),
    removeVdevice: (context) => ({ vdevices: context.vdevices - 1 }),
  },
});

export type SmmuVsmmuStateName = StateNameOf<typeof smmuVsmmu>;
export type SmmuVsmmuState = MachineState<SmmuVsmmuContext, SmmuVsmmuStateName>;
export const smmuVsmmuFast = compileMachine(smmuVsmmu);
