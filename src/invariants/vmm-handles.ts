/**
 * VMM invariants on the IDs QEMU holds: they name live objects of the right type, every live HWPT
 * is reachable from them, QEMU never passes 0 as an object, and nothing outlives the last device.
 * Sources: reference qemu-viommu.md §6.5, §6.6, §7.2 and the suggested invariants at the end of §6.
 */
import { liveObject, liveObjects } from '../kernel/table.ts';
import type { ObjectType } from '../kernel/types.ts';
import { isKernelEvent } from '../model/protocol.ts';
import type { World } from '../model/world.ts';
import type { VtdVmm } from '../vmm/state.ts';
import type { Invariant } from './types.ts';

interface Handle {
  readonly id: number;
  readonly type: ObjectType;
  readonly what: string;
}

/** Every kernel ID QEMU keeps: VFIO's per device, and vtd_as->fs_hwpt_id per address space. */
export function vmmHandles(vmm: VtdVmm): Handle[] {
  const out: Handle[] = [];
  for (const device of Object.values(vmm.devices)) {
    if (device.backend !== 'iommufd') continue;
    out.push({ id: device.devId, type: 'DEVICE', what: `devid of ${device.dev}` });
    out.push({ id: device.ioasId, type: 'IOAS', what: `ioas_id of ${device.dev}` });
    out.push({ id: device.hwptId, type: 'HWPT_PAGING', what: `default hwpt_id of ${device.dev}` });
  }
  for (const [dev, space] of Object.entries(vmm.spaces)) {
    const fs = space.host.context.fsHwpt;
    if (fs !== 0) out.push({ id: fs, type: 'HWPT_NESTED', what: `fs_hwpt_id of ${dev}` });
  }
  return out;
}

const vtd = (world: World): VtdVmm | null => world.vmm;

export const vmmHandlesLive: Invariant = {
  name: 'vmm-handles-live',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence: 'Every ID QEMU holds names a live kernel object of the type QEMU expects.',
  source: 'reference §6.6 (a stale fs_hwpt_id survives unplug), §7.2',
  check(world) {
    const vmm = vtd(world);
    if (vmm === null) return [];
    const out: string[] = [];
    for (const handle of vmmHandles(vmm)) {
      const object = liveObject(world.kernel, handle.id);
      if (object === undefined) out.push(`QEMU holds ${handle.what} = ${handle.id}, which is not live`);
      else if (object.type !== handle.type)
        out.push(`QEMU holds ${handle.what} = ${handle.id}, which is ${object.type}, not ${handle.type}`);
    }
    return out;
  },
};

export const vmmNoUnreachableHwpt: Invariant = {
  name: 'vmm-no-unreachable-hwpt',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence: "No live HWPT is unreachable from QEMU's handles once an event has completed.",
  source: 'reference §6.6 (surprise unplug leaks the S2 and the first-stage HWPT), §6 suggested invariants',
  check(world) {
    const vmm = vtd(world);
    if (vmm === null) return [];
    const held = new Set(vmmHandles(vmm).map((handle) => handle.id));
    const out: string[] = [];
    for (const object of liveObjects(world.kernel)) {
      if ((object.type === 'HWPT_PAGING' || object.type === 'HWPT_NESTED') && !held.has(object.id))
        out.push(`${object.type} ${object.id} is live but no QEMU handle reaches it`);
    }
    return out;
  },
};

const ID_FIELDS = ['dev_id', 'pt_id', 'id', 'hwpt_id', 'viommu_id'] as const;

export const vmmNeverPassesZero: Invariant = {
  name: 'vmm-never-passes-zero',
  kind: 'step',
  reads: [],
  sentence: 'QEMU never passes 0 as an object ID in a host operation (0 is its "none" sentinel).',
  source: 'reference §6.5 (fs_hwpt_id == 0 sentinel), main.c XA_FLAGS_ALLOC1',
  check(_world, { input, outcome }) {
    if (isKernelEvent(input.event)) return [];
    const out: string[] = [];
    for (const { op } of outcome.hostOps) {
      for (const field of ID_FIELDS) {
        if (field in op && (op as Record<string, unknown>)[field] === 0)
          out.push(`${op.type} was issued with ${field}=0`);
      }
    }
    return out;
  },
};

export const vmmUnplugLeavesNothing: Invariant = {
  name: 'vmm-unplug-leaves-nothing',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  sentence: 'After every assigned device is unplugged the kernel holds no object.',
  source: 'hw/vfio/iommufd.c iommufd_cdev_detach; reference §3.B.6, §7.2',
  check(world, { input }) {
    const vmm = vtd(world);
    if (vmm === null || input.event.type !== 'vfio.unplug') return [];
    if (Object.values(vmm.devices).some((device) => device.backend === 'iommufd')) return [];
    return [...liveObjects(world.kernel)].map(
      (object) => `${object.type} ${object.id} is live although no assigned device is plugged`,
    );
  },
};
