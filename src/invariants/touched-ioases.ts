/**
 * The IOASes whose access pins one event can have changed: those it wrote (an IOAS then or now),
 * and those the accesses it wrote were or are on. access-pins-mapped and area-pin-counts-match both
 * ask, one after the other: listed once per event into one reused array (no Set per event), valid
 * until the next event.
 */
import type { KernelState, Slot } from '../kernel/types.ts';
import type { Changes } from './types.ts';

const touched: number[] = [];
let touchedFor: Changes | undefined;
let touchedIn: KernelState | undefined;

function add(id: number): void {
  if (!touched.includes(id)) touched.push(id);
}

function addSlot(id: number, slot: Slot | undefined): void {
  if (slot?.type === 'IOAS') add(id);
  // An access on no IOAS adds 0: its own items are then rechecked (they name no IOAS).
  else if (slot?.type === 'ACCESS') add(slot.ioas);
}

/** The IOASes written, or an access written was or is on, in first-seen order; null when none. */
export function touchedIoases(kernel: KernelState, changes: Changes): readonly number[] | null {
  if (changes !== touchedFor || kernel !== touchedIn) {
    touched.length = 0;
    for (const id of changes.slots) {
      addSlot(id, kernel.objects[id]);
      addSlot(id, changes.slotBefore(id));
    }
    touchedFor = changes;
    touchedIn = kernel;
  }
  return touched.length === 0 ? null : touched;
}
