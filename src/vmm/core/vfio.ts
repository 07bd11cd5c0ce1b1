/**
 * VFIO device realize and unrealize with the iommufd backend (`vfio.plug`, `vfio.unplug`), the same
 * for every vIOMMU: connect, bind (with the frontend's driver and the device's host IOMMU instance),
 * join an existing container of the device's address space when the frontend names a shared one
 * (container.ts), else one IOAS per device, the default
 * HWPT (NEST_PARENT when the frontend's get_viommu_flags asks for a nesting parent), attach, then the
 * memory listener (listener.ts: shadowing with MAP/UNMAP notifiers on the frontend's IOMMU region,
 * or system memory), then the frontend's set_iommu_device; teardown in reverse after its
 * unset_iommu_device. `hotplug: false` marks a cold-plugged device: its refusal stops QEMU. The `legacy`
 * backend uses a VFIO container, which the model does not have: no host operations. A device whose
 * realize fails is not plugged (a cold-plugged one would stop QEMU from starting).
 * QEMU reference: hw/vfio/iommufd.c (iommufd_cdev_attach, iommufd_cdev_autodomains_get,
 * iommufd_cdev_detach, iommufd_cdev_detach_container, iommufd_cdev_connect_and_bind,
 * iommufd_cdev_unbind_and_disconnect), backends/iommufd.c (connect, disconnect, alloc_ioas),
 * hw/vfio/pci.c (vfio_pci_realize, vfio_pci_exit), hw/pci/pci.c (pci_device_set_iommu_device,
 * pci_device_unset_iommu_device); reference §1.10, §3.A, §3.B.6.
 */
import { HWPT_ALLOC } from '../../kernel/uapi.ts';
import type { EventOf } from '../../log/schema.ts';
import { emit } from '../../trace/emit.ts';
import { touchCore } from './before.ts';
import { addContainer, joinContainer, putContainer } from './container.ts';
import { type Frontend, VIOMMU_FLAG_WANT_NESTING_PARENT } from './frontend.ts';
import { mapGuestRam } from './guest-ram.ts';
import { allocHwpt, attachHwpt, detachHwpt, hostOp, strerror, type VmmStep } from './host.ts';
import { listen, STALL_PREFIX } from './listener.ts';
import { removeNamed } from './named.ts';
import { defaultAddressRefused } from './pci-address.ts';
import { devfnRefusal } from './pci-slot.ts';
import { DEFAULT_HOST_IOMMU, deviceNamed, IOMMUFD_FD, type VfioDevice } from './state.ts';

function refuse(step: VmmStep, message: string, event: EventOf<'vfio.plug'>): void {
  step.messages.push(message);
  step.firstErrno ??= 'EINVAL';
  // A device the listener shadowed can still be refused after it (set_iommu_device).
  if (step.integration !== undefined) step.integration = 'refused';
  // A cold-plugged device (`hotplug: false`) that fails realize stops QEMU from starting.
  if (event.hotplug === false)
    step.fatal ??= `QEMU did not start: -device vfio-pci,id=${event.dev}: ${message}`;
}

/** iommufd_backend_connect: the first user opens /dev/iommu (a fresh context once the last one was released). */
function connect(step: VmmStep): void {
  if (step.core.iommufdUsers === 0) step.port.reopenIfReleased();
  touchCore(step.core);
  step.core.iommufdUsers += 1;
  step.trace.push(emit.backendConnect(IOMMUFD_FD, step.core.iommufdUsers));
}

/** iommufd_backend_disconnect: the last user closes the fd (fd=-1 in the trace). */
function disconnect(step: VmmStep): void {
  touchCore(step.core);
  step.core.iommufdUsers -= 1;
  if (step.core.iommufdUsers === 0) hostOp(step, { type: 'iommufd.close' });
  step.trace.push(
    emit.backendDisconnect(step.core.iommufdUsers === 0 ? -1 : IOMMUFD_FD, step.core.iommufdUsers),
  );
}

/**
 * iommufd_cdev_detach and the realize error paths: detach (iommufd_cdev_detach_container reports a
 * failure with error_report_err), put the default HWPT and the IOAS, then
 * iommufd_cdev_unbind_and_disconnect and only then close(vbasedev->fd), which unbinds.
 */
