/**
 * What one event changed, read after the event from the kernel's journal and from a shadow of the
 * slot table taken before it: the slots written (replaced slots are found by comparing with the
 * shadow, in-place writes from the journal), the device table, the fd flags, a fresh context, and
 * the name bound. The World before the event is rebuilt from the same records only when an
 * invariant asks for it.
 */

import { kindBit, slotKind } from '../invariants/kinds.ts';
import type { Allocation, Changes } from '../invariants/types.ts';
import { attachJournal, clearJournal, editedCopy, journalOf, type KernelJournal } from '../kernel/journal.ts';
import type { KernelState, Slot } from '../kernel/types.ts';
import type { World } from './world.ts';

/** The kernel as it was when the event began, kept cheaply (slot references, scalars). */
export interface KernelBefore {
  state: KernelState;
  objects: Slot[];
  readonly shadow: Slot[];
  seq: number;
  fdOpen: boolean;
  released: boolean;
  readonly journal: KernelJournal;
}

/** Starts an event: clears the journal and takes the shadow (reusing `reuse`'s arrays when given). */
export function beginKernel(state: KernelState, journal: KernelJournal, reuse?: KernelBefore): KernelBefore {
  clearJournal(journal);
  if (journalOf(state) !== journal) attachJournal(state, journal);
  const objects = state.objects;
  const shadow = reuse?.shadow ?? [];
  if (shadow.length !== objects.length) shadow.length = objects.length;
  for (let id = 0; id < objects.length; id++) shadow[id] = objects[id]!;
  const before = reuse ?? ({ journal, shadow } as KernelBefore);
  before.state = state;
  before.objects = objects;
  before.seq = state.seq;
  before.fdOpen = state.fdOpen;
  before.released = state.released;
  return before;
}

/** A slot as it was before the event. */
export function slotBefore(before: KernelBefore, id: number): Slot | undefined {
  const old = before.shadow[id];
  if (old === undefined || old === null || before.journal.edited.length === 0) return old;
  return editedCopy(before.journal, id, old) ?? old;
}

/** The context as it was before the event (a new object; slots shared where unwritten). */
export function rebuildKernel(before: KernelBefore): KernelState {
  const objects = before.shadow.map((_, id) => slotBefore(before, id) ?? null);
  while (objects.length > 1 && objects[objects.length - 1] === null) objects.pop();
  return {
    objects,
    seq: before.seq,
    devices: before.journal.devicesBefore ?? new Map(before.state.devices),
    fdOpen: before.fdOpen,
    released: before.released,
    // The revision never changes within a log (a reopen keeps it).
    ...(before.state.revision === undefined ? {} : { revision: before.state.revision }),
  };
}

// Gathered here, then copied at their exact length: a list grown by push has room for 17.
const gathered: number[] = [];

function writtenSlots(before: KernelBefore, after: KernelState): number[] {
  const { shadow } = before;
  const objects = after.objects;
  const written = gathered;
  let count = 0;
  const length = Math.max(shadow.length, objects.length);
  if (after !== before.state || objects !== before.objects) {
    for (let id = 0; id < length; id++)
      if (shadow[id] !== undefined || objects[id] !== undefined) written[count++] = id;
    return written.slice(0, count);
  }
  const edited = before.journal.edited;
  if (edited.length === 0) {
    for (let id = 0; id < length; id++) if (objects[id] !== shadow[id]) written[count++] = id;
    return written.slice(0, count);
  }
  // One ascending walk (no sort): an object edited in place, then freed and trimmed, lies past both tables.
  let end = length;
  for (const id of edited) if (id >= end) end = id + 1;
  for (let id = 0; id < end; id++)
    if (objects[id] !== shadow[id] || edited.includes(id)) written[count++] = id;
  return written.slice(0, count);
}

/** The one name an event may bind (its `as`), as it was before the event. */
export interface NamesBefore {
  readonly name: string | undefined;
  readonly had: boolean;
  readonly id: number | undefined;
  readonly line: number | undefined;
}

const NO_NAME: NamesBefore = { name: undefined, had: false, id: undefined, line: undefined };

/** A stepper's one NamesBefore, rewritten by each event that binds a name (only the last event's is ever read). */
export type NamesRecord = { -readonly [K in keyof NamesBefore]: NamesBefore[K] };

export const newNamesRecord = (): NamesRecord => ({ ...NO_NAME });

/** The name `name` as it is now, into `reuse` when given (else a new record). */
export function beginNames(world: World, name: string | undefined, reuse?: NamesRecord): NamesBefore {
  if (name === undefined) return NO_NAME;
  const record = reuse ?? newNamesRecord();
  record.name = name;
  record.had = world.names.has(name);
  record.id = world.names.get(name);
  record.line = world.nameLines.get(name);
  return record;
}

