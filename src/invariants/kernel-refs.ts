/** Invariants on references and pins between kernel objects. */
import { liveObject } from '../kernel/table.ts';
import type { KernelObject, KernelState, Slot } from '../kernel/types.ts';
import { type EventReferences, eventReferences } from './event-references.ts';
import { IdScratch } from './id-scratch.ts';
import { closed, opened } from './no-violations.ts';
import {
  expectedUsers,
  forEachReference,
  type ReferenceList,
  referenceName,
  selfPins,
} from './references.ts';
import type { Changes, Invariant } from './types.ts';

const scratchIds = new IdScratch();
// Reused result lists (no-violations.ts opened / closed): these checks run after most events.
const pinScratch: string[] = [];
const referenceScratch: string[] = [];

const isLive = (slot: Slot | undefined): slot is KernelObject =>
  slot !== null && slot !== undefined && slot.type !== 'TOMBSTONE';

/** Adds `sign` per pinning reference of `list` to its target's count. */
function addPins(ids: IdScratch, list: ReferenceList, sign: number): void {
  for (let i = 0; i < list.length; i++) {
    if (!list.pins[i]) continue;
    const to = list.to[i]!;
    ids.add(to);
    if (ids.has(to)) ids.count[to]! += sign;
  }
}

/**
 * Pin counts when no object came or went: a count that was right before the event is right after it
 * exactly when its change equals the change in pinning references (written holders' old and new
 * references) plus the change in its own pins.
 */
function pinDeltaViolations(kernel: KernelState, changes: Changes, refs: EventReferences): string[] {
  const ids = scratchIds;
  ids.begin(kernel.objects.length);
  for (const id of changes.slots) ids.addWritten(id);
  // No object came or went: `now` lists the written live objects, `before` the same objects as they were.
  addPins(ids, refs.now, 1);
  addPins(ids, refs.before, -1);
  const out = opened(pinScratch);
  for (let id = 0; id <= ids.high; id++) {
    if (!ids.has(id)) continue;
    const written = ids.written(id);
    const delta = ids.count[id]!;
    if (!written && delta === 0) continue;
    const slot = kernel.objects[id];
    if (!isLive(slot)) continue;
    const before = written ? (changes.slotBefore(id) as KernelObject) : slot;
    const want = before.users + delta + (written ? selfPins(slot) - selfPins(before) : 0);
    usersMismatch(slot, want, out);
  }
  return closed(out);
}

/** Pin counts after objects came or went: the written objects and their old and new targets, recounted. */
function recountViolations(kernel: KernelState, changes: Changes, refs: EventReferences): string[] {
  const ids = scratchIds;
  const { objects } = kernel;
  const { now, before } = refs;
  ids.begin(objects.length);
  for (const id of changes.slots) ids.addWritten(id);
  // `now` lists every live object's references: the written holders' targets are among them.
  for (let i = 0; i < now.length; i++) if (ids.written(now.holder[i]!.id)) ids.add(now.to[i]!);
  for (let i = 0; i < before.length; i++) ids.add(before.to[i]!);
  for (let id = 0; id <= ids.high; id++) {
    const slot = objects[id];
    if (ids.has(id) && isLive(slot)) ids.count[id] = selfPins(slot);
  }
  for (let i = 0; i < now.length; i++) {
    const to = now.to[i]!;
    if (now.pins[i] && ids.has(to)) ids.count[to]! += 1;
  }
  const out = opened(pinScratch);
  for (let id = 0; id <= ids.high; id++) {
    const slot = objects[id];
    if (ids.has(id) && isLive(slot)) usersMismatch(slot, ids.count[id]!, out);
  }
  return closed(out);
}

function usersMismatch(slot: KernelObject, want: number, out: string[]): void {
  if (slot.users !== want)
    out.push(`${slot.type} ${slot.id} has users ${slot.users}, but ${want} references pin it`);
}

/** One reference checked: it names a live object of an expected type. */
// The field's name is built only for a violation: this runs for every reference of every written holder.
function checkReference(
  kernel: KernelState,
  slot: KernelObject,
  to: number,
  expected: readonly string[],
  what: string,
  pasid: string | undefined,
  out: string[],
): void {
  const target = liveObject(kernel, to);
  if (target === undefined)
    out.push(`${slot.type} ${slot.id} ${referenceName(what, pasid)} names ${to}, which is not live`);
  else if (!expected.includes(target.type))
    out.push(
      `${slot.type} ${slot.id} ${referenceName(what, pasid)} names ${target.type} ${to}, expected ${expected.join(' or ')}`,
    );
}

// Keys then get, not entries: no [name, id] pair is made per bound device per event.
function checkDevices(kernel: KernelState, out: string[]): void {
  const { devices } = kernel;
  for (const dev of devices.keys()) {
    const id = devices.get(dev)!;
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
    const refs = eventReferences(kernel, changes);
    return refs.occupancyChanged
      ? recountViolations(kernel, changes, refs)
      : pinDeltaViolations(kernel, changes, refs);
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
        checkReference(kernel, slot, to, expected, what, pasid, out),
      );
    }
    checkDevices(kernel, out);
    return out;
  },
  // A reference breaks only where its holder or its target was written; while no written object
  // went away, only the written holders' own references can be new.
  checkChanged(world, { changes }) {
    const out = opened(referenceScratch);
    const { kernel } = world;
    // Either the written live holders' references, or (an object came or went) every live holder's.
    const { occupancyChanged, now } = eventReferences(kernel, changes);
    for (let i = 0; i < now.length; i++) {
      const to = now.to[i]!;
      const holder = now.holder[i]!;
      if (!occupancyChanged || changes.written(holder.id) || changes.written(to))
        checkReference(kernel, holder, to, now.expected[i]!, now.what[i]!, now.pasid[i], out);
    }
    checkDevices(kernel, out);
    return closed(out);
  },
};
