/**
 * Running the invariants after one event. Full: every invariant's `check` over the whole World.
 * Incremental (the checked path's default): a `step` invariant runs after every event (or, when it
 * declares `reportsAfter`, after every event of those types); a `state`
 * invariant runs only when the event changed a part it reads (for the kernel: wrote a kind it
 * declares in `readsKinds`, or any kind when it declares none), through `checkChanged` when it has
 * one, and through its full `check` while it was violated after the previous event (so a violation
 * that persists is reported again, exactly as a full check would). A property shows both report the
 * same violations at the same events.
 */

import { ALL_KINDS, kindsMask } from '../invariants/kinds.ts';
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

// The one result of an event that violated nothing (most events): frozen, so a caller that pushes onto it throws.
const NONE: Violation[] = Object.freeze([]) as unknown as Violation[];

const PART_BIT = { kernel: 1, names: 2, vmm: 4 } as const;

function changedBits(changes: Changes): number {
  return (
    (changes.kernel ? PART_BIT.kernel : 0) |
    (changes.names ? PART_BIT.names : 0) |
    (changes.vmm ? PART_BIT.vmm : 0)
  );
}

/** The kinds the event wrote; a record without them (built by hand) wrote every kind if it wrote the kernel. */
const writtenKindsOf = (changes: Changes): number => (changes.kernel ? (changes.kinds ?? ALL_KINDS) : 0);

/** One invariant as the checker runs it: its reads as bits, its cheapest check picked once. */
interface Entry {
  readonly invariant: Invariant;
  readonly step: boolean;
  readonly reads: number;
  /** The kernel kinds it reads (every kind unless it declares `readsKinds`). */
  readonly kinds: number;
  readonly changed: NonNullable<Invariant['checkChanged']> | Invariant['check'];
  /** A step invariant's declared `reportsAfter` types; undefined: it may report after every event. */
  readonly after: ReadonlySet<string> | undefined;
}

/** Whether an entry may report after an event of this type (a gated step invariant: only its declared types). */
const reportsAfter = (entry: Entry, type: string): boolean =>
  entry.after === undefined || entry.after.has(type);

/** Whether a state entry is due after an event that changed these parts and wrote these kinds. */
function isDue(entry: Entry, bits: number, kinds: number): boolean {
  if (entry.step) return true;
  if ((entry.reads & bits & ~PART_BIT.kernel) !== 0) return true;
  return (entry.reads & PART_BIT.kernel) !== 0 && (entry.kinds & kinds) !== 0;
}

interface Plan {
  readonly entries: readonly Entry[];
  /** For each changed-parts-and-written-kinds key, the entries that run then while nothing is violated. */
  readonly due: Map<number, readonly Entry[]>;
  /** Some entry declares `reportsAfter`: the due lists are then kept per event type, in `dueByType`. */
  readonly gated: boolean;
  readonly dueByType: Map<string, Map<number, readonly Entry[]>>;
}

// One plan per invariant list: a property makes a checker per generated run, over the same list.
const plans = new WeakMap<readonly Invariant[], Plan>();

function planOf(invariants: readonly Invariant[]): Plan {
  let plan = plans.get(invariants);
  if (plan !== undefined) return plan;
  const entries = invariants.map((invariant) => ({
    invariant,
    step: invariant.kind === 'step',
    reads: invariant.reads.reduce((bits, part) => bits | PART_BIT[part], 0),
    kinds: kindsMask(invariant.readsKinds),
    changed: (invariant.checkChanged ?? invariant.check).bind(invariant),
    after:
      invariant.kind === 'step' && invariant.reportsAfter !== undefined
        ? new Set<string>(invariant.reportsAfter)
        : undefined,
  }));
  const gated = entries.some((entry) => entry.after !== undefined);
  plan = { entries, due: new Map(), gated, dueByType: new Map() };
  plans.set(invariants, plan);
  return plan;
}

/** The entries due for one key (and event type, when gated), in list order: filtered once, then looked up. */
function dueFor(plan: Plan, bits: number, kinds: number, type: string): readonly Entry[] {
  const key = (kinds << 3) | bits;
  let byKey = plan.due;
  if (plan.gated) {
    const forType = plan.dueByType.get(type);
    if (forType === undefined) plan.dueByType.set(type, (byKey = new Map()));
    else byKey = forType;
  }
  let due = byKey.get(key);
  if (due === undefined) {
    due = plan.entries.filter((entry) => isDue(entry, bits, kinds) && reportsAfter(entry, type));
    byKey.set(key, due);
  }
  return due;
}

/** Keeps which state invariants were violated after the last event, across calls. */
export class IncrementalChecker {
  private readonly violated = new Set<string>();
  private readonly plan: Plan;

  constructor(private readonly invariants: readonly Invariant[]) {
    this.plan = planOf(invariants);
  }

  check(world: World, step: StepContext & { readonly changes: Changes }): Violation[] {
    const bits = changedBits(step.changes);
    const kinds = writtenKindsOf(step.changes);
    const violated = this.violated;
    const type = step.input.event.type;
    if (violated.size === 0) return this.checkDue(world, step, dueFor(this.plan, bits, kinds, type));
    const out: Violation[] = [];
    for (const entry of this.plan.entries) {
      const { invariant } = entry;
      let messages: readonly string[];
      if (entry.step) {
        if (!reportsAfter(entry, type)) continue;
        messages = entry.changed(world, step);
      } else if (violated.size > 0 && violated.has(invariant.name)) messages = invariant.check(world, step);
      else if (isDue(entry, bits, kinds)) messages = entry.changed(world, step);
      else continue;
      if (!entry.step) {
        if (messages.length > 0) violated.add(invariant.name);
        else if (violated.size > 0) violated.delete(invariant.name);
      }
      if (messages.length > 0) push(out, invariant, messages);
    }
    return out;
  }
  /** The common case, nothing violated: only the entries due for these changes, in the same order. */
  private checkDue(
    world: World,
    step: StepContext & { readonly changes: Changes },
    due: readonly Entry[],
  ): Violation[] {
    let out: Violation[] | undefined;
    for (let i = 0; i < due.length; i++) {
      const entry = due[i]!;
      const messages = entry.changed(world, step);
      if (messages.length === 0) continue;
      if (!entry.step) this.violated.add(entry.invariant.name);
      push((out ??= []), entry.invariant, messages);
    }
    return out ?? NONE;
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
