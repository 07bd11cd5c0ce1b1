/**
 * Contracts of the operations that end objects: IOMMU_DESTROY (per object kind, with the references
 * each destroy op drops), the close of a VFIO device fd, of a FAULT/vEVENTQ fd and of the iommufd
 * itself (iommufd_fops_release once nothing holds the file).
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 0291023e7330): main.c iommufd_destroy,
 * iommufd_object_remove, iommufd_fops_release; hw_pagetable.c iommufd_hwpt_paging_destroy,
 * iommufd_hwpt_nested_destroy; viommu.c iommufd_viommu_destroy, iommufd_vdevice_destroy,
 * iommufd_hw_queue_destroy; eventq.c iommufd_fault_destroy, iommufd_veventq_destroy,
 * iommufd_eventq_fops_release; device.c iommufd_device_unbind, iommufd_device_remove_vdev;
 * vfio/iommufd.c vfio_iommufd_physical_unbind.
 */
import type { KernelOp } from '../kernel/ops.ts';
import type { AccessObject, DeviceObject, KernelObject, KernelState } from '../kernel/types.ts';
import { detachEffect } from './attach.ts';
import { type Contract, type Effect, effect } from './contract.ts';
import { attachmentsOf, boundAccess, boundDevice, boundNames, live, liveOf } from './view.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

const fdOpen = (o: KernelObject): boolean =>
  (o.type === 'FAULT' || o.type === 'VEVENTQ') && o.m.value === 'fdOpen';

/** iommufd_fops_release runs when the fd is closed and no device fd or event fd holds the file. */
function releases(fdStillOpen: boolean, devicesLeft: number, eventFdsLeft: number): boolean {
  return !fdStillOpen && devicesLeft === 0 && eventFdsLeft === 0;
}

/** The selftest access fds: each holds the context (iommufd_access_create: iommufd_ctx_get). */
const accessFds = (state: KernelState): number =>
  [...liveOf(state)].filter((o) => o.type === 'ACCESS' && o.selftest !== undefined).length;

/** Closing a selftest access fd: the release runs if nothing else holds the file. */
export const accessFdReleases = (state: KernelState): boolean =>
  releases(state.fdOpen, boundNames(state).length + accessFds(state) - 1, openEventFds(state));

const openEventFds = (state: KernelState): number => [...liveOf(state)].filter(fdOpen).length;

/** The references each object's destroy op drops (and what it frees with it). */
function destroyEffect(state: KernelState, o: KernelObject): Effect {
  const pins: (readonly [number, number])[] = [];
  const frees = [o.id];
  const vdeviceLinks: (readonly [number, number])[] = [];
  switch (o.type) {
    case 'HWPT_PAGING':
      pins.push([o.ioas, -1]);
      if (o.fault !== 0) pins.push([o.fault, -1]);
      break;
    case 'HWPT_NESTED':
      pins.push([o.viommu !== 0 ? o.viommu : o.parent, -1]);
      if (o.fault !== 0) pins.push([o.fault, -1]);
      break;
    case 'VIOMMU':
      pins.push([o.hwpt, -1]);
      break;
    case 'VDEVICE':
      pins.push([o.viommu, -1], [o.device, -1]);
      vdeviceLinks.push([o.device, 0]);
      break;
    case 'HW_QUEUE': {
      const access = live(state, o.access);
      if (access?.type === 'ACCESS') {
        frees.push(access.id);
        pins.push([access.ioas, -1]);
      }
      pins.push([o.viommu, -1]);
      if (o.dependsOn !== 0) pins.push([o.dependsOn, -1]);
      break;
    }
    case 'VEVENTQ':
      pins.push([o.viommu, -1]);
      break;
    default:
      break;
  }
  return { frees, pins, vdeviceLinks };
}

interface DestroyLook {
  readonly state: KernelState;
  readonly object: KernelObject | undefined;
}

export const destroy: Contract<Op<'iommufd.destroy'>, DestroyLook> = {
  op: 'iommufd.destroy',
  title: 'IOMMU_DESTROY',
  look: (state, op) => ({ state, object: live(state, op.id) }),
  rows: [
    {
      when: 'the ID is free or a tombstone',
      outcome: 'ENOENT',
      source: 'main.c iommufd_object_remove (xa_load, XA_ZERO_ENTRY)',
      decide: (c) => (c.object === undefined ? 'ENOENT' : undefined),
    },
    {
      when: "a DEVICE or ACCESS (the driver's reference, removed only by unbind / its owner)",
      outcome: 'EBUSY',
      source: 'main.c iommufd_object_remove (users != 1)',
      decide: (c) => (c.object!.type === 'DEVICE' || c.object!.type === 'ACCESS' ? 'EBUSY' : undefined),
    },
    {
      when: 'anything else pins it (users > 0: attachments, children, an open fd)',
      outcome: 'EBUSY',
      source: 'main.c iommufd_object_remove (refcount_dec_if_one fails)',
      decide: (c) => (c.object!.users !== 0 ? 'EBUSY' : undefined),
    },
    {
      when: 'otherwise',
      outcome:
        "freed; its destroy op drops what it held (IOAS, parent or vIOMMU, FAULT, vDEVICE links, the queue's ACCESS)",
      source: 'main.c iommufd_destroy; the destroy ops named in this file',
      decide: (c) => effect(destroyEffect(c.state, c.object!)),
    },
  ],
};

