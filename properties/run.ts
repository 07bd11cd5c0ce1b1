/**
 * Runs abstract commands through the checked path: each command becomes a concrete event against
 * the current World, is stepped, and the invariants are checked after it (incremental by default,
 * or a full check after every event). The concrete events form the log that is kept when a
 * property fails.
 */
import {
  type CheckedStepper,
  type CheckedStepperOptions,
  createCheckedStepper,
  type Header,
  type Invariant,
  initialWorld,
  invariantsFor,
  type LogEvent,
  LogInputError,
  type Violation,
  type World,
} from '../src/index.ts';
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
  invariants?: readonly Invariant[],
  mode: CheckedStepperOptions['mode'] = 'incremental',
): RunResult {
  const concretizer = createConcretizer();
  const world = initialWorld(header);
  // The fresh first World is handed over: stepped in place, no structuredClone per run.
  const stepper = createCheckedStepper(world, {
    invariants: invariants ?? invariantsFor(world),
    mode,
    stepInPlace: true,
  });
  const events: LogEvent[] = [];
  for (const command of commands) {
    const event = concretizer.event(command, stepper.current);
    events.push(event);
    const { violations, changes } = stepper.step({ line: events.length + 1, event });
    concretizer.noteFreed(changes, stepper.current);
    if (violations.length > 0) return result(events, stepper, { index: events.length - 1, violations });
  }
  return result(events, stepper, undefined);
}

/** The World is snapshotted only if a caller reads it (most properties look at `failure` alone). */
function result(events: LogEvent[], stepper: CheckedStepper, failure: RunResult['failure']): RunResult {
  let world: World | undefined;
  return {
    events,
    get world() {
      world ??= stepper.snapshot();
      return world;
    },
    ...(failure === undefined ? {} : { failure }),
  };
}

export function describeFailure(result: RunResult): string {
  if (result.failure === undefined) return 'no failure';
  const lines = result.failure.violations.map((v) => `  ${v.invariant}: ${v.message}`);
  return `after event ${result.failure.index + 1} of ${result.events.length}:\n${lines.join('\n')}`;
}

/** Every event of a log stepped (not stopping at a failure): each event's violations, as text. */
export function violationsPerEvent(
  events: readonly LogEvent[],
  header: Header,
  mode: CheckedStepperOptions['mode'],
  invariants?: readonly Invariant[],
): string[][] {
  const world = initialWorld(header);
  const stepper = createCheckedStepper(world, { invariants: invariants ?? invariantsFor(world), mode });
  const out: string[][] = [];
  for (let index = 0; index < events.length; index++) {
    let violations: readonly Violation[];
    try {
      violations = stepper.step({ line: index + 2, event: events[index]! }).violations;
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited: later events are not applied
      // A broken World (a mutant's) can trip the model's own assertions: record it and stop there.
      out.push([`crash: ${(error as Error).message}`]);
      break;
    }
    out.push(violations.map((v) => `${v.invariant}: ${v.message}`));
  }
  return out;
}
