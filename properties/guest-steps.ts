/**
 * Logs stepped event by event until an event is refused as bad input (for a guest log: QEMU has
 * exited, and every later event is refused), for properties that judge each step themselves.
 */
import {
  type CheckedStep,
  type CheckedStepper,
  createCheckedStepper,
  type Header,
  initialWorld,
  type LogEvent,
  LogInputError,
  type World,
} from '../src/index.ts';

export interface GuestStep {
  readonly index: number;
  readonly event: LogEvent;
  readonly step: CheckedStep;
  /** The World before the event, when `snapshotBefore` asked for it; else null. */
  readonly before: World | null;
  /** The World after the event (a snapshot, built on demand). */
  world(): World;
}

/** Each step of the log; the World before an event is kept only where `snapshotBefore` says so. */
export function* stepsUntilQemuExits(
  header: Header,
  events: readonly LogEvent[],
  snapshotBefore: (event: LogEvent) => boolean = () => false,
): Generator<GuestStep> {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: [], stepInPlace: true });
  const world = () => stepper.snapshot();
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    const before = snapshotBefore(event) ? stepper.snapshot() : null;
    let step: CheckedStep;
    try {
      step = stepper.step({ line: index + 2, event });
    } catch (error) {
      if (error instanceof LogInputError) return; // QEMU exited earlier
      throw error;
    }
    yield { index, event, step, before, world };
  }
}

/** Steps every event of a log on a caller's stepper (line i + 1) until one is refused as bad input. */
export function stepUntilRefused(stepper: CheckedStepper, events: readonly LogEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    try {
      stepper.step({ line: i + 1, event: events[i]! });
    } catch (error) {
      if (error instanceof LogInputError) return;
      throw error;
    }
  }
}
