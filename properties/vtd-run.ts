/**
 * Runs a VT-d log through the checked path and checks invariants after every event. QEMU exiting
 * (error_fatal) ends the log: later events are rejected by the model as input, not checked.
 */
import {
  allInvariants,
  type CheckedStepperOptions,
  createCheckedStepper,
  DEFAULT_HEADER,
  type Header,
  type Invariant,
  initialWorld,
  type LogEvent,
  LogInputError,
  type Violation,
} from '../src/index.ts';

/** The log format's default platform (VT-d, x-flts, scalable mode, caching mode, 48 bits) with a variant. */
export type VtdVariantName = 'upstream' | 'fixed' | 'pasid-series';

export const vtdHeader = (variant: VtdVariantName): Header => ({
  ...DEFAULT_HEADER,
  platform: { ...DEFAULT_HEADER.platform!, variant },
});

export const vmmInvariantNamed = (name: string): Invariant[] =>
  allInvariants.filter((inv) => inv.name === name);

export interface VtdRun {
  /** The events up to and including the first failing one. */
  readonly events: readonly LogEvent[];
  readonly violations: readonly Violation[];
  /** A `host.fail` made some host operation fail before the violation. */
  readonly injectedBefore: boolean;
}

export function runVtd(
  events: readonly LogEvent[],
  variant: VtdVariantName,
  invariants: readonly Invariant[] = allInvariants,
  mode: CheckedStepperOptions['mode'] = 'incremental',
): VtdRun {
  const stepper = createCheckedStepper(initialWorld(vtdHeader(variant)), { invariants, mode });
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
