/**
 * What one event changed, read after the event from the kernel's journal and from a shadow of the
 * slot table taken before it: the slots written (replaced slots are found by comparing with the
 * shadow, in-place writes from the journal), the device table, the fd flags, a fresh context, and
 * the name bound. The World before the event is rebuilt from the same records only when an
 * invariant asks for it.
 */

import type { Changes } from '../invariants/types.ts';
import { attachJournal, type KernelJournal, newJournal } from '../kernel/journal.ts';
import type { KernelState, Slot } from '../kernel/types.ts';
import type { World } from './world.ts';

/** The kernel as it was when the event began, kept cheaply (slot references, scalars). */
export interface KernelBefore {
  readonly state: KernelState;
  readonly objects: Slot[];
  readonly shadow: readonly Slot[];
  readonly seq: number;
  readonly fdOpen: boolean;
  readonly released: boolean;
  readonly journal: KernelJournal;
}

export function beginKernel(state: KernelState, journal: KernelJournal = newJournal()): KernelBefore {
  journal.edited.length = 0;
  journal.before.clear();
  journal.editedObject.clear();
  journal.devicesBefore = undefined;
  attachJournal(state, journal);
  return {
    state,
    objects: state.objects,
    shadow: state.objects.slice(),
    seq: state.seq,
    fdOpen: state.fdOpen,
    released: state.released,
    journal,
  };
}

/** A slot as it was before the event. */
export function slotBefore(before: KernelBefore, id: number): Slot | undefined {
  const old = before.shadow[id];
  const { journal } = before;
  if (old !== undefined && old !== null && journal.editedObject.get(id) === old)
    return journal.before.get(id);
  return old;
}

/** The context as it was before the event (a new object; slots shared where unwritten). */
export function rebuildKernel(before: KernelBefore): KernelState {
  const objects = before.shadow.map((_, id) => slotBefore(before, id) ?? null);
  return {
    objects,
    seq: before.seq,
    devices: before.journal.devicesBefore ?? { ...before.state.devices },
    fdOpen: before.fdOpen,
    released: before.released,
  };
}

function writtenSlots(before: KernelBefore, after: KernelState): number[] {
  const { shadow } = before;
  const objects = after.objects;
  const written: number[] = [];
  const length = Math.max(shadow.length, objects.length);
  if (after !== before.state || objects !== before.objects) {
    for (let id = 0; id < length; id++)
      if (shadow[id] !== undefined || objects[id] !== undefined) written.push(id);
    return written;
  }
  for (let id = 0; id < length; id++) if (objects[id] !== shadow[id]) written.push(id);
  const edited = before.journal.edited;
  if (edited.length === 0) return written;
  for (const id of edited) if (!written.includes(id)) written.push(id);
  return written.sort((a, b) => a - b);
}

export interface NamesBefore {
  readonly name: string | undefined;
  readonly had: boolean;
  readonly id: number | undefined;
  readonly line: number | undefined;
  readonly count: number;
}

export function beginNames(world: World, name: string | undefined): NamesBefore {
  const had = name !== undefined && Object.hasOwn(world.names, name);
  return {
    name,
    had,
    id: had ? world.names[name!] : undefined,
    line: had ? world.nameLines[name!] : undefined,
    count: name === undefined ? 0 : Object.keys(world.names).length,
  };
}

function namesChanged(before: NamesBefore, world: World): boolean {
  const { name } = before;
  if (name === undefined) return false;
  const has = Object.hasOwn(world.names, name);
  return has !== before.had || (has && world.names[name] !== before.id);
}

export function rebuildNames(before: NamesBefore, world: World): Pick<World, 'names' | 'nameLines'> {
  if (!namesChanged(before, world)) return { names: world.names, nameLines: world.nameLines };
  const names = { ...world.names };
  const nameLines = { ...world.nameLines };
  if (before.had) {
    names[before.name!] = before.id!;
    nameLines[before.name!] = before.line!;
  } else {
    delete names[before.name!];
    delete nameLines[before.name!];
  }
  return { names, nameLines };
}

/** The Changes record the invariants see. */
export function changesOf(
  before: KernelBefore,
  after: KernelState,
  names: NamesBefore,
  world: World,
  vmmEvent: boolean,
): Changes {
  const slots = writtenSlots(before, after);
  const kernel =
    slots.length > 0 ||
    after !== before.state ||
    after.seq !== before.seq ||
    after.fdOpen !== before.fdOpen ||
    after.released !== before.released ||
    before.journal.devicesBefore !== undefined;
  return {
    kernel,
    names: namesChanged(names, world),
    vmm: vmmEvent,
    slots,
    slotBefore: (id) => (after === before.state ? slotBefore(before, id) : before.shadow[id]),
  };
}
