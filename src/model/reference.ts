/**
 * `reduce(world, event)`: the next frozen World and the event's outcome, through immer so that
 * unchanged parts are shared with the previous snapshot. The reference reducer: the checked path
 * (checked-step.ts) must reach the same World and outcome after every event, which
 * properties/checked-path.prop.test.ts proves.
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
