/**
 * `reduce(world, event)`: the next frozen World and the event's outcome, through immer so that
 * unchanged parts are shared with the previous snapshot. The reference reducer: the checked path
 * (checked-step.ts) must reach the same World and outcome after every event, which
 * properties/checked-path.prop.test.ts proves.
 */
import { enableMapSet, produce } from 'immer';
import { applyStep } from './apply.ts';
import type { StepInput, StepOutcome } from './protocol.ts';
import type { World } from './world.ts';

// The World keeps user-chosen names in Maps (names, the kernel's device table).
enableMapSet();

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
