/**
 * The kernel's write journal: what one event changed in place, with the values from before the
 * first write. The checked path attaches a journal to its working copy of the context; the kernel's
 * mutators record into it (`edit` before an in-place write of an object, `editDevices` before the
 * device table changes). Replaced slots (allocation, free, tombstone, release) are found by the
 * checker itself from its shadow of the slot table, so a write that forgets the journal there is
 * still seen. Without a journal (an immer draft, a plain copy) recording is a no-op.
 */
import type { KernelObject, KernelState, Slot } from './types.ts';

// Parallel arrays, not Maps: an event edits a few objects, and clearing a Map per event costs more than the search.
export interface KernelJournal {
  /** IDs of objects written in place, in first-write order. */
  readonly edited: number[];
  /** Each edited object as it was before its first in-place write (a shallow copy), at its index in `edited`. */
  readonly before: Slot[];
  /** The object each copy was taken from: a copy counts only if that object was in the slot before the event. */
  readonly editedObject: KernelObject[];
  /** The device table before its first write, when it was written. */
  devicesBefore: Map<string, number> | undefined;
}

const JOURNAL = Symbol('kernel journal');
type Journaled = KernelState & { [JOURNAL]?: KernelJournal };

export function newJournal(): KernelJournal {
  return { edited: [], before: [], editedObject: [], devicesBefore: undefined };
}

/** Forgets the last event's records (the arrays are kept for the next one). */
export function clearJournal(journal: KernelJournal): void {
  // Most events edit nothing in place, and setting a length costs even when it is 0 already.
  if (journal.edited.length === 0) {
    journal.devicesBefore = undefined;
    return;
  }
  journal.edited.length = 0;
  journal.before.length = 0;
  journal.editedObject.length = 0;
  journal.devicesBefore = undefined;
}

/** The copy taken before the first in-place write of `object` at `id` this event, if it was taken from `object`. */
export function editedCopy(journal: KernelJournal, id: number, object: Slot): Slot | undefined {
  const at = journal.edited.indexOf(id);
  return at >= 0 && journal.editedObject[at] === object ? journal.before[at] : undefined;
}

/** Starts recording writes to `state` into `journal` (not enumerable: snapshots and JSON never see it). */
export function attachJournal(state: KernelState, journal: KernelJournal): void {
  Object.defineProperty(state, JOURNAL, {
    value: journal,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

export function journalOf(state: KernelState): KernelJournal | undefined {
  return (state as Journaled)[JOURNAL];
}

/** Call before writing any field of a live object in place; returns the object for the write. */
export function edit<T extends KernelObject>(state: KernelState, object: T): T {
  const journal = (state as Journaled)[JOURNAL];
  if (journal !== undefined && !journal.edited.includes(object.id)) {
    journal.before.push({ ...object });
    journal.editedObject.push(object);
    journal.edited.push(object.id);
  }
  return object;
}

/** Call before adding or removing a device name in `state.devices`. */
export function editDevices(state: KernelState): Map<string, number> {
  const journal = (state as Journaled)[JOURNAL];
  if (journal !== undefined && journal.devicesBefore === undefined)
    journal.devicesBefore = new Map(state.devices);
  return state.devices;
}
