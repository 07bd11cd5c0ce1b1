/**
 * A guest log stepped event by event with no invariants, until QEMU exits (a LogInputError: every
 * later event is refused), for properties that judge each step's outcome and World themselves.
 */
import {
  type CheckedStep,
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
