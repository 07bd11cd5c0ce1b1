/**
 * Steps generated kernel commands (optionally rewritten per position, as the arm-smmuv3 arm does)
 * or whole guest logs through the checked path, checking every successful IOMMU_HWPT_ALLOC's record
 * against properties/hwpt-records.ts, and counting the allocations checked per kind.
 */
import {
  type CheckedStepper,
  createCheckedStepper,
  type Header,
  initialWorld,
  invariantsFor,
  type LogEvent,
} from '../src/index.ts';
import { type EventRewrite, stepLogUntilFound } from './contract-run.ts';
import { autoDomainDifference, hwptRecordDifference } from './hwpt-records.ts';
import { type Command, createConcretizer } from './kernel-commands.ts';

export interface RecordRun {
  readonly events: LogEvent[];
  readonly difference?: string;
}

/** Allocations checked, by what the HWPT was made on (IOAS, HWPT_PAGING, VIOMMU). */
export type RecordTally = Map<string, number>;

function recordingStepper(header: Header, tally: RecordTally, found: string[]): CheckedStepper {
  const world = initialWorld(header);
  return createCheckedStepper(world, {
    invariants: invariantsFor(world),
    onKernelOp: (before, op, outcome, after) => {
      const difference =
        hwptRecordDifference(before, op, outcome, after) ?? autoDomainDifference(before, op, outcome, after);
      if (op.type === 'iommufd.hwpt_alloc' && outcome.ok) {
        const on = before.objects[op.pt_id]?.type ?? 'none';
        tally.set(on, (tally.get(on) ?? 0) + 1);
      }
      if (op.type === 'vfio.attach' && outcome.ok && outcome.id !== undefined) {
        const made = before.objects[outcome.id]?.seq !== after.objects[outcome.id]?.seq;
        if (made && before.objects[op.pt_id]?.type === 'IOAS')
          tally.set('auto domain', (tally.get('auto domain') ?? 0) + 1);
      }
      if (difference !== undefined) found.push(difference);
    },
  });
}

export function runKernelRecords(
  commands: readonly Command[],
  header: Header,
  tally: RecordTally,
  rewrite?: EventRewrite,
): RecordRun {
  const found: string[] = [];
  const stepper = recordingStepper(header, tally, found);
  const concretizer = createConcretizer();
  const events: LogEvent[] = [];
  for (const command of commands) {
    const mock = concretizer.event(command, stepper.current);
    const event = rewrite === undefined ? mock : rewrite(mock, stepper.current, events.length);
    events.push(event);
    const { changes } = stepper.step({ line: events.length + 1, event });
    concretizer.noteFreed(changes, stepper.current);
    if (found.length > 0) return { events, difference: found[0] };
  }
  return { events };
}

export function runLogRecords(log: readonly LogEvent[], header: Header, tally: RecordTally): RecordRun {
  const found: string[] = [];
  const events = stepLogUntilFound(recordingStepper(header, tally, found), log, found);
  return found.length > 0 ? { events, difference: found[0] } : { events };
}
