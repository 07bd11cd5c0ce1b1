/**
 * The one checked path: every caller (replay, the properties, the test fixtures, the explorer)
 * steps events through a CheckedStepper. It applies each event in place to a private working copy
 * of the World, journals what the event changed, and checks the invariants on what changed
 * (incremental, the default) or on the whole World (full). Frozen snapshots are built only when
 * asked for. An input error (LogInputError) rolls the working copy back, so nothing of a bad line
 * is applied.
 */

import type { Allocation, Changes, Invariant, StepContext, Violation } from '../invariants/types.ts';
import { applyKernelOp } from '../kernel/apply.ts';
import { attachJournal, newJournal } from '../kernel/journal.ts';
import type { KernelOp } from '../kernel/ops.ts';
import { emptyKernel } from '../kernel/table.ts';
import type { KernelOutcome, KernelState } from '../kernel/types.ts';
import { copyVmm } from '../vmm/frontends.ts';
import { applyStep } from './apply.ts';
import {
  beginKernel,
  beginNames,
  changesOf,
  freeIds,
  type KernelBefore,
  type NamesBefore,
  newNamesRecord,
  observeAllocations,
  rebuildKernel,
  rebuildNames,
} from './changes.ts';
import { checkAll, IncrementalChecker } from './check.ts';
import type { HostPort, StepInput, StepOutcome } from './protocol.ts';
import { isKernelEvent } from './protocol.ts';
import { Snapshotter } from './snapshot.ts';
import type { World } from './world.ts';

export interface CheckedStep {
  readonly outcome: StepOutcome;
  readonly violations: readonly Violation[];
  readonly changes: Changes;
}

export interface CheckedStepperOptions {
  /** The invariants to check (default: every invariant). */
  readonly invariants: readonly Invariant[];
  /** `incremental` (default) checks what each event changed; `full` checks the whole World every event. */
  readonly mode?: 'incremental' | 'full';
  /**
   * The caller hands its first World over: the stepper steps it in place instead of a
   * structuredClone of it. The caller promises never to read or reuse it (a fresh World per run).
   */
  readonly stepInPlace?: boolean;
  /** Called after every kernel operation with a copy of the context before it (off by default: the contract property's hook). */
  readonly onKernelOp?: (
    before: KernelState,
    op: KernelOp,
    outcome: KernelOutcome,
    after: KernelState,
  ) => void;
}

export interface CheckedStepper {
  /** Applies one event and checks it; throws LogInputError (with nothing applied) for bad input. */
  step(input: StepInput): CheckedStep;
  /** The working copy: read it between steps, never keep it (the next step changes it in place). */
  readonly current: World;
  /** A frozen snapshot of the World now, shared with earlier snapshots where unchanged. */
  snapshot(): World;
  /** Every state invariant over the whole World now (at the end of a replay, or every N events). */
  fullCheck(): Violation[];
  /**
   * Takes back the last step (the explorer's backtrack): the World and the incremental checker are
   * as they were before it. Only the last step, once, and before the next step.
   */
  undo(): void;
}

type MutableWorld = { -readonly [K in keyof World]: World[K] };

/** What `undo` needs of the last step; the violations reported before it, to restore the checker. */
interface LastStep {
  before: KernelBefore;
  names: NamesBefore;
  vmm: World['vmm'];
  step: number;
  violated: readonly Violation[];
}

/** The World before an event: its kernel is rebuilt only if an invariant reads it (most read only `vmm`). */
class WorldBefore implements World {
  readonly platform: World['platform'];
  readonly defaultDriver: World['defaultDriver'];
  readonly names: World['names'];
  readonly nameLines: World['nameLines'];
  readonly step: number;
  private rebuilt: KernelState | undefined;

  constructor(
    now: World,
    private readonly before: KernelBefore,
    names: NamesBefore,
    readonly vmm: World['vmm'],
  ) {
    this.platform = now.platform;
    this.defaultDriver = now.defaultDriver;
    const rebuiltNames = rebuildNames(names, now);
    this.names = rebuiltNames.names;
    this.nameLines = rebuiltNames.nameLines;
    this.step = now.step - 1;
  }

  get kernel(): KernelState {
    this.rebuilt ??= rebuildKernel(this.before);
    return this.rebuilt;
  }
}

/** What an invariant sees of one event; the World before it is rebuilt on first use only (no closure per event). */
class EventContext implements StepContext {
  private before: World | undefined;
  constructor(
    readonly input: StepInput,
    readonly outcome: StepOutcome,
    readonly changes: Changes,
    private readonly now: World,
    private readonly kernelBefore: KernelBefore,
    private readonly namesBefore: NamesBefore,
    private readonly vmmBefore: World['vmm'],
  ) {}

  get prev(): World {
    this.before ??= new WorldBefore(this.now, this.kernelBefore, this.namesBefore, this.vmmBefore);
    return this.before;
  }
}

// Frozen: an event that allocated nothing never pushes to it (a new list is made on the first allocation).
const NO_ALLOCATIONS = Object.freeze([]) as unknown as Allocation[];

