/** Invariants on lifecycles: failed events, machine states, nesting, vDEVICEs, tombstones, release. */
import { liveObject } from '../kernel/table.ts';
import type { HwptNestedObject, IoasObject, IoptArea, KernelState, Slot } from '../kernel/types.ts';
import { closed, NO_VIOLATIONS, opened } from './no-violations.ts';
import type { Changes, CheckedWorld, Invariant, StepContext } from './types.ts';

export const failedEventChangesNothing: Invariant = {
  name: 'failed-event-changes-nothing',
  kind: 'step',
  reads: ['kernel', 'names'],
  sentence: 'A kernel operation that fails leaves every object, ID, attachment and name binding as it was.',
  source:
    'reference §2 (a failed ioctl aborts its object and frees its ID); device.c iommufd_device_replace ("no change is made")',
  check(world, step) {
    return failedEventChanges(world, step, true, true);
  },
  // The journal says whether anything was written; only then compare the contents.
  checkChanged(world, step) {
    if (!step.changes.kernel && !step.changes.names) return NO_VIOLATIONS;
    return failedEventChanges(world, step, step.changes.kernel, step.changes.names);
  },
};

// Maps (device names, "as" names) are written as their entries: JSON.stringify writes any Map as {}.
const contentOf = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v instanceof Map ? [...v] : v));

/** A failed kernel operation's changes, compared by contents (a write of the same value is no change). */
function failedEventChanges(
  world: CheckedWorld,
  step: StepContext,
  kernel: boolean,
  names: boolean,
): string[] {
  const { outcome, input } = step;
  if (outcome.ok || input.event.type.startsWith('vtd.') || input.event.type.startsWith('smmu.'))
    return NO_VIOLATIONS;
  if (outcome.hostOps.length !== 1) return NO_VIOLATIONS; // platform events may fail part-way by design
  const out: string[] = [];
  const prev = step.prev;
  if (
    kernel &&
    world.kernel !== prev.kernel &&
    contentOf(world.kernel) !== contentOf(partWayUnmapUndone(world.kernel, prev.kernel, step))
  ) {
    out.push(`${input.event.type} failed with ${outcome.errno} but changed the kernel state`);
  }
  if (names && world.names !== prev.names && contentOf(world.names) !== contentOf(prev.names)) {
    out.push(`${input.event.type} failed with ${outcome.errno} but bound a name`);
  }
  return out;
}

/**
 * IOMMU_IOAS_UNMAP is the one ioctl the kernel lets fail part-way: iopt_unmap_iova_range removes
 * areas lowest first and answers ENOENT at an area straddling the range's end (EBUSY at one a HW
 * queue locked) without putting the ones below back. Such a failure may only have dropped areas of its IOAS: the state before the
 * event with exactly those areas gone is what it must equal; the unmap callback that ran for them
 * may also have unpinned selftest access items (fewer items, lower pin counts, never more).
 */
function partWayUnmapUndone(now: KernelState, prev: KernelState, step: StepContext): KernelState {
  const op = step.outcome.hostOps[0]?.op;
  const errno = step.outcome.errno;
  if (op?.type !== 'iommufd.ioas_unmap' || (errno !== 'ENOENT' && errno !== 'EBUSY' && errno !== 'EDEADLOCK'))
    return prev;
  const before = liveObject(prev, op.ioas_id);
  const after = liveObject(now, op.ioas_id);
  if (before?.type !== 'IOAS' || after?.type !== 'IOAS') return prev;
  // Compared by contents (the reference reducer's copies are not the checked path's objects), pin counts aside.
  const key = (area: IoptArea): string => JSON.stringify({ ...area, accesses: undefined });
  const kept = new Set(after.areas.map(key));
  const remaining = before.areas.filter((area) => kept.has(key(area)));
  if (remaining.length !== after.areas.length) return prev;
  const objects = prev.objects.slice();
  objects[op.ioas_id] = { ...before, areas: pinsDropped(before, after) ? after.areas : remaining };
  // The unmap callback ran for the areas already removed: their accesses may have lost items.
  for (let id = 1; id < prev.objects.length; id++) {
    const was = prev.objects[id];
    const is = now.objects[id];
    if (was?.type !== 'ACCESS' || is?.type !== 'ACCESS' || was.ioas !== op.ioas_id) continue;
    if (was.selftest === undefined || is.selftest === undefined) continue;
    const held = new Set(was.selftest.items.map((item) => item.id));
    if (is.selftest.items.every((item) => held.has(item.id))) objects[id] = { ...was, selftest: is.selftest };
  }
  return { ...prev, objects };
}

