/**
 * VFIO device realize and unrealize with the iommufd backend (`vfio.plug`, `vfio.unplug`): connect,
 * bind, one IOAS per device (the VT-d address space is per device), the default HWPT (NEST_PARENT
 * when x-flts=on), attach, then the vIOMMU's set_iommu_device checks; teardown in reverse. The
 * `legacy` backend uses a VFIO container, which the model does not have: no host operations.
 * A device whose realize fails is not plugged (a cold-plugged one would stop QEMU from starting).
 * QEMU reference: hw/vfio/iommufd.c (iommufd_cdev_attach, iommufd_cdev_autodomains_get,
 * iommufd_cdev_detach, iommufd_cdev_unbind_and_disconnect), backends/iommufd.c (connect, disconnect),
 * hw/i386/intel_iommu.c (vtd_dev_set_iommu_device, vtd_dev_unset_iommu_device); reference §1.10, §3.A, §3.B.6.
 */
import { vtdDeviceFast } from '../../machines/vtd-device.machine.ts';
import { mustStep } from '../kernel/machine-step.ts';
import { HWPT_ALLOC } from '../kernel/uapi.ts';
import type { EventOf } from '../log/schema.ts';
import { emit } from '../trace/emit.ts';
import { allocHwpt, attachHwpt, detachHwpt, freeId, hostOp, type VmmStep } from './host.ts';
import { deviceCheckFailure, IOMMUFD_FD, spaceOf, type VfioDevice } from './state.ts';
import { stepPasid } from './vtd/propagate.ts';

function refuse(step: VmmStep, message: string): void {
  step.messages.push(message);
  step.firstErrno ??= 'EINVAL';
}

/** iommufd_backend_connect: the first user opens /dev/iommu (a fresh context once the last one was released). */
function connect(step: VmmStep): void {
  if (step.vmm.iommufdUsers === 0) step.port.reopenIfReleased();
  step.vmm.iommufdUsers += 1;
  step.trace.push(emit.backendConnect(IOMMUFD_FD, step.vmm.iommufdUsers));
}

/** iommufd_backend_disconnect: the last user closes the fd (fd=-1 in the trace). */
function disconnect(step: VmmStep): void {
  step.vmm.iommufdUsers -= 1;
  if (step.vmm.iommufdUsers === 0) hostOp(step, { type: 'iommufd.close' });
  step.trace.push(
    emit.backendDisconnect(step.vmm.iommufdUsers === 0 ? -1 : IOMMUFD_FD, step.vmm.iommufdUsers),
  );
}

/** iommufd_cdev_detach: detach, put the default HWPT and the IOAS, close the device fd, disconnect. */
function teardown(step: VmmStep, device: VfioDevice, attached: boolean): void {
  if (attached) detachHwpt(step, device);
  if (device.hwptId !== 0) freeId(step, device.hwptId);
  if (device.ioasId !== 0) freeId(step, device.ioasId);
  hostOp(step, { type: 'vfio.close', dev: device.dev });
  disconnect(step);
}

export function plug(step: VmmStep, event: EventOf<'vfio.plug'>): void {
  const { vmm } = step;
  if (vmm.devices[event.dev] !== undefined) {
    refuse(step, `Duplicate ID '${event.dev}' for device`);
    return;
  }
  const space = spaceOf(vmm, event.dev, event.bdf);
  space.created = true; // pci_device_iommu_address_space at realize; kept after unplug
  const backend = event.backend ?? 'iommufd';
  const devFd = vmm.nextDevFd++;
  if (backend === 'legacy') {
    const check = deviceCheckFailure(vmm.config, backend);
    if (check !== undefined) {
      refuse(step, `vfio ${event.dev}: Failed to set vIOMMU: ${check}`);
      return;
    }
    vmm.devices[event.dev] = { dev: event.dev, backend, devFd, devId: 0, ioasId: 0, hwptId: 0 };
    return;
  }
  connect(step);
  const bound = hostOp(step, {
    type: 'vfio.bind',
    dev: event.dev,
    pasid: event.pasid ?? false,
    dirty: false,
    iommu: 'iommu0',
    group: `group:${event.dev}`,
    driver: 'intel-vtd',
  });
  if (!bound.ok || bound.id === undefined) {
    disconnect(step);
    refuse(step, `vfio ${event.dev}: error bind ${event.dev}`);
    return;
  }
  step.trace.push(emit.connectAndBind(IOMMUFD_FD, event.dev, devFd, bound.id));
  const ioas = hostOp(step, { type: 'iommufd.ioas_alloc' });
  const ioasId = ioas.ok ? (ioas.id ?? 0) : 0;
  step.trace.push(emit.allocIoas(IOMMUFD_FD, ioasId), emit.cdevAllocIoas(IOMMUFD_FD, ioasId));
  let device: VfioDevice = { dev: event.dev, backend, devFd, devId: bound.id, ioasId, hwptId: 0 };
  // vtd_get_viommu_flags: VIOMMU_FLAG_WANT_NESTING_PARENT iff x-flts.
  const s2 = allocHwpt(step, device, ioasId, vmm.config.xFlts ? HWPT_ALLOC.NEST_PARENT : 0);
  if (!s2.ok) {
    teardown(step, device, false);
    refuse(step, `vfio ${event.dev}: ${s2.error}`);
    return;
  }
  device = { ...device, hwptId: s2.id };
  const attached = attachHwpt(step, device, s2.id);
  if (!attached.ok) {
    teardown(step, device, false);
    refuse(step, `vfio ${event.dev}: ${attached.error}`);
    return;
  }
  const check = deviceCheckFailure(vmm.config, backend);
  if (check !== undefined) {
    teardown(step, device, true);
    refuse(step, `vfio ${event.dev}: Failed to set vIOMMU: ${check}`);
    return;
  }
  vmm.devices[event.dev] = device;
  space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.plug' });
  // fixed: an address space that already caches a binding gets it replayed at the next guest operation.
  if (vmm.variant === 'fixed' && vmm.config.xFlts && space.pasid.value === 'valid')
    space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.retry', pending: true });
}

export function unplug(step: VmmStep, event: EventOf<'vfio.unplug'>): void {
  const { vmm } = step;
  const device = vmm.devices[event.dev];
  if (device === undefined) {
    step.messages.push(`Device '${event.dev}' not found`);
    step.firstErrno ??= 'ENODEV';
    return;
  }
  const space = spaceOf(vmm, event.dev);
  if (device.backend === 'iommufd') {
    // upstream: vtd_dev_unset_iommu_device only drops the host device; the first-stage HWPT stays.
    if (vmm.variant === 'fixed') releaseFirstStage(step, device);
    teardown(step, device, true);
    space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.unplug' });
  }
  delete vmm.devices[event.dev];
}

/** fixed: block the device, free its first-stage HWPT and forget the cached binding before VFIO's teardown. */
function releaseFirstStage(step: VmmStep, device: VfioDevice): void {
  const space = spaceOf(step.vmm, device.dev);
  const fs = space.host.context.fsHwpt;
  if (fs !== 0 && detachHwpt(step, device).ok) {
    freeId(step, fs);
    space.host = mustStep(vtdDeviceFast, space.host, { type: 'as.detach', te: true, scalable: true });
  }
  if (space.pasid.value === 'valid') stepPasid(space, { type: 'pasid.reset' });
}
