/**
 * Runs a VT-d log through the model and checks invariants after every event. QEMU exiting
 * (error_fatal) ends the log: later events are rejected by the model as input, not checked.
 */
import {
  allInvariants,
  checkInvariants,
  DEFAULT_HEADER,
  type Header,
  type Invariant,
  initialWorld,
  type LogEvent,
  LogInputError,
  reduce,
  type Violation,
} from '../src/index.ts';

/** The log format's default platform (VT-d, x-flts, scalable mode, caching mode, 48 bits) with a variant. */
export const vtdHeader = (variant: 'upstream' | 'fixed'): Header => ({
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
  variant: 'upstream' | 'fixed',
  invariants: readonly Invariant[] = allInvariants,
): VtdRun {
  let world = initialWorld(vtdHeader(variant));
  let injected = false;
  for (let index = 0; index < events.length; index++) {
    const input = { line: index + 2, event: events[index]! };
    let reduced: ReturnType<typeof reduce>;
    try {
      reduced = reduce(world, input);
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited earlier
      throw error;
    }
    const violations = checkInvariants(
      reduced.world,
      { prev: world, input, outcome: reduced.outcome },
      invariants,
    );
    if (violations.length > 0)
      return { events: events.slice(0, index + 1), violations, injectedBefore: injected };
    injected ||= reduced.outcome.hostOps.some((record) => record.injected === true);
    world = reduced.world;
  }
  return { events, violations: [], injectedBefore: injected };
}