/** Whether the areas kept only lost pin counts (never gained one) across the failed unmap. */
function pinsDropped(before: IoasObject, after: IoasObject): boolean {
  const counts = new Map(before.areas.map((area) => [area.iova, area.accesses ?? 0]));
  return after.areas.every((area) => (area.accesses ?? 0) <= (counts.get(area.iova) ?? 0));
}

// A reused result list (no-violations.ts opened / closed): it runs after most events.
const machinesScratch: string[] = [];

export const machinesLive: Invariant = {
  name: 'machines-live',
  kind: 'state',
  reads: ['kernel'],
  // Every slot type but ACCESS and TOMBSTONE has a statechart.
  readsKinds: [
    'IOAS',
    'DEVICE',
    'HWPT_PAGING',
    'HWPT_NESTED',
    'VIOMMU',
    'VDEVICE',
    'HW_QUEUE',
    'FAULT',
    'VEVENTQ',
  ],
  sentence: "No live object's statechart is in a final state, and every bound DEVICE is in state bound.",
  source: 'machines/*.machine.ts (final states mean the ID was erased)',
  check(world) {
    const out: string[] = [];
    for (const slot of world.kernel.objects) machineLive(slot, out);
    return out;
  },
  checkChanged(world, { changes }) {
    const out = opened(machinesScratch);
    for (const id of changes.slots) machineLive(world.kernel.objects[id], out);
    return closed(out);
  },
};

const FINAL_STATES = new Set(['destroyed', 'unbound', 'tombstone']);

export function machineLive(slot: Slot | undefined, out: string[]): void {
  if (slot === null || slot === undefined || slot.type === 'TOMBSTONE' || slot.type === 'ACCESS') return;
  if (FINAL_STATES.has(slot.m.value))
    out.push(`${slot.type} ${slot.id} is live but its statechart is in ${slot.m.value}`);
  if (slot.type === 'DEVICE' && slot.m.value !== 'bound') out.push(`DEVICE ${slot.id} is in ${slot.m.value}`);
}

export const nestingWellFormed: Invariant = {
  name: 'nesting-well-formed',
  kind: 'state',
  reads: ['kernel'],
  // A nested HWPT that held is broken only by a write to it, its parent HWPT_PAGING or its vIOMMU.
  readsKinds: ['HWPT_NESTED', 'HWPT_PAGING', 'VIOMMU'],
  sentence:
    "A nested HWPT sits on a nest-parent HWPT_PAGING that is not an auto domain, and on the vIOMMU path its parent is that vIOMMU's HWPT.",
  source: 'hw_pagetable.c iommufd_hwpt_nested_alloc, iommufd_viommu_alloc_hwpt_nested',
  check(world) {
    return nestingViolations(world.kernel, undefined);
  },
  // A nested HWPT's rule reads it, its parent and its vIOMMU: recheck those that touch a written slot.
  checkChanged(world, { changes }) {
    return nestingViolations(world.kernel, changes);
  },
};

/** `changes` given: only nested HWPTs whose own, parent's or vIOMMU's slot was written. */
function nestingViolations(kernel: KernelState, changes: Changes | undefined): string[] {
  const out: string[] = [];
  for (const slot of kernel.objects) {
    if (slot?.type !== 'HWPT_NESTED') continue;
    if (changes !== undefined && !nestingTouched(slot, changes)) continue;
    nestedViolations(kernel, slot, out);
  }
  return out;
}

/** One nested HWPT's rule (also the fused kernel pass's). */
export function nestedViolations(kernel: KernelState, slot: HwptNestedObject, out: string[]): void {
  const parent = liveObject(kernel, slot.parent);
  if (parent?.type !== 'HWPT_PAGING' || !parent.nestParent || parent.autoDomain) {
    out.push(`nested HWPT ${slot.id} has parent ${slot.parent}, which is not a nest-parent HWPT_PAGING`);
  }
  if (slot.viommu !== 0) {
    const viommu = liveObject(kernel, slot.viommu);
    if (viommu?.type === 'VIOMMU' && viommu.hwpt !== slot.parent) {
      out.push(
        `nested HWPT ${slot.id} parent ${slot.parent} is not vIOMMU ${slot.viommu}'s HWPT ${viommu.hwpt}`,
      );
    }
  }
}