/** A deep working copy: plain data only, so structuredClone copies all of it. */
function workingCopy(world: World): MutableWorld {
  return structuredClone(world) as MutableWorld;
}

/** The caller's World itself when it hands it over (a frozen one cannot be stepped), else a copy. */
function workingWorld(initial: World, stepInPlace: boolean | undefined): MutableWorld {
  if (stepInPlace !== true) return workingCopy(initial);
  if (Object.isFrozen(initial)) throw new Error('stepInPlace: the first World is frozen (pass a fresh one)');
  return initial as MutableWorld;
}

export function createCheckedStepper(initial: World, options: CheckedStepperOptions): CheckedStepper {
  const world = workingWorld(initial, options.stepInPlace);
  const journal = newJournal();
  const checker = new IncrementalChecker(options.invariants);
  const full = options.mode === 'full';
  const snapshots = new Snapshotter();
  let replaced = false;
  let allocations: Allocation[] = NO_ALLOCATIONS;
  // The shadow's arrays are reused from event to event; rollback and `prev` copy what they keep.
  let reuse: KernelBefore | undefined;
  // What `undo` needs of the last step, one record rewritten per event (`undoable` says whether it holds one).
  const last: LastStep = { before: undefined!, names: undefined!, vmm: null, step: 0, violated: [] };
  let undoable = false;
  const namesRecord = newNamesRecord();
  let violatedNow: readonly Violation[] = [];
  // The free IDs before each kernel operation, reused: observeAllocations reads them before the next.
  const scratchFree: number[] = [];
  const port: HostPort = {
    get kernel() {
      return world.kernel;
    },
    apply(op) {
      // Watch what the operation allocates, for lowest-free-id (one scan of a small table).
      const kernel = world.kernel;
      const freeBefore = freeIds(kernel.objects, scratchFree);
      const lengthBefore = kernel.objects.length;
      const seqBefore = kernel.seq;
      const copy = options.onKernelOp === undefined ? undefined : structuredClone(kernel);
      const outcome = applyKernelOp(kernel, op);
      // Most events allocate nothing: their Changes share one empty list.
      if (kernel.seq !== seqBefore && allocations === NO_ALLOCATIONS) allocations = [];
      observeAllocations(freeBefore, lengthBefore, seqBefore, kernel, allocations);
      if (copy !== undefined) options.onKernelOp!(copy, op, outcome, kernel);
      return outcome;
    },
    reopenIfReleased() {
      if (!world.kernel.released) return;
      world.kernel = emptyKernel(world.kernel.revision);
      attachJournal(world.kernel, journal);
      replaced = true;
    },
  };

  function rollback(
    before: KernelBefore,
    names: ReturnType<typeof beginNames>,
    vmm: World['vmm'],
    step: number,
  ): void {
    world.kernel = rebuildKernel(before);
    Object.assign(world, rebuildNames(names, world));
    world.vmm = vmm;
    world.step = step;
    snapshots.invalidate();
  }

  return {
    get current() {
      return world;
    },
    step(input) {
      const kernelEvent = isKernelEvent(input.event);
      const platformEvent = !kernelEvent;
      const before = beginKernel(world.kernel, journal, reuse);
      reuse = before;
      // Events are plain data: a missing `as` reads as undefined (one load, no `in` test).
      const as = (input.event as { readonly as?: string }).as;
      const names = beginNames(world, as, namesRecord);
      // QEMU's side changes only on platform events; keep its earlier state for `prev` and rollback.
      const vmmBefore = platformEvent ? copyVmm(world.vmm) : world.vmm;
      const stepBefore = world.step;
      replaced = false;
      allocations = NO_ALLOCATIONS;
      let outcome: StepOutcome;
      try {
        outcome = applyStep(world, input, port, kernelEvent);
      } catch (error) {
        rollback(before, names, vmmBefore, stepBefore);
        undoable = false;
        throw error;
      }
      const changes = changesOf(before, world.kernel, names, world, platformEvent, allocations);
      snapshots.note(changes, replaced);
      const context = new EventContext(input, outcome, changes, world, before, names, vmmBefore);
      const violations = full ? checkAll(world, context, options.invariants) : checker.check(world, context);
      last.before = before;
      last.names = names;
      last.vmm = vmmBefore;
      last.step = stepBefore;
      last.violated = violatedNow;
      undoable = true;
      violatedNow = violations;
      return { outcome, violations, changes };
    },
    undo() {
      if (!undoable) throw new Error('undo: no step to take back (only the last step, once)');
      rollback(last.before, last.names, last.vmm, last.step);
      violatedNow = last.violated;
      checker.resync(violatedNow);
      undoable = false;
    },
    snapshot: () => snapshots.take(world),
    fullCheck() {
      const stateInvariants = options.invariants.filter((invariant) => invariant.kind === 'state');
      const noEvent: StepContext = {
        prev: world,
        input: { line: 0, event: { type: 'iommufd.close' } },
        outcome: { ok: true, hostOps: [] },
      };
      const violations = checkAll(world, noEvent, stateInvariants);
      checker.resync(violations);
      violatedNow = violations;
      return violations;
    },
  };
}