function namesChanged(before: NamesBefore, world: World): boolean {
  const { name } = before;
  if (name === undefined) return false;
  const has = world.names.has(name);
  return has !== before.had || (has && world.names.get(name) !== before.id);
}

export function rebuildNames(before: NamesBefore, world: World): Pick<World, 'names' | 'nameLines'> {
  // A name bound again to the same ID still moved to a new line: that line is restored too.
  const lineMoved = before.had && world.nameLines.get(before.name!) !== before.line;
  if (!namesChanged(before, world) && !lineMoved) return { names: world.names, nameLines: world.nameLines };
  const names = new Map(world.names);
  const nameLines = new Map(world.nameLines);
  if (before.had) {
    names.set(before.name!, before.id!);
    nameLines.set(before.name!, before.line!);
  } else {
    names.delete(before.name!);
    nameLines.delete(before.name!);
  }
  return { names, nameLines };
}

/**
 * The kinds the written slots held and hold, and `context`. An edited copy has its object's type,
 * so the shadow's slot gives the type before.
 */
export function writtenKinds(
  slots: readonly number[],
  shadow: readonly Slot[],
  objects: readonly Slot[],
  context: boolean,
): number {
  let bits = context ? kindBit('context') : 0;
  for (let i = 0; i < slots.length; i++) {
    const id = slots[i]!;
    bits |= slotKind(shadow[id]) | slotKind(objects[id]);
  }
  return bits;
}

/** The Changes record the invariants see (valid until the next event). */
class EventChanges implements Changes {
  readonly kernel: boolean;
  readonly slots: readonly number[];
  private writtenSet: Set<number> | undefined;
  constructor(
    private readonly before: KernelBefore,
    private readonly after: KernelState,
    readonly names: boolean,
    readonly vmm: boolean,
    readonly allocations: readonly Allocation[],
  ) {
    this.slots = writtenSlots(before, after);
    const context =
      after !== before.state ||
      after.seq !== before.seq ||
      after.fdOpen !== before.fdOpen ||
      after.released !== before.released ||
      before.journal.devicesBefore !== undefined;
    this.kernel = this.slots.length > 0 || context;
    this.kinds = writtenKinds(this.slots, before.shadow, after.objects, context);
  }
  readonly kinds: number;

  written(id: number): boolean {
    if (this.slots.length < 8) return this.slots.includes(id);
    this.writtenSet ??= new Set(this.slots);
    return this.writtenSet.has(id);
  }

  slotBefore(id: number): Slot | undefined {
    return this.after === this.before.state ? slotBefore(this.before, id) : this.before.shadow[id];
  }
}

export function changesOf(
  before: KernelBefore,
  after: KernelState,
  names: NamesBefore,
  world: World,
  vmmEvent: boolean,
  allocations: readonly Allocation[],
): Changes {
  return new EventChanges(before, after, namesChanged(names, world), vmmEvent, allocations);
}

/** The free IDs of a slot table, lowest first (index 0 is never used), into `free` (emptied first). */
export function freeIds(objects: readonly Slot[], free: number[] = []): number[] {
  free.length = 0;
  for (let id = 1; id < objects.length; id++) if (objects[id] === null) free.push(id);
  return free;
}

/**
 * Watches one kernel operation: which objects it allocated (seq at or past the seq before it), in
 * allocation order, each against the free IDs just before the operation (lowest first).
 */
export function observeAllocations(
  freeBefore: readonly number[],
  lengthBefore: number,
  seqBefore: number,
  after: KernelState,
  out: Allocation[],
): void {
  if (after.released || after.seq === seqBefore) return;
  const { objects } = after;
  // Most operations allocate one object: record it without listing and sorting the created ones.
  let only: Exclude<Slot, null> | undefined;
  let count = 0;
  for (let id = 0; id < objects.length; id++) {
    const slot = objects[id]!;
    if (slot !== null && slot.seq >= seqBefore && count++ === 0) only = slot;
  }
  if (count === 1) {
    const lowestFree = freeBefore.length > 0 ? freeBefore[0]! : lengthBefore;
    out.push({ id: only!.id, type: only!.type, lowestFree });
    return;
  }
  const created: Exclude<Slot, null>[] = [];
  for (const slot of objects) if (slot !== null && slot.seq >= seqBefore) created.push(slot);
  if (created.length > 1) created.sort((a, b) => a.seq - b.seq);
  let next = lengthBefore;
  let taken = 0;
  for (const slot of created) {
    const lowestFree = taken < freeBefore.length ? freeBefore[taken++]! : next++;
    out.push({ id: slot.id, type: slot.type, lowestFree });
  }
}
