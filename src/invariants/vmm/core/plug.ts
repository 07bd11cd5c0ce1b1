/**
 * VMM invariants on `vfio.plug` with a vIOMMU in front (seed 004), the same for every frontend: no
 * plug reaches the default full-address-space replay, a refused plug leaves nothing behind, a
 * refused hotplug leaves the running VM exactly as it was, and a refused cold plug stops QEMU
 * from starting.
 * Sources: seed 004 (Eric Auger, "[PATCH v4] vfio: Fail on HW nested paging", 2019-08-29: "the
 * guest does not even boot as the default memory_region_iommu_replay() ... completely stalls the
 * guest"; "on vfio hotplug ... we would rather simply reject the hotplug"); QEMU reference:
 * hw/vfio/pci.c (vfio_pci_realize error path), hw/vfio/common.c (vfio_listener_region_add).
 */
import { liveObjects } from '../../../kernel/table.ts';
import type { KernelState } from '../../../kernel/types.ts';
import { STALL_PREFIX } from '../../../vmm/core/listener.ts';
import type { Vmm } from '../../../vmm/core/state.ts';
import { NO_VIOLATIONS } from '../../no-violations.ts';
import type { Invariant } from '../../types.ts';
import { forEachHandle } from './handles.ts';

export const vmmNoFullReplay: Invariant = {
  name: 'vmm-no-full-replay',
  kind: 'step',
  reads: ['vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['vfio.plug'],
  sentence:
    'No vfio.plug leaves QEMU stuck in the default IOMMU replay, which translates every page of the address space.',
  source:
    'seed 004 (memory_region_iommu_replay "attempts to translate the whole address space and completely stalls the guest")',
  check(_world, { input, outcome }) {
    if (input.event.type !== 'vfio.plug' || outcome.fatal?.startsWith(STALL_PREFIX) !== true)
      return NO_VIOLATIONS;
    return [`vfio.plug of ${input.event.dev} stalled: ${outcome.fatal}`];
  },
};

const plugged = (vmm: Vmm, dev: string) => vmm.core.devices.some((device) => device.dev === dev);

export const vmmRefusedPlugLeavesNothing: Invariant = {
  name: 'vmm-refused-plug-leaves-nothing',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['vfio.plug'],
  sentence:
    'A refused vfio.plug leaves no kernel device bound for it, no QEMU handle or MAP/UNMAP notifier for it, and the iommufd users as they were.',
  source:
    'seed 004 ("do not abort anymore but jump to fail"); hw/vfio/iommufd.c iommufd_cdev_attach error unwinding',
  check(world, step) {
    // `prev` is rebuilt on first read: read it only after the event filters.
    const { input, outcome } = step;
    const event = input.event;
    if (event.type !== 'vfio.plug' || outcome.ok || world.vmm === null) return NO_VIOLATIONS;
    const { prev } = step;
    if (prev.vmm === null) return NO_VIOLATIONS;
    if (plugged(prev.vmm, event.dev) || outcome.fatal?.startsWith(STALL_PREFIX) === true)
      return NO_VIOLATIONS;
    const out: string[] = [];
    if (world.kernel.devices.has(event.dev))
      out.push(`refused plug of ${event.dev} left its DEVICE ${world.kernel.devices.get(event.dev)} bound`);
    const left = world.vmm.core.devices.find((device) => device.dev === event.dev);
    if (left !== undefined)
      out.push(
        `refused plug of ${event.dev} left QEMU holding it (${left.integration === 'shadow' ? 'with a MAP/UNMAP notifier' : 'on system memory'})`,
      );
    if (world.vmm.core.fatal === null && world.vmm.core.iommufdUsers !== prev.vmm.core.iommufdUsers)
      out.push(
        `refused plug of ${event.dev} changed the iommufd users from ${prev.vmm.core.iommufdUsers} to ${world.vmm.core.iommufdUsers}`,
      );
    return out;
  },
};

/** What the guest and the host can see of a running VM: live kernel objects and QEMU's handles. */
function visible(kernel: KernelState, vmm: Vmm): string {
  const objects = [...liveObjects(kernel)].map(
    (object) => `${object.id}:${object.type}:${'m' in object ? object.m.value : '-'}`,
  );
  const handles: string[] = [];
  forEachHandle(vmm, (id, _type, field, owner) => {
    handles.push(`${owner}.${field}=${id}`);
  });
  const devices = vmm.core.devices.map((device) => `${device.dev}/${device.integration}`);
  return JSON.stringify([objects, handles, devices, vmm.core.iommufdUsers]);
}

export const vmmRefusedHotplugKeepsVm: Invariant = {
  name: 'vmm-refused-hotplug-keeps-vm',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['vfio.plug'],
  sentence:
    'A refused hotplug leaves QEMU running, with every live kernel object, QEMU handle and plugged device exactly as before it.',
  source:
    'seed 004 ("on vfio hotplug ... we would rather simply reject the hotplug"); hw/i386/pc.c pc_hotplug_allowed (2019)',
  check(world, step) {
    // `prev` is rebuilt on first read: read it only after the event filters.
    const { input, outcome } = step;
    const event = input.event;
    if (event.type !== 'vfio.plug' || event.hotplug !== true || outcome.ok) return NO_VIOLATIONS;
    if (world.vmm === null) return NO_VIOLATIONS;
    const { prev } = step;
    if (prev.vmm === null) return NO_VIOLATIONS;
    if (world.vmm.core.fatal !== null)
      return [`refused hotplug of ${event.dev} ended QEMU: ${world.vmm.core.fatal.message}`];
    const [before, after] = [visible(prev.kernel, prev.vmm), visible(world.kernel, world.vmm)];
    return before === after
      ? []
      : [`refused hotplug of ${event.dev} changed the VM: ${before} became ${after}`];
  },
};

export const vmmColdPlugRefusalStops: Invariant = {
  name: 'vmm-cold-plug-refusal-stops',
  kind: 'step',
  reads: ['vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['vfio.plug'],
  sentence: 'A cold-plugged device (hotplug false) whose realize fails stops QEMU from starting.',
  source:
    'seed 004 ("a cold-plugged device fails realize"); hw/core/qdev.c device realize errors at machine creation are fatal',
  check(world, { input, outcome }) {
    const event = input.event;
    if (event.type !== 'vfio.plug' || event.hotplug !== false || outcome.ok || world.vmm === null)
      return NO_VIOLATIONS;
    return world.vmm.core.fatal === null ? [`cold plug of ${event.dev} was refused, yet QEMU went on`] : [];
  },
};
