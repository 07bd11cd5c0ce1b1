/**
 * A generated guest log through the checked path, stopping at the first event that breaks an
 * invariant. QEMU exiting (error_fatal) ends the log: later events are rejected by the model as
 * input, not checked. Every frontend's property runs its logs through this.
 */
import {
  allInvariants,
  type CheckedStepperOptions,
  createCheckedStepper,
  type Header,
  type Invariant,
  initialWorld,
  type LogEvent,
  LogInputError,
  type Violation,
  type World,
} from '../src/index.ts';

export interface LogRun {
  /** The events up to and including the first failing one. */
  readonly events: readonly LogEvent[];
  readonly violations: readonly Violation[];
  /** A `host.fail` made some host operation fail before the violation. */
  readonly injectedBefore: boolean;
}

/** Frozen all the way down: a shared first World that something wrote to would fail loudly. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const inner of value instanceof Map ? value.values() : Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}

/** The World at the start of a log, per header object: the stepper steps its own copy of it. */
const initialWorlds = new WeakMap<Header, World>();
function startOf(header: Header): World {
  let world = initialWorlds.get(header);
  if (world === undefined) {
    // A copy of the header: the World shares its platform object, which is frozen with it.
    world = deepFreeze(initialWorld(structuredClone(header)));
    initialWorlds.set(header, world);
  }
  return world;
}

export function runUntilViolation(
  header: Header,
  events: readonly LogEvent[],
  invariants: readonly Invariant[] = allInvariants,
  mode: CheckedStepperOptions['mode'] = 'incremental',
): LogRun {
  const stepper = createCheckedStepper(startOf(header), { invariants, mode });
  let injected = false;
  for (let index = 0; index < events.length; index++) {
    let step: ReturnType<typeof stepper.step>;
    try {
      step = stepper.step({ line: index + 2, event: events[index]! });
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited earlier
      throw error;
    }
    if (step.violations.length > 0)
      return { events: events.slice(0, index + 1), violations: step.violations, injectedBefore: injected };
    injected ||= step.outcome.hostOps.some((record) => record.injected === true);
  }
  return { events, violations: [], injectedBefore: injected };
}
