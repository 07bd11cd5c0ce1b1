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
} from '../src/index.ts';

export interface LogRun {
  /** The events up to and including the first failing one. */
  readonly events: readonly LogEvent[];
  readonly violations: readonly Violation[];
  /** A `host.fail` made some host operation fail before the violation. */
  readonly injectedBefore: boolean;
}

export function runUntilViolation(
  header: Header,
  events: readonly LogEvent[],
  invariants: readonly Invariant[] = allInvariants,
  mode: CheckedStepperOptions['mode'] = 'incremental',
): LogRun {
  const stepper = createCheckedStepper(initialWorld(header), { invariants, mode });
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
