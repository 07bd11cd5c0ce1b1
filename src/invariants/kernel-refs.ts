/** Invariants on references and pins between kernel objects. */
import { liveObject } from '../kernel/table.ts';
import type { KernelObject, KernelState } from '../kernel/types.ts';
import {
  expectedUsers,
  expectedUsersOf,
  forEachReference,
  listReferences,
  ReferenceList,
  referenceName,
  selfPins,
  writtenAndTheirTargets,
} from './references.ts';
import type { Changes, Invariant } from './types.ts';

const scratch = new ReferenceList();

/** Whether the event allocated, freed or replaced an object (else every written slot holds the same object). */
function occupancyChanged(kernel: KernelState, changes: Changes): boolean {
  for (const id of changes.slots) {
    const before = changes.slotBefore(id);
    const now = kernel.objects[id];
    const liveBefore = before !== null && before !== undefined && before.type !== 'TOMBSTONE';
    const liveNow = now !== null && now !== undefined && now.type !== 'TOMBSTONE';
    if (liveBefore !== liveNow) return true;
    if (liveBefore && liveNow && (before.seq !== now.seq || before.type !== now.type)) return true;
    if (!liveBefore && !liveNow && (before ?? null) !== (now ?? null)) return true;
  }
  return false;
}

function addPins(delta: Map<number, number>, slot: KernelObject, sign: number): void {
  const list = listReferences(slot, scratch);
  for (let i = 0; i < list.length; i++)
    if (list.pins[i]) delta.set(list.to[i]!, (delta.get(list.to[i]!) ?? 0) + sign);
}

/**
 * Pin counts when no object came or went: a count that was right before the event is right after it
 * exactly when its change equals the change in pinning references (written holders' old and new
 * references) plus the change in its own pins.
 */
// Scratch tables reused from event to event (cleared at each use): this runs after most events.
const scratchDelta = new Map<number, number>();
const scratchIds = new Set<number>();

function pinDeltaViolations(kernel: KernelState, changes: Changes): string[] {
  const delta = scratchDelta;
  delta.clear();
  for (const id of changes.slots) {
    const now = kernel.objects[id];
    const before = changes.slotBefore(id);
    if (now === null || now === undefined || now.type === 'TOMBSTONE') continue;
    if (before === null || before === undefined || before.type === 'TOMBSTONE') continue;
    addPins(delta, now, 1);
    addPins(delta, before, -1);
  }
  const ids = scratchIds;
  ids.clear();
  for (const id of changes.slots) ids.add(id);
  for (const [id, change] of delta) if (change !== 0) ids.add(id);
  const out: string[] = [];
  for (const id of ids.size === 1 ? ids : [...ids].sort(byId)) {
    const slot = kernel.objects[id];
    if (slot === null || slot === undefined || slot.type === 'TOMBSTONE') continue;
    const written = changes.written(id);
    const before = written ? (changes.slotBefore(id) as KernelObject) : slot;
    const want = before.users + (delta.get(id) ?? 0) + (written ? selfPins(slot) - selfPins(before) : 0);
    usersMismatch(slot, want, out);
  }
  return out;
}
const byId = (a: number, b: number) => a - b;

function usersMismatch(slot: KernelObject, want: number, out: string[]): void {
  if (slot.users !== want)
    out.push(`${slot.type} ${slot.id} has users ${slot.users}, but ${want} references pin it`);
}

/** One reference checked: it names a live object of an expected type. */
function checkReference(
  kernel: KernelState,
  slot: KernelObject,
  to: number,
  expected: readonly string[],
  what: string,
  out: string[],
): void {
  const target = liveObject(kernel, to);
  if (target === undefined) out.push(`${slot.type} ${slot.id} ${what} names ${to}, which is not live`);
  else if (!expected.includes(target.type))
    out.push(`${slot.type} ${slot.id} ${what} names ${target.type} ${to}, expected ${expected.join(' or ')}`);
}

