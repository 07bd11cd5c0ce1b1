/**
 * A generated guest log through the checked path, stopping at the first event that breaks an
 * invariant. QEMU exiting (error_fatal) ends the log: later events are rejected by the model as
 * input, not checked. Every frontend's property runs its logs through this.
 */
import {
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

/**
 * A frozen copy of each header object: every run's first World is built fresh from it and handed
 * to the stepper to step in place (no structuredClone per run); the platform object the World
 * shares with it is frozen, so a write to it would fail loudly.
 */
const frozenHeaders = new WeakMap<Header, Header>();
function startOf(header: Header): World {
  let frozen = frozenHeaders.get(header);
  if (frozen === undefined) frozenHeaders.set(header, (frozen = deepFreeze(structuredClone(header))));
  return initialWorld(frozen);
}

export function runUntilViolation(
  header: Header,
  events: readonly LogEvent[],
  /** Default: every invariant that applies to the platform, as `replay` checks (invariantsFor). */
  invariants?: readonly Invariant[],
  mode: CheckedStepperOptions['mode'] = 'incremental',
): LogRun {
  const world = startOf(header);
  const stepper = createCheckedStepper(world, {
    invariants: invariants ?? invariantsFor(world),
    mode,
    stepInPlace: true,
  });
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
