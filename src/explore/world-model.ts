/**
 * The project's own model as an ExploreModel: a state is a World, a step is one log event through
 * the checked path (createCheckedStepper, src/model/checked-step.ts; applyStep; the compiled table
 * steppers of machines/), and the invariants are the ones the checked path checks after the event.
 * Each successor gets its own stepper over a copy of its parent, whose working copy it then keeps
 * (never shared, so no second copy). An event the model rejects as input (after QEMU exited, say)
 * is an action that is not enabled.
 */
import { invariantsFor } from '../invariants/index.ts';
import type { Invariant } from '../invariants/types.ts';
import { LogInputError } from '../log/errors.ts';
import type { Header, LogEvent } from '../log/schema.ts';
import { createCheckedStepper } from '../model/checked-step.ts';
import { initialWorld, type World } from '../model/world.ts';
import type { ExploreModel, ExploreViolation } from './model.ts';
import { WorldKeys } from './world-key.ts';

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
}

export function worldModel(spec: WorldModelSpec): ExploreModel<WorldState> {
  const keys = new WorldKeys();
  const start = initialWorld(spec.header, 1);
  const platformInvariants = invariantsFor(start);
  const invariants: readonly Invariant[] =
    spec.invariants === undefined
      ? platformInvariants
      : platformInvariants.filter((invariant) => spec.invariants!.includes(invariant.name));
  const firstLine = 2 + spec.prelude.length;

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
    key: (state) => keys.key(state.world),
    check: (state) => state.violations,
    expand(state, depth, sink) {
      // One copy of the parent per expansion; each action is stepped, keyed, kept if new, undone.
      const stepper = createCheckedStepper(state.world, { invariants });
      for (let action = 0; action < spec.alphabet.length; action++) {
        let violations: readonly ExploreViolation[];
        try {
          violations = stepper.step({
            line: firstLine + depth,
            event: spec.alphabet[action]!.event,
          }).violations;
        } catch (error) {
          if (error instanceof LogInputError) continue; // not enabled; nothing was applied
          throw error;
        }
        if (sink.fresh(action, keys.key(stepper.current)))
          sink.add({ world: stepper.snapshot(), violations });
        stepper.undo();
      }
    },
    toLog: (path) => ({
      header: spec.header,
      events: [...spec.prelude, ...path.map((action) => spec.alphabet[action]!.event)],
    }),
  };
}