function checkDevices(kernel: KernelState, out: string[]): void {
  for (const [dev, id] of kernel.devices) {
    const device = liveObject(kernel, id);
    const bound = device?.type === 'DEVICE' || device?.type === 'ACCESS' ? device.dev : undefined;
    if (bound !== dev) out.push(`device "${dev}" is bound as ${id}, which is not its DEVICE or ACCESS`);
  }
}

export const pinCountMatches: Invariant = {
  name: 'pin-count-matches',
  kind: 'state',
  reads: ['kernel'],
  sentence:
    "Each object's users count equals the references that pin it (objects, attachments, open fds, the driver's bind).",
  source:
    'reference §4 dependency graph; hw_pagetable.c, viommu.c, eventq.c, device.c refcount_inc/dec pairs',
  check(world) {
    const expected = expectedUsers(world.kernel);
    const out: string[] = [];
    for (const slot of world.kernel.objects) {
      if (slot === null || slot.type === 'TOMBSTONE') continue;
      usersMismatch(slot, expected.get(slot.id) ?? 0, out);
    }
    return out;
  },
  // A count can only go wrong at a written object or at one a written object points (or pointed) at.
  checkChanged(world, { changes }) {
    const { kernel } = world;
    if (!occupancyChanged(kernel, changes)) return pinDeltaViolations(kernel, changes);
    const ids = writtenAndTheirTargets(kernel, changes);
    const expected = expectedUsersOf(kernel, ids);
    const out: string[] = [];
    for (const id of ids.size === 1 ? ids : [...ids].sort(byId)) {
      const slot = kernel.objects[id];
      if (slot === null || slot === undefined || slot.type === 'TOMBSTONE') continue;
      usersMismatch(slot, expected.get(id) ?? 0, out);
    }
    return out;
  },
};

export const referencesLiveAndTyped: Invariant = {
  name: 'references-live-and-typed',
  kind: 'state',
  reads: ['kernel'],
  sentence:
    'No reference from a live object, and no bound device name, names a dead object or an object of the wrong type.',
  source: 'main.c iommufd_object_remove (EBUSY while pinned); reference §4',
  check(world) {
    const out: string[] = [];
    const { kernel } = world;
    for (const slot of kernel.objects) {
      if (slot === null || slot.type === 'TOMBSTONE') continue;
      forEachReference(slot, (to, expected, what, _pins, pasid) =>
        checkReference(kernel, slot, to, expected, referenceName(what, pasid), out),
      );
    }
    checkDevices(kernel, out);
    return out;
  },
  // A reference breaks only where its holder or its target was written; while no written object
  // went away, only the written holders' own references can be new.
  checkChanged(world, { changes }) {
    const out: string[] = [];
    const { kernel } = world;
    if (!occupancyChanged(kernel, changes)) {
      for (const id of changes.slots) {
        const slot = kernel.objects[id];
        if (slot === null || slot === undefined || slot.type === 'TOMBSTONE') continue;
        const list = listReferences(slot, scratch);
        for (let i = 0; i < list.length; i++)
          checkReference(
            kernel,
            slot,
            list.to[i]!,
            list.expected[i]!,
            referenceName(list.what[i]!, list.pasid[i]),
            out,
          );
      }
      checkDevices(kernel, out);
      return out;
    }
    for (const slot of kernel.objects) {
      if (slot === null || slot.type === 'TOMBSTONE') continue;
      const holderWritten = changes.written(slot.id);
      const list = listReferences(slot, scratch);
      for (let i = 0; i < list.length; i++) {
        const to = list.to[i]!;
        if (holderWritten || changes.written(to))
          checkReference(
            kernel,
            slot,
            to,
            list.expected[i]!,
            referenceName(list.what[i]!, list.pasid[i]),
            out,
          );
      }
    }
    checkDevices(kernel, out);
    return out;
  },
};
