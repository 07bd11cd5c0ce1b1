/**
 * VFIO containers of a shared address space: a device whose frontend names the same address space
 * as an existing container joins it (iommufd_cdev_attach: "try to attach to an existing container
 * in this space") by attaching to a default HWPT of its hwpt_list, or, when the kernel refuses each
 * one with EINVAL (another host IOMMU), by allocating its own HWPT in the container's IOAS. A
 * container whose join fails is skipped with a trace line and its error discarded. On teardown a
 * HWPT is freed with the last device attached to it and the IOAS with the container's last device,
 * after the container's listener unmapped the guest RAM it had mapped.
 * QEMU reference: hw/vfio/iommufd.c (iommufd_cdev_attach, iommufd_cdev_autodomains_get,
 * iommufd_cdev_autodomains_put, iommufd_cdev_detach_container, iommufd_cdev_container_destroy),
 * hw/vfio/container-base.c (vfio_address_space_insert) at qemu/qemu 010643eeb152.
 */
import { touchCore } from './before.ts';
import { unmapGuestRam } from './guest-ram.ts';
import { allocHwpt, attachHwpt, freeId, type VmmStep } from './host.ts';
import type { CoreVmm, VfioContainer, VfioDevice } from './state.ts';

export type Joined = { ok: true; device: VfioDevice } | { ok: false; error: string };

function replaceContainer(core: CoreVmm, old: VfioContainer, next: VfioContainer | null): void {
  const index = core.containers.indexOf(old);
  if (index < 0) return;
  touchCore(core);
  if (next === null) core.containers.splice(index, 1);
  else core.containers[index] = next;
}

/** iommufd_cdev_autodomains_get on an existing container: a compatible HWPT of its list, else a new one. */
export function joinContainer(
  step: VmmStep,
  device: VfioDevice,
  container: VfioContainer,
  flags: number,
): Joined {
  // The container's listener mapped the guest's RAM once, for all its devices (`guest_ram` on system
  // memory: a refused map refused the realize that made the container).
  const ramMapped = container.integration === 'system' && step.core.guestRam !== undefined;
  const member: VfioDevice = {
    ...device,
    ioasId: container.ioasId,
    integration: container.integration,
    ...(ramMapped ? { ramMapped: true } : {}),
  };
  for (const hwpt of container.hwpts) {
    const before = step.firstErrno;
    const attached = attachHwpt(step, member, hwpt);
    if (attached.ok) return { ok: true, device: { ...member, hwptId: hwpt } };
    // -EINVAL: the domain is incompatible with the device, an expected failure (error discarded).
    if (attached.errno !== 'EINVAL') return { ok: false, error: attached.error ?? 'attach failed' };
    step.firstErrno = before;
  }
  const hwpt = allocHwpt(step, member, container.ioasId, flags);
  if (!hwpt.ok) return hwpt;
  const attached = attachHwpt(step, member, hwpt.id);
  if (!attached.ok) {
    freeId(step, hwpt.id);
    return { ok: false, error: attached.error ?? 'attach failed' };
  }
  replaceContainer(step.core, container, { ...container, hwpts: [hwpt.id, ...container.hwpts] });
  return { ok: true, device: { ...member, hwptId: hwpt.id } };
}

/** vfio_address_space_insert (QLIST_INSERT_HEAD) of a new container of a shared address space. */
export function addContainer(core: CoreVmm, key: string, device: VfioDevice): void {
  touchCore(core);
  core.containers.unshift({
    key,
    ioasId: device.ioasId,
    hwpts: [device.hwptId],
    integration: device.integration,
  });
}

/**
 * iommufd_cdev_autodomains_put and iommufd_cdev_container_destroy: the device's HWPT is freed when no
 * other plugged device is attached to it, its IOAS when no other plugged device is in its container.
 */
export function putContainer(step: VmmStep, device: VfioDevice): void {
  const { core } = step;
  const others = core.devices.filter((other) => other.dev !== device.dev);
  if (device.hwptId !== 0 && !others.some((other) => other.hwptId === device.hwptId)) {
    freeId(step, device.hwptId);
    const container = core.containers.find((entry) => entry.hwpts.includes(device.hwptId));
    if (container !== undefined)
      replaceContainer(core, container, {
        ...container,
        hwpts: container.hwpts.filter((id) => id !== device.hwptId),
      });
  }
  if (device.ioasId !== 0 && !others.some((other) => other.ioasId === device.ioasId)) {
    unmapGuestRam(step, device); // iommufd_cdev_container_destroy: the listener goes before the IOAS
    freeId(step, device.ioasId);
    const container = core.containers.find((entry) => entry.ioasId === device.ioasId);
    if (container !== undefined) replaceContainer(core, container, null);
  }
}
