/**
 * Runs abstract commands through the model: each command becomes a concrete event against the
 * current World, is reduced, and every invariant is checked after it. The concrete events form the
 * log that is kept when a property fails.
 */
import {
  checkInvariants,
  type Header,
  type Invariant,
  initialWorld,
  type LogEvent,
  reduce,
  type Violation,
  type World,
} from '../src/index.ts';
import { allInvariants } from './invariants.ts';
import { type Command, createConcretizer } from './kernel-commands.ts';

export const NONE_HEADER: Header = { log: 'viommu-model', version: 1, platform: { viommu: 'none' } };

export interface RunResult {
  readonly events: LogEvent[];
  readonly world: World;
  /** The first event after which an invariant failed (index into `events`), and what failed. */
  readonly failure?: { readonly index: number; readonly violations: readonly Violation[] };
}

export function runCommands(
  commands: readonly Command[],
  header: Header = NONE_HEADER,
  invariants: readonly Invariant[] = allInvariants,
): RunResult {
  const concretizer = createConcretizer();
  let world = initialWorld(header);
  const events: LogEvent[] = [];
  for (const command of commands) {
    const event = concretizer.event(command, world);
    events.push(event);
    const input = { line: events.length + 1, event };
    const reduced = reduce(world, input);
    const violations = checkInvariants(
      reduced.world,
      { prev: world, input, outcome: reduced.outcome },
      invariants,
    );
    concretizer.noteFreed(world, reduced.world);
    world = reduced.world;
    if (violations.length > 0) return { events, world, failure: { index: events.length - 1, violations } };
  }
  return { events, world };
}

export function describeFailure(result: RunResult): string {
  if (result.failure === undefined) return 'no failure';
  const lines = result.failure.violations.map((v) => `  ${v.invariant}: ${v.message}`);
  return `after event ${result.failure.index + 1} of ${result.events.length}:\n${lines.join('\n')}`;
}
