/**
 * Running the invariants after one event. Full: every invariant's `check` over the whole World.
 * Incremental (the checked path's default): a `step` invariant runs after every event; a `state`
 * invariant runs only when the event changed a part it reads, through `checkChanged` when it has
 * one, and through its full `check` while it was violated after the previous event (so a violation
 * that persists is reported again, exactly as a full check would). A property shows both report the
 * same violations at the same events.
 */
import type { Changes, Invariant, StepContext, Violation } from '../invariants/types.ts';
import type { World } from './world.ts';

function push(out: Violation[], invariant: Invariant, messages: readonly string[]): void {
  for (const message of messages) out.push({ invariant: invariant.name, message });
}

export function checkAll(world: World, step: StepContext, invariants: readonly Invariant[]): Violation[] {
  const out: Violation[] = [];
  for (const invariant of invariants) push(out, invariant, invariant.check(world, step));
  return out;
}

function touches(invariant: Invariant, changes: Changes): boolean {
  for (const part of invariant.reads) if (changes[part]) return true;
  return false;
}

/** Keeps which state invariants were violated after the last event, across calls. */
export class IncrementalChecker {
  private readonly violated = new Set<string>();

  constructor(private readonly invariants: readonly Invariant[]) {}

  check(world: World, step: StepContext & { readonly changes: Changes }): Violation[] {
    const out: Violation[] = [];
    for (const invariant of this.invariants) {
      let messages: readonly string[];
      if (invariant.kind === 'step') {
        messages = (invariant.checkChanged ?? invariant.check).call(invariant, world, step);
      } else if (this.violated.has(invariant.name)) {
        messages = invariant.check(world, step);
      } else if (touches(invariant, step.changes)) {
        messages = (invariant.checkChanged ?? invariant.check).call(invariant, world, step);
      } else continue;
      if (invariant.kind === 'state') {
        if (messages.length > 0) this.violated.add(invariant.name);
        else this.violated.delete(invariant.name);
      }
      push(out, invariant, messages);
    }
    return out;
  }

  /** After a full check (every N events, or at the end): which state invariants fail now. */
  resync(violations: readonly Violation[]): void {
    this.violated.clear();
    for (const violation of violations) {
      const invariant = this.invariants.find((candidate) => candidate.name === violation.invariant);
      if (invariant?.kind === 'state') this.violated.add(invariant.name);
    }
  }
}
