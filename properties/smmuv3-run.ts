/**
 * Runs an SMMUv3 accel log through the checked path and checks invariants after every event.
 */
import {
  allInvariants,
  createCheckedStepper,
  type Header,
  type Invariant,
  initialWorld,
  type LogEvent,
  LogInputError,
  type Violation,
} from '../src/index.ts';

export const smmuHeader = (variant: 'upstream' | 'fixed'): Header => ({
  log: 'viommu-model',
  version: 1,
  platform: { viommu: 'arm-smmuv3', accel: true, variant },
});

export interface SmmuRun {
  /** The events up to and including the first failing one. */
  readonly events: readonly LogEvent[];
  readonly violations: readonly Violation[];
}

export function runSmmu(
  events: readonly LogEvent[],
  variant: 'upstream' | 'fixed',
  invariants: readonly Invariant[] = allInvariants,
): SmmuRun {
  const stepper = createCheckedStepper(initialWorld(smmuHeader(variant)), {
    invariants,
    mode: 'incremental',
  });
  for (let index = 0; index < events.length; index++) {
    let step: ReturnType<typeof stepper.step>;
    try {
      step = stepper.step({ line: index + 2, event: events[index]! });
    } catch (error) {
      if (error instanceof LogInputError) break;
      throw error;
    }
    if (step.violations.length > 0)
      return { events: events.slice(0, index + 1), violations: step.violations };
  }
  return { events, violations: [] };
}
