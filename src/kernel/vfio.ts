/**
 * VFIO cdev on top of the kAPI: bind, ATTACH (which becomes replace when already attached), DETACH
 * (always 0), and closing the device fd (detach every PASID, then the RID, tombstone the vDEVICE,
 * free the DEVICE).
 * Kernel reference: drivers/vfio/device_cdev.c (vfio_df_ioctl_bind_iommufd, vfio_df_ioctl_attach_pt,
 * vfio_df_ioctl_detach_pt), drivers/vfio/iommufd.c (vfio_iommufd_physical_attach_ioas,
 * vfio_iommufd_physical_pasid_attach_ioas, vfio_iommufd_physical_unbind),
 * drivers/iommu/iommufd/device.c (iommufd_device_bind, iommufd_device_unbind, iommufd_device_remove_vdev);
 * an emulated (mdev) device's bind, attach, detach and close are in emulated.ts.
 */
import { deviceFast } from '../../machines/device.machine.ts';
import { vdeviceFast } from '../../machines/vdevice.machine.ts';
import { viommuFast } from '../../machines/viommu.machine.ts';
import { changePt, detachPasid } from './attach.ts';
import { emulatedAttach, emulatedBind, emulatedClose, emulatedDetach } from './emulated.ts';
import { attachedHwpt } from './groups.ts';
import { edit, editDevices } from './journal.ts';
import { mustStep } from './machine-step.ts';
import type { KernelOp } from './ops.ts';
import { eraseId, insertObject, liveObject, unpin } from './table.ts';
import {
  type AccessObject,
  type DeviceObject,
  fail,
  type KernelOutcome,
  type KernelState,
  OK,
  type VdeviceObject,
} from './types.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

export function boundDevice(state: KernelState, dev: string): DeviceObject | undefined {
  const id = state.devices.get(dev);
  const object = id === undefined ? undefined : liveObject(state, id);
  return object?.type === 'DEVICE' ? object : undefined;
}

/** The ACCESS an emulated device's bind created, if `dev` is one. */
function boundAccess(state: KernelState, dev: string): AccessObject | undefined {
  const id = state.devices.get(dev);
  const object = id === undefined ? undefined : liveObject(state, id);
  return object?.type === 'ACCESS' ? object : undefined;
}

export function vfioBind(state: KernelState, op: Op<'vfio.bind'>): KernelOutcome {
  if (state.devices.has(op.dev)) return fail('EINVAL'); // already bound
  if (op.mdev === true) return emulatedBind(state, op.dev);
  const device = insertObject(
    state,
    (id, seq): DeviceObject => ({
      id,
      seq,
      type: 'DEVICE',
      users: 1, // the driver's bind reference: never destroyable by user space
      dev: op.dev,
      iommu: op.iommu,
      group: op.group,
      driver: op.driver,
      pasid: op.pasid,
      dirty: op.dirty,
      ...(op.resv_regions === undefined ? {} : { resv: op.resv_regions }),
      vdevice: 0,
      m: deviceFast.initial({}),
    }),
  );
  editDevices(state).set(op.dev, device.id);
  return { ok: true, id: device.id };
}

export function vfioAttach(state: KernelState, op: Op<'vfio.attach'>): KernelOutcome {
  const access = boundAccess(state, op.dev);
  if (access !== undefined) return emulatedAttach(state, access, op.pt_id, op.pasid);
  const device = boundDevice(state, op.dev);
  if (device === undefined) return fail('EINVAL'); // the device fd is not bound to iommufd
  const pasid = op.pasid ?? 0;
  if (op.pasid === 0) return fail('EINVAL'); // iommu core: pasid 0 is IOMMU_NO_PASID, not a PASID
  const mode = attachedHwpt(device, pasid) === undefined ? 'attach' : 'replace';
  const result = changePt(state, device, op.pt_id, pasid, mode);
  return result.ok ? { ok: true, id: result.hwpt } : fail(result.errno);
}

export function vfioDetach(state: KernelState, op: Op<'vfio.detach'>): KernelOutcome {
  const access = boundAccess(state, op.dev);
  if (access !== undefined) return emulatedDetach(state, access, op.pasid);
  const device = boundDevice(state, op.dev);
  if (device === undefined) return fail('EINVAL');
  const pasid = op.pasid ?? 0;
  if (attachedHwpt(device, pasid) !== undefined) detachPasid(state, device, pasid);
  return OK; // VFIO_DEVICE_DETACH_IOMMUFD_PT always returns 0
}

/** iommufd_device_remove_vdev: the vDEVICE's ID becomes a tombstone, its refs are dropped. */
function tombstoneVdevice(state: KernelState, device: DeviceObject): void {
  const vdev = liveObject(state, device.vdevice) as VdeviceObject;
  edit(state, vdev).m = mustStep(vdeviceFast, vdev.m, { type: 'vdevice.tombstone' });
  const viommu = liveObject(state, vdev.viommu);
  if (viommu?.type === 'VIOMMU') {
    edit(state, viommu).m = mustStep(viommuFast, viommu.m, {
      type: 'viommu.vdevice.remove',
      virtId: vdev.virtId,
    });
  }
  unpin(state, vdev.viommu);
  unpin(state, device.id);
  edit(state, device).vdevice = 0;
  state.objects[vdev.id] = { type: 'TOMBSTONE', id: vdev.id, seq: vdev.seq, was: 'VDEVICE' };
}

const isPasid = (pasid: number): boolean => pasid !== 0;
const ascending = (a: number, b: number): number => a - b;

export function vfioClose(state: KernelState, op: Op<'vfio.close'>): KernelOutcome {
  const access = boundAccess(state, op.dev);
  if (access !== undefined) return emulatedClose(state, access, op.dev);
  const device = boundDevice(state, op.dev);
  if (device === undefined) return fail('EBADF');
  edit(state, device).m = mustStep(deviceFast, device.m, { type: 'device.close' });
  const pasids = Object.keys(device.m.context.attachments).map(Number).filter(isPasid).sort(ascending);
  for (const pasid of pasids) detachPasid(state, device, pasid);
  if (attachedHwpt(device, 0) !== undefined) detachPasid(state, device, 0);
  if (device.vdevice !== 0) tombstoneVdevice(state, device);
  edit(state, device).m = mustStep(deviceFast, device.m, { type: 'device.unbind' });
  device.users -= 1; // the bind reference
  if (device.users !== 0)
    throw new Error(`DEVICE ${device.id} still has ${device.users} users after unbind; pins are unbalanced`);
  eraseId(state, device.id);
  editDevices(state).delete(op.dev);
  return OK;
}
