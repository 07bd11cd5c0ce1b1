/**
 * VMM invariants every vIOMMU frontend shares, on the IDs QEMU holds (VFIO's per device, plus the
 * frontend's own, e.g. vtd_as->fs_hwpt_id): they name live objects of the right type, every live
 * HWPT is reachable from them, QEMU never passes 0 as an object, and nothing outlives the last device.
 * Sources: reference qemu-viommu.md §6.5, §6.6, §7.2 and the suggested invariants at the end of §6;
 * QEMU reference: hw/vfio/iommufd.c (iommufd_cdev_attach, iommufd_cdev_detach).
 */
import { liveObject } from '../../../kernel/table.ts';
import type { KernelState, ObjectType } from '../../../kernel/types.ts';
import { isKernelEvent } from '../../../model/protocol.ts';
import type { HeldIdVisitor } from '../../../vmm/core/frontend.ts';
import type { Vmm } from '../../../vmm/core/state.ts';
import { frontendOf } from '../../../vmm/frontends.ts';
import { NO_VIOLATIONS } from '../../no-violations.ts';
import type { Invariant } from '../../types.ts';

/** Every kernel ID QEMU keeps: VFIO's per device, then the frontend's. */
export function forEachHandle(vmm: Vmm, visit: HeldIdVisitor): void {
  for (const device of vmm.core.devices) {
    if (device.backend !== 'iommufd') continue;
    visit(device.devId, 'DEVICE', 'devid', device.dev);
    visit(device.ioasId, 'IOAS', 'ioas_id', device.dev);
    visit(device.hwptId, 'HWPT_PAGING', 'default hwpt_id', device.dev);
  }
  frontendOf(vmm).forEachHeldId(vmm.frontend, visit);
}

/** One held ID against the kernel: a message when it is not live or not of the type QEMU expects. */
function staleHandle(
  kernel: KernelState,
  id: number,
  type: ObjectType,
  field: string,
  owner: string,
): string | undefined {
  const object = liveObject(kernel, id);
  if (object === undefined) return `QEMU holds ${field} of ${owner} = ${id}, which is not live`;
  if (object.type !== type)
    return `QEMU holds ${field} of ${owner} = ${id}, which is ${object.type}, not ${type}`;
  return undefined;
}

// The frontend's IDs go through one visitor reused by every check: no closure per event (checks never nest).
const frontendHeld: { kernel: KernelState | undefined; out: string[] | undefined } = {
  kernel: undefined,
  out: undefined,
};
function visitFrontendHeld(id: number, type: ObjectType, field: string, owner: string): void {
  const message = staleHandle(frontendHeld.kernel!, id, type, field, owner);
  if (message !== undefined) (frontendHeld.out ??= []).push(message);
}

export const vmmHandlesLive: Invariant = {
  name: 'vmm-handles-live',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence: 'Every ID QEMU holds names a live kernel object of the type QEMU expects.',
  source: 'reference §6.6 (a stale fs_hwpt_id survives unplug), §7.2',
  check(world) {
    const vmm = world.vmm;
    if (vmm === null) return NO_VIOLATIONS;
    const { kernel } = world;
    let out: string[] | undefined;
    // VFIO's IDs in forEachHandle's order, walked directly (this runs after every platform event).
    const { devices } = vmm.core;
    for (let i = 0; i < devices.length; i++) {
      const device = devices[i]!;
      if (device.backend !== 'iommufd') continue;
      const { dev } = device;
      const a = staleHandle(kernel, device.devId, 'DEVICE', 'devid', dev);
      if (a !== undefined) (out ??= []).push(a);
      const b = staleHandle(kernel, device.ioasId, 'IOAS', 'ioas_id', dev);
      if (b !== undefined) (out ??= []).push(b);
      const c = staleHandle(kernel, device.hwptId, 'HWPT_PAGING', 'default hwpt_id', dev);
      if (c !== undefined) (out ??= []).push(c);
    }
    frontendHeld.kernel = kernel;
    frontendHeld.out = out;
    frontendOf(vmm).forEachHeldId(vmm.frontend, visitFrontendHeld);
    out = frontendHeld.out;
    frontendHeld.kernel = frontendHeld.out = undefined;
    return out ?? NO_VIOLATIONS;
  },
};

