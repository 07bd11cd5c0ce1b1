/** An invariant: one sentence, its source, and a check returning its violations in words. */
import type { StepInput, StepOutcome } from '../model/protocol.ts';
import type { World } from '../model/world.ts';

export interface StepContext {
  readonly prev: World;
  readonly input: StepInput;
  readonly outcome: StepOutcome;
}

export interface Invariant {
  /** Stable kebab-case name used in reports and tests. */
  readonly name: string;
  /** The rule in one sentence. */
  readonly sentence: string;
  /** Where the rule comes from (kernel file and function, or the reference section). */
  readonly source: string;
  check(world: World, step: StepContext): string[];
}
