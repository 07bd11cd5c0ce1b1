/**
 * `reduce(world, event)`: the next frozen World and the event's outcome, through immer so that
 * unchanged parts are shared with the previous snapshot (which makes "a failed event changed
 * nothing" a cheap reference check).
 */
import { produce } from 'immer';
import { applyStep } from './apply.ts';
import type { StepInput, StepOutcome } from './protocol.ts';
import type { World } from './world.ts';

export interface Reduced {
  readonly world: World;
  readonly outcome: StepOutcome;
}

export function reduce(world: World, input: StepInput): Reduced {
  let outcome: StepOutcome | undefined;
  const next = produce(world, (draft) => {
    outcome = applyStep(draft, input);
  });
  return { world: next, outcome: outcome! };
}

/** The replay fast path: steps a private mutable copy in place (no freezing, no snapshots). */
export function createFastStepper(world: World): { step(input: StepInput): StepOutcome; world(): World } {
  const working = structuredClone(world) as World;
  return { step: (input) => applyStep(working, input), world: () => working };
}