// Every handle, gathered into one array reused by every check (checks never nest).
const HELD: number[] = [];
function visitHeld(id: number): void {
  HELD.push(id);
}

/** Whether one of VFIO's default HWPTs is this ID (the common case: no frontend walk needed). */
function isDefaultHwpt(vmm: Vmm, id: number): boolean {
  const { devices } = vmm.core;
  for (let i = 0; i < devices.length; i++) {
    const device = devices[i]!;
    if (device.backend === 'iommufd' && device.hwptId === id) return true;
  }
  return false;
}

export const vmmNoUnreachableHwpt: Invariant = {
  name: 'vmm-no-unreachable-hwpt',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence: "No live HWPT is unreachable from QEMU's handles once an event has completed.",
  source: 'reference §6.6 (surprise unplug leaks the S2 and the first-stage HWPT), §6 suggested invariants',
  check(world) {
    const vmm = world.vmm;
    if (vmm === null) return NO_VIOLATIONS;
    // Every handle, gathered only when a live HWPT is not a default one (a first-stage HWPT, a leak).
    let held: number[] | undefined;
    let out: string[] | undefined;
    const { objects } = world.kernel;
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i];
      if (object === null || object === undefined) continue;
      if (object.type !== 'HWPT_PAGING' && object.type !== 'HWPT_NESTED') continue;
      if (isDefaultHwpt(vmm, object.id)) continue;
      if (held === undefined) {
        HELD.length = 0;
        forEachHandle(vmm, visitHeld);
        held = HELD;
      }
      if (!held.includes(object.id))
        (out ??= []).push(`${object.type} ${object.id} is live but no QEMU handle reaches it`);
    }
    return out ?? NO_VIOLATIONS;
  },
};

/** The object-ID fields a host operation may carry, in the order they are reported. */
type IdFields = { readonly type: string } & {
  readonly [K in 'dev_id' | 'pt_id' | 'id' | 'hwpt_id' | 'viommu_id']?: unknown;
};

export const vmmNeverPassesZero: Invariant = {
  name: 'vmm-never-passes-zero',
  kind: 'step',
  reads: [],
  sentence: 'QEMU never passes 0 as an object ID in a host operation (0 is its "none" sentinel).',
  source: 'reference §6.5 (fs_hwpt_id == 0 sentinel), main.c XA_FLAGS_ALLOC1',
  check(_world, { input, outcome }) {
    const { hostOps } = outcome;
    if (hostOps.length === 0 || isKernelEvent(input.event)) return NO_VIOLATIONS;
    let out: string[] | undefined;
    for (let i = 0; i < hostOps.length; i++) {
      const op = hostOps[i]!.op as unknown as IdFields;
      // dev_id, pt_id, id, hwpt_id, viommu_id in order, as named reads: a field that reads 0 is present (ops are plain data).
      if (op.dev_id === 0) (out ??= []).push(`${op.type} was issued with dev_id=0`);
      if (op.pt_id === 0) (out ??= []).push(`${op.type} was issued with pt_id=0`);
      if (op.id === 0) (out ??= []).push(`${op.type} was issued with id=0`);
      if (op.hwpt_id === 0) (out ??= []).push(`${op.type} was issued with hwpt_id=0`);
      if (op.viommu_id === 0) (out ??= []).push(`${op.type} was issued with viommu_id=0`);
    }
    return out ?? NO_VIOLATIONS;
  },
};

export const vmmUnplugLeavesNothing: Invariant = {
  name: 'vmm-unplug-leaves-nothing',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['vfio.unplug'],
  sentence: 'After every assigned device is unplugged the kernel holds no object.',
  source: 'hw/vfio/iommufd.c iommufd_cdev_detach; reference §3.B.6, §7.2',
  check(world, { input }) {
    const vmm = world.vmm;
    if (vmm === null || input.event.type !== 'vfio.unplug') return NO_VIOLATIONS;
    for (const device of vmm.core.devices) if (device.backend === 'iommufd') return NO_VIOLATIONS;
    const out: string[] = [];
    for (const object of world.kernel.objects) {
      if (object !== null && object.type !== 'TOMBSTONE')
        out.push(`${object.type} ${object.id} is live although no assigned device is plugged`);
    }
    return out;
  },
};