interface CloseLook {
  readonly state: KernelState;
  readonly device: DeviceObject | undefined;
  readonly access?: AccessObject | undefined;
}

/** Closing the device fd: PASIDs (lowest first) then the RID detach, the vDEVICE is tombstoned, the DEVICE goes. */
function closeEffect(state: KernelState, device: DeviceObject, name: string): Effect {
  const users = new Map<number, number>();
  const pasids = [...attachmentsOf(device).keys()].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b));
  const pins: (readonly [number, number])[] = [];
  const frees: number[] = [];
  for (const pasid of pasids) {
    const one = detachEffect(state, device, pasid, users);
    pins.push(...one.pins!.filter(([id]) => id !== device.id));
    frees.push(...one.frees!);
  }
  const vdev = [...liveOf(state)].find((o) => o.type === 'VDEVICE' && o.device === device.id);
  const tombstones: number[] = [];
  if (vdev?.type === 'VDEVICE') {
    tombstones.push(vdev.id);
    pins.push([vdev.viommu, -1]);
  }
  frees.push(device.id);
  const others = boundNames(state).length + accessFds(state) - 1;
  return {
    frees,
    pins,
    tombstones,
    unbinds: name,
    release: releases(state.fdOpen, others, openEventFds(state)),
  };
}

export const vfioClose: Contract<Op<'vfio.close'>, CloseLook & { readonly name: string }> = {
  op: 'vfio.close',
  title: 'close of a VFIO device fd bound to iommufd',
  look: (state, op) => ({
    state,
    device: boundDevice(state, op.dev),
    access: boundAccess(state, op.dev),
    name: op.dev,
  }),
  rows: [
    {
      when: 'an emulated (mdev) device',
      outcome:
        'the access leaves its IOAS (-1) and is freed, the name unbound; the context released if nothing else holds it',
      source: 'vfio/iommufd.c vfio_iommufd_emulated_unbind; device.c iommufd_access_destroy',
      decide: (c) =>
        c.access === undefined
          ? undefined
          : effect({
              frees: [c.access.id],
              pins: c.access.ioas === 0 ? [] : [[c.access.ioas, -1]],
              unbinds: c.name,
              release: releases(
                c.state.fdOpen,
                boundNames(c.state).length + accessFds(c.state) - 1,
                openEventFds(c.state),
              ),
            }),
    },
    {
      when: 'the device fd is not bound',
      outcome: 'EBADF',
      source: 'vfio/device_cdev.c (no bound device file)',
      decide: (c) => (c.device === undefined ? 'EBADF' : undefined),
    },
    {
      when: 'otherwise',
      outcome:
        'every PASID then the RID detached, the vDEVICE tombstoned (its vIOMMU -1), the DEVICE freed; the context released if nothing else holds it',
      source:
        'vfio/iommufd.c vfio_iommufd_physical_unbind; device.c iommufd_device_unbind, iommufd_device_remove_vdev',
      decide: (c) => effect(closeEffect(c.state, c.device!, c.name)),
    },
  ],
};

interface FdLook {
  readonly state: KernelState;
  readonly object: KernelObject | undefined;
}

export const fdClose: Contract<Op<'fd.close'>, FdLook> = {
  op: 'fd.close',
  title: 'close of a FAULT or vEVENTQ fd',
  look: (state, op) => ({ state, object: live(state, op.id) }),
  rows: [
    {
      when: 'the ID is not a live FAULT or VEVENTQ, or its fd is already closed',
      outcome: 'EBADF',
      source: 'eventq.c iommufd_eventq_fops_release (no such fd)',
      decide: (c) => (c.object === undefined || !fdOpen(c.object) ? 'EBADF' : undefined),
    },
    {
      when: 'otherwise',
      outcome: 'the object -1 (it lives until IOMMU_DESTROY); the context released if nothing else holds it',
      source: 'eventq.c iommufd_eventq_fops_release (refcount_dec); main.c iommufd_fops_release',
      decide: (c) =>
        effect({
          pins: [[c.object!.id, -1]],
          release: releases(
            c.state.fdOpen,
            boundNames(c.state).length + accessFds(c.state),
            openEventFds(c.state) - 1,
          ),
        }),
    },
  ],
};

export const iommufdClose: Contract<Op<'iommufd.close'>, KernelState> = {
  op: 'iommufd.close',
  title: 'close of the iommufd',
  look: (state) => state,
  rows: [
    {
      when: 'the fd is already closed',
      outcome: 'EBADF',
      source: 'main.c (the file is gone)',
      decide: (s) => (s.fdOpen ? undefined : 'EBADF'),
    },
    {
      when: 'otherwise',
      outcome:
        'the fd closed; iommufd_fops_release destroys everything if no device or event fd holds the file',
      source: 'main.c iommufd_fops_release',
      decide: (s) =>
        effect({
          closesFd: true,
          release: releases(false, boundNames(s).length + accessFds(s), openEventFds(s)),
        }),
    },
  ],
};
