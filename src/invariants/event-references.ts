/**
 * The references one event's reference checks read, listed once per event and shared:
 * pin-count-matches and references-live-and-typed both walk them, one after the other, and used to
 * list each written object's references twice (and, after an object came or went, every object's).
 * - `now`: while no object came or went, the written live objects' references; otherwise every
 *   live object's (a reference to a written target may sit in any holder), holders ascending;
 * - `before`: the references of each written slot's live object as it was before the event.
 * A table is valid until the next event: it is rebuilt for each new Changes record (or kernel).
 */
import type { KernelObject, KernelState, Slot } from '../kernel/types.ts';
import { appendReferences, ReferenceList } from './references.ts';
import type { Changes } from './types.ts';

const isLive = (slot: Slot | undefined): slot is KernelObject =>
  slot !== null && slot !== undefined && slot.type !== 'TOMBSTONE';

/** Whether the event allocated, freed or replaced an object (else every written slot holds the same object). */
function occupancyChangedNow(kernel: KernelState, changes: Changes): boolean {
  for (const id of changes.slots) {
    const before = changes.slotBefore(id);
    const now = kernel.objects[id];
    const liveBefore = isLive(before);
    const liveNow = isLive(now);
    if (liveBefore !== liveNow) return true;
    if (liveBefore && liveNow && (before.seq !== now.seq || before.type !== now.type)) return true;
    if (!liveBefore && !liveNow && (before ?? null) !== (now ?? null)) return true;
  }
  return false;
}

export interface EventReferences {
  /** Whether an object came, went or was replaced. */
  readonly occupancyChanged: boolean;
  readonly now: ReferenceList;
  readonly before: ReferenceList;
}

class Tables implements EventReferences {
  occupancyChanged = false;
  readonly now = new ReferenceList();
  readonly before = new ReferenceList();
  changes: Changes | undefined;
  kernel: KernelState | undefined;
}

// One event's tables; the checks run one at a time, so one set of buffers serves every event.
const tables = new Tables();

function fill(kernel: KernelState, changes: Changes): void {
  const { now, before } = tables;
  now.length = 0;
  before.length = 0;
  tables.occupancyChanged = occupancyChangedNow(kernel, changes);
  const { objects } = kernel;
  if (tables.occupancyChanged) {
    for (let holder = 0; holder < objects.length; holder++) {
      const slot = objects[holder];
      if (isLive(slot)) appendReferences(slot, now);
    }
  } else {
    for (const id of changes.slots) {
      const slot = objects[id];
      if (isLive(slot)) appendReferences(slot, now);
    }
  }
  for (const id of changes.slots) {
    const old = changes.slotBefore(id);
    if (isLive(old)) appendReferences(old, before);
  }
}

/** The event's reference tables: listed on the first ask, then shared by every later ask for the same event. */
export function eventReferences(kernel: KernelState, changes: Changes): EventReferences {
  if (tables.changes !== changes || tables.kernel !== kernel) {
    fill(kernel, changes);
    tables.changes = changes;
    tables.kernel = kernel;
  }
  return tables;
}
