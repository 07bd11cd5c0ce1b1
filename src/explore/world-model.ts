/**
 * The project's own model as an ExploreModel: a state is a World, a step is one log event through
 * the checked path (createCheckedStepper, src/model/checked-step.ts; applyStep; the compiled table
 * steppers of machines/), and the invariants are the ones the checked path checks after the event.
 * Each successor gets its own stepper over a copy of its parent, whose working copy it then keeps
 * (never shared, so no second copy). An event the model rejects as input (after QEMU exited, say)
 * is an action that is not enabled. With `renames` (world-symmetry.ts) a state's key is the least
 * of its key and its keys under each device renaming, so states equal up to renaming meet.
 */
import { invariantsFor } from '../invariants/index.ts';
import type { Invariant } from '../invariants/types.ts';
import { LogInputError } from '../log/errors.ts';
import type { Header, LogEvent } from '../log/schema.ts';
import { createCheckedStepper } from '../model/checked-step.ts';
import { initialWorld, type World } from '../model/world.ts';
import type { ExploreModel, ExploreViolation } from './model.ts';
import { joinKey, type KeyParts, type Rename, WorldKeys } from './world-key.ts';

export interface WorldState {
  readonly world: World;
  readonly violations: readonly ExploreViolation[];
}

export interface WorldModelSpec {
  readonly name: string;
  readonly header: Header;
  /** Events applied before exploring (part of every log, not of the depth). */
  readonly prelude: readonly LogEvent[];
  readonly alphabet: readonly { readonly label: string; readonly event: LogEvent }[];
  /** Invariant names to check; every invariant of the platform when absent. */
  readonly invariants?: readonly string[];
  /** Also compute every key in full and throw if the reused parts disagree (tests). */
  readonly verifyKeys?: boolean;
  /** Keys the same in every process (field names written out): the Redis mode's workers compare them. */
  readonly stableKeys?: boolean;
  /** Device renamings that are automorphisms of this configuration (symmetry); none when absent. */
  readonly renames?: readonly Rename[];
}

export function worldModel(spec: WorldModelSpec): ExploreModel<WorldState> {
  const keys = new WorldKeys(spec.stableKeys === true);
  const start = initialWorld(spec.header, 1);
  const platformInvariants = invariantsFor(start);
  const invariants: readonly Invariant[] =
    spec.invariants === undefined
      ? platformInvariants
      : platformInvariants.filter((invariant) => spec.invariants!.includes(invariant.name));
  const firstLine = 2 + spec.prelude.length;
  const stepRule = new Set(invariants.filter((invariant) => invariant.kind === 'step').map((i) => i.name));
  const renames = spec.renames ?? [];
  // The least key over the renamings; `reuse` gives each renaming's parts (the parent's where unchanged).
  const canonical = (identity: string, reuse: (rename: Rename, index: number) => KeyParts): string => {
    let least = identity;
    for (let i = 0; i < renames.length; i++) {
      const key = joinKey(reuse(renames[i]!, i));
      if (key < least) least = key;
    }
    return least;
  };
  const keyOf = (world: World): string => canonical(keys.key(world), (rename) => keys.parts(world, rename));

  return {
    name: spec.name,
    actions: spec.alphabet.map((action) => action.label),
    initial() {
      const stepper = createCheckedStepper(start, { invariants });
      spec.prelude.forEach((event, index) => {
        const step = stepper.step({ line: 2 + index, event });
        if (step.violations.length > 0)
          throw new Error(`${spec.name}: the prelude breaks ${step.violations[0]!.invariant}`);
      });
      return { world: stepper.current, violations: [] };
    },
    key: (state) => keyOf(state.world),
    check: (state) => state.violations,
    expand(state, depth, sink) {
      // One copy of the parent per expansion; each action is stepped, keyed, kept if new, undone.
      const stepper = createCheckedStepper(state.world, { invariants });
      const parent = keys.parts(state.world);
      const renamedParents = renames.map((rename) => keys.parts(state.world, rename));
      for (let action = 0; action < spec.alphabet.length; action++) {
        let step: ReturnType<typeof stepper.step>;
        try {
          step = stepper.step({ line: firstLine + depth, event: spec.alphabet[action]!.event });
        } catch (error) {
          if (error instanceof LogInputError) continue; // not enabled; nothing was applied
          throw error;
        }
        // The parts an event left alone are the parent's (the journal says what it wrote).
        const world = stepper.current;
        const { changes } = step;
        const partsOf = (before: KeyParts): KeyParts => ({
          names: changes.names ? keys.namesPart(world) : before.names,
          kernel: changes.kernel ? keys.kernelPart(world) : before.kernel,
          vmm: changes.vmm ? keys.vmmPart(world) : before.vmm,
        });
        const key = canonical(joinKey(partsOf(parent)), (rename, i) =>
          keys.renamed(rename, () => partsOf(renamedParents[i]!)),
        );
        if (spec.verifyKeys === true && key !== keyOf(world))
          throw new Error(
            `${spec.name}: reused key parts disagree with the full key after ${spec.alphabet[action]!.label}`,
          );
        // Step invariants belong to the edge (checked on every one); state invariants to the state.
        const broken = step.violations;
        const edge = broken.length === 0 ? broken : broken.filter((v) => stepRule.has(v.invariant));
        const own = edge.length === broken.length ? [] : broken.filter((v) => !stepRule.has(v.invariant));
        if (sink.fresh(action, key, edge)) sink.add({ world: stepper.snapshot(), violations: own });
        stepper.undo();
      }
    },
    toLog: (path) => ({
      header: spec.header,
      events: [...spec.prelude, ...path.map((action) => spec.alphabet[action]!.event)],
    }),
  };
}