export const vdevicesConsistent: Invariant = {
  name: 'vdevices-consistent',
  kind: 'state',
  reads: ['kernel'],
  readsKinds: ['DEVICE', 'VDEVICE', 'VIOMMU', 'TOMBSTONE'],
  sentence:
    "Each device has at most one vDEVICE, each vIOMMU's virt_id table lists exactly its live vDEVICEs, and only vDEVICEs leave tombstones.",
  source: 'viommu.c iommufd_vdevice_alloc_ioctl (EEXIST), device.c iommufd_device_remove_vdev',
  check(world) {
    return vdeviceViolations(world.kernel);
  },
  // Only DEVICE, vDEVICE, vIOMMU and tombstone slots take part; skip events that wrote none of them.
  checkChanged(world, { changes }) {
    for (const id of changes.slots)
      if (takesPart(world.kernel.objects[id]) || takesPart(changes.slotBefore(id)))
        return vdeviceViolations(world.kernel);
    return NO_VIOLATIONS;
  },
};

const VDEVICE_PARTS = new Set(['DEVICE', 'VDEVICE', 'VIOMMU', 'TOMBSTONE']);

export function takesPart(slot: Slot | undefined): boolean {
  return slot !== null && slot !== undefined && VDEVICE_PARTS.has(slot.type);
}

export function nestingTouched(slot: HwptNestedObject, changes: Changes): boolean {
  return changes.written(slot.id) || changes.written(slot.parent) || changes.written(slot.viommu);
}

export function vdeviceViolations(kernel: KernelState): string[] {
  const out: string[] = [];
  for (const slot of kernel.objects) {
    if (slot?.type === 'TOMBSTONE' && slot.was !== 'VDEVICE')
      out.push(`tombstone ${slot.id} was a ${slot.was}`);
    if (slot?.type === 'DEVICE' && slot.vdevice !== 0) {
      const vdev = liveObject(kernel, slot.vdevice);
      if (vdev?.type !== 'VDEVICE' || vdev.device !== slot.id)
        out.push(`DEVICE ${slot.id} names vDEVICE ${slot.vdevice}, which is not its own`);
    }
    if (slot?.type === 'VDEVICE') {
      const device = liveObject(kernel, slot.device);
      if (device?.type === 'DEVICE' && device.vdevice !== slot.id)
        out.push(`vDEVICE ${slot.id} is not its DEVICE's vdevice`);
    }
    if (slot?.type === 'VIOMMU') {
      const listed = Object.entries(slot.m.context.vdevs);
      const live = kernel.objects.filter((o) => o?.type === 'VDEVICE' && o.viommu === slot.id);
      if (listed.length !== live.length)
        out.push(`vIOMMU ${slot.id} lists ${listed.length} vDEVICEs, ${live.length} are live`);
      for (const [virtId, id] of listed) {
        const vdev = liveObject(kernel, id);
        if (vdev?.type !== 'VDEVICE' || vdev.virtId !== virtId)
          out.push(`vIOMMU ${slot.id} virt_id ${virtId} names ${id}, not its vDEVICE`);
      }
    }
  }
  return out;
}

export const releasedContextEmpty: Invariant = {
  name: 'released-context-empty',
  kind: 'state',
  reads: ['kernel'],
  sentence:
    'Once the iommufd is released no object or tombstone is left, and it is released as soon as nothing holds it.',
  source: 'main.c iommufd_fops_release (destroys everything, then xa_destroy)',
  check(world) {
    const { kernel } = world;
    return releasedViolations(
      kernel,
      kernel.released && objectsRemain(kernel),
      !kernel.released && fdHolderLive(kernel),
    );
  },
};

/** The rule given what the table walk found (also the fused kernel pass's): read only on the side `released` picks. */
export function releasedViolations(kernel: KernelState, remain: boolean, fdHolder: boolean): string[] {
  if (kernel.released) return remain ? ['the context is released but objects remain'] : [];
  const held = kernel.fdOpen || kernel.devices.size > 0 || fdHolder;
  return held ? [] : ['nothing holds the iommufd any more, but it was not released'];
}

// Plain loops, no closures: this full check runs after every kernel event.
function objectsRemain(kernel: KernelState): boolean {
  for (const slot of kernel.objects) if (slot !== null) return true;
  return false;
}

/** An open fault or vEVENTQ fd, or a selftest access fd. */
function fdHolderLive(kernel: KernelState): boolean {
  for (const s of kernel.objects) if (holdsFd(s)) return true;
  return false;
}

/** Whether this slot holds the iommufd: an open fault or vEVENTQ fd, or a selftest access fd. */
export function holdsFd(s: Slot): boolean {
  if ((s?.type === 'FAULT' || s?.type === 'VEVENTQ') && s.m.value === 'fdOpen') return true;
  return s?.type === 'ACCESS' && s.selftest !== undefined;
}