function teardown(step: VmmStep, device: VfioDevice, attached: boolean): void {
  if (attached) {
    const detached = detachHwpt(step, device);
    if (!detached.ok && detached.error !== undefined) step.messages.push(detached.error);
  }
  putContainer(step, device);
  disconnect(step);
  hostOp(step, { type: 'vfio.close', dev: device.dev });
}

/**
 * do_pci_register_device, before the vIOMMU is asked for an address space: false (the plug refused)
 * when the devfn cannot be realized beside the devices plugged now (core/pci-slot.ts).
 */
function pciSlotFree<S extends { kind: string }>(
  frontend: Frontend<S>,
  step: VmmStep<S>,
  event: EventOf<'vfio.plug'>,
): boolean {
  const address = frontend.plugAddress!(step, event.dev, event.bdf, event.sid);
  const plugged = step.core.devices.map((device) => ({
    dev: device.dev,
    bdf: frontend.plugAddress!(step, device.dev, undefined).bdf,
  }));
  const refusal = devfnRefusal(address.bdf, event.hotplug === true, plugged);
  if (refusal === undefined) return true;
  if (address.chosen) throw defaultAddressRefused(address.bdf, event.dev, refusal, step.line);
  refuse(step, refusal, event);
  return false;
}

export function plug<S extends { kind: string }>(
  frontend: Frontend<S>,
  step: VmmStep<S>,
  event: EventOf<'vfio.plug'>,
): void {
  const { core } = step;
  if (deviceNamed(core, event.dev) !== undefined) {
    refuse(step, `Duplicate ID '${event.dev}' for device`, event);
    return;
  }
  if (frontend.plugAddress !== undefined && !pciSlotFree(frontend, step, event)) return;
  frontend.getAddressSpace(step, event.dev, event.bdf, event.sid);
  const backend = event.backend ?? 'iommufd';
  // A plug past the duplicate check writes the core (the fd, then its devices or its unwinding).
  touchCore(core);
  const devFd = core.nextDevFd++;
  const iommu = event.iommu ?? DEFAULT_HOST_IOMMU;
  if (backend === 'legacy') {
    const listened = listen(step, event.dev, frontend.iommuRegion?.(step, event.dev, backend) ?? null);
    if (listened.kind === 'stopped') return;
    if (listened.kind === 'refused') {
      refuse(step, `vfio ${event.dev}: failed to setup container: ${listened.error}`, event);
      return;
    }
    const device: VfioDevice = {
      dev: event.dev,
      backend,
      devFd,
      iommu,
      devId: 0,
      ioasId: 0,
      hwptId: 0,
      integration: listened.kind,
    };
    const check = frontend.setIommuDevice(step, device);
    if (check !== undefined) {
      refuse(step, `vfio ${event.dev}: Failed to set vIOMMU: ${check}`, event);
      return;
    }
    core.devices.push(device);
    return;
  }
  connect(step);
  const bound = hostOp(step, {
    type: 'vfio.bind',
    dev: event.dev,
    pasid: event.pasid ?? false,
    dirty: false,
    iommu,
    group: `group:${event.dev}`,
    driver: frontend.driver,
  });
  if (!bound.ok || bound.id === undefined) {
    // iommufd_cdev_connect_and_bind: error_setg_errno, then disconnect; iommufd_cdev_attach then
    // closes the device fd, which was never bound, so that close reaches no iommufd object.
    disconnect(step);
    const why = bound.ok ? 'no devid returned' : strerror(bound.errno);
    refuse(step, `vfio ${event.dev}: error bind device fd=${devFd} to iommufd=${IOMMUFD_FD}: ${why}`, event);
    return;
  }
  step.trace.push(emit.connectAndBind(IOMMUFD_FD, event.dev, devFd, bound.id));
  const nesting = (frontend.getViommuFlags(step.frontend) & VIOMMU_FLAG_WANT_NESTING_PARENT) !== 0;
  const flags = nesting ? HWPT_ALLOC.NEST_PARENT | (frontend.nestParentFlags?.(step.frontend) ?? 0) : 0;
  const key = frontend.addressSpaceKey?.(step.frontend, event.dev);
  // The bound device before it has an IOAS or a HWPT (a container join, or the IOAS error path).
  const unattached: VfioDevice = {
    dev: event.dev,
    backend,
    devFd,
    iommu,
    devId: bound.id,
    ioasId: 0,
    hwptId: 0,
    integration: 'system',
  };
  if (key !== undefined) {
    for (const container of core.containers) {
      if (container.key !== key) continue;
      const before = step.firstErrno;
      const joined = joinContainer(step, unattached, container, flags);
      if (joined.ok) {
        setIommuDeviceAndAdd(frontend, step, joined.device, event);
        return;
      }
      // iommufd_cdev_attach: the error is traced and discarded; the next container, or a new one.
      step.trace.push(emit.failAttachExistingContainer(joined.error));
      step.firstErrno = before;
    }
  }
  const ioas = hostOp(step, { type: 'iommufd.ioas_alloc' });
  if (!ioas.ok || ioas.id === undefined) {
    // iommufd_backend_alloc_ioas traces only on success; err_alloc_ioas: unbind_and_disconnect, close.
    teardown(step, unattached, false);
    const why = ioas.ok ? 'no ioas returned' : strerror(ioas.errno);
    refuse(step, `vfio ${event.dev}: Failed to allocate ioas: ${why}`, event);
    return;
  }
  const ioasId = ioas.id;
  step.trace.push(emit.allocIoas(IOMMUFD_FD, ioasId), emit.cdevAllocIoas(IOMMUFD_FD, ioasId));
  let device: VfioDevice = {
    dev: event.dev,
    backend,
    devFd,
    iommu,
    devId: bound.id,
    ioasId,
    hwptId: 0,
    integration: 'system',
    ...(event.pasid === true ? { pasid: true } : {}),
  };
  const s2 = allocHwpt(step, device, ioasId, flags);
  if (!s2.ok) {
    teardown(step, device, false);
    refuse(step, `vfio ${event.dev}: ${s2.error}`, event);
    return;
  }
  device = { ...device, hwptId: s2.id };
  const attached = attachHwpt(step, device, s2.id);
  if (!attached.ok) {
    teardown(step, device, false);
    refuse(step, `vfio ${event.dev}: ${attached.error}`, event);
    return;
  }
  const listened = listen(step, event.dev, frontend.iommuRegion?.(step, event.dev, backend) ?? null);
  if (listened.kind === 'stopped') {
    // exit(1): the process's fds close, which releases its objects; a stall keeps them, held.
    if (step.fatal?.startsWith(STALL_PREFIX)) core.devices.push({ ...device, integration: 'shadow' });
    else teardown(step, device, true);
    return;
  }
  if (listened.kind === 'refused') {
    teardown(step, device, true);
    refuse(step, `vfio ${event.dev}: ${listened.error}`, event);
    return;
  }
  device = { ...device, integration: listened.kind };
  if (listened.kind === 'system' && step.core.guestRam !== undefined) {
    // vfio_listener_register: region_add of each RAM section maps it (the header's guest_ram).
    const refused = mapGuestRam(step, device);
    // A refused realize frees the IOAS, and the sections already mapped with it, without unmapping.
    if (refused === undefined) device = { ...device, ramMapped: true };
    else {
      teardown(step, device, true);
      refuse(step, `vfio ${event.dev}: ${refused}`, event);
      return;
    }
  }
  if (key !== undefined) addContainer(core, key, device);
  setIommuDeviceAndAdd(frontend, step, device, event);
}

/** pci_device_set_iommu_device after VFIO's attach; a refusal unwinds VFIO's realize. */
function setIommuDeviceAndAdd<S extends { kind: string }>(
  frontend: Frontend<S>,
  step: VmmStep<S>,
  device: VfioDevice,
  event: EventOf<'vfio.plug'>,
): void {
  const check = frontend.setIommuDevice(step, device);
  if (check !== undefined) {
    teardown(step, device, true);
    refuse(step, `vfio ${event.dev}: Failed to set vIOMMU: ${check}`, event);
    return;
  }
  touchCore(step.core);
  step.core.devices.push(device);
}

export function unplug<S extends { kind: string }>(
  frontend: Frontend<S>,
  step: VmmStep<S>,
  event: EventOf<'vfio.unplug'>,
): void {
  const { core } = step;
  const device = deviceNamed(core, event.dev);
  if (device === undefined) {
    step.messages.push(`Device '${event.dev}' not found`);
    step.firstErrno ??= 'ENODEV';
    return;
  }
  frontend.unsetIommuDevice(step, device);
  if (device.backend === 'iommufd') teardown(step, device, true);
  touchCore(core);
  removeNamed(core.devices, event.dev);
}
