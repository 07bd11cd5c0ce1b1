/**
 * An invariant: one sentence, its source, what it reads, and a check returning its violations in
 * words. `state` invariants are rules over one World: the checked path re-runs one only after an
 * event that changed a part it reads (or while it is violated). `step` invariants are rules over one
 * event (its outcome, the World before it) and run after every event.
 */
import type { DriverName, KernelState, Slot } from '../kernel/types.ts';
import type { LogEvent, Platform } from '../log/schema.ts';
import type { StepInput, StepOutcome } from '../model/protocol.ts';
import type { Vmm } from '../vmm/core/state.ts';
import type { WrittenKind } from './kinds.ts';

/**
 * The World as an invariant sees it, with `vmm` of any frontend (a frontend's invariants narrow it by
 * `frontend.kind`). src/model/world.ts's World extends it with `vmm` narrowed to the registered
 * frontends; it is declared here, not there, because each frontend lists its invariants and
 * world.ts builds World.vmm from the frontend registry: importing world.ts would close a circle.
 */
export interface CheckedWorld {
  readonly platform: Platform;
  /** The IOMMU driver a bound device gets when its `vfio.bind` names none. */
  readonly defaultDriver: DriverName;
  readonly kernel: KernelState;
  /** `"as"` bindings: name to object ID (a Map: a name such as `__proto__` is data, never a key). */
  readonly names: ReadonlyMap<string, number>;
  /** Line of the event that bound each name, for error messages. */
  readonly nameLines: ReadonlyMap<string, number>;
  /** Events applied so far. */
  readonly step: number;
  readonly vmm: Vmm | null;
}

/** The parts of a World an invariant may read. */
export type WorldPart = 'kernel' | 'names' | 'vmm';

/** What one event changed, from the step's journal. */
export interface Changes {
  /** Anything in the kernel: an object, an ID, a device binding, the fd, a fresh context. */
  readonly kernel: boolean;
  readonly names: boolean;
  /** QEMU's side: set after every platform event. */
  readonly vmm: boolean;
  /** IDs whose kernel slot the event wrote (allocated, freed, pinned, stepped), ascending. */
  readonly slots: readonly number[];
  /** Whether the event wrote this slot. */
  written(id: number): boolean;
  /** A slot as it was before the event (null: free; undefined: past the end of the table). */
  slotBefore(id: number): Slot | undefined;
  /** Every object allocated by the event's operations, in order, with the lowest ID free just before it. */
  readonly allocations: readonly Allocation[];
  /**
   * The kinds the event wrote, as kinds.ts bits: each written slot's type before and after, and
   * `context` when the kernel's own fields changed. Absent: every kind (a record built by hand).
   */
  readonly kinds?: number;
}

/** One allocation as the checked path saw it happen: the ID taken and the lowest one free then. */
export interface Allocation {
  readonly id: number;
  readonly type: string;
  readonly lowestFree: number;
}

export interface StepContext {
  /** The World before the event. On the fast path it is rebuilt on first use and valid only during the check. */
  readonly prev: CheckedWorld;
  readonly input: StepInput;
  readonly outcome: StepOutcome;
  /** What the event changed; absent when a caller checks a World without a journal (full check). */
  readonly changes?: Changes;
}

export interface Invariant {
  /** Stable kebab-case name used in reports and tests. */
  readonly name: string;
  /** The rule in one sentence. */
  readonly sentence: string;
  /** Where the rule comes from (kernel file and function, or the reference section). */
  readonly source: string;
  readonly kind: 'state' | 'step';
  /** The parts of the World the check reads. */
  readonly reads: readonly WorldPart[];
  /**
   * For a kernel state invariant: the kinds (slot types, `context`) whose write can break it when it
   * held before the event. The checker skips it after a kernel event that wrote none of them (the
   * kinds property in properties/checked-path-kinds.prop.test.ts checks each declaration against
   * the full check). Absent: any kernel write.
   */
  readonly readsKinds?: readonly WrittenKind[];
  /**
   * For a `step` invariant: the event types after which it can report. The incremental checker
   * skips it after any other type (the full check never does; properties/checked-path-gate.prop.test.ts
   * checks each declaration). Absent: after every event.
   */
  readonly reportsAfter?: readonly LogEvent['type'][];
  /** Every violation, looking at the whole World. */
  check(world: CheckedWorld, step: StepContext): string[];
  /**
   * The same violations as `check` when the invariant held before the event, looking only at what
   * `step.changes` says changed. Absent: `check` is cheap enough to run as it is.
   */
  checkChanged?(world: CheckedWorld, step: StepContext & { readonly changes: Changes }): string[];
}

/** One violation of one invariant, in words. */
export interface Violation {
  readonly invariant: string;
  readonly message: string;
}
