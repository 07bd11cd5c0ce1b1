/**
 * Two refusals every platform shares, read from docs/log-format.md (`vfio.plug`'s `hotplug`: a cold
 * plug's refusal stops QEMU, every later event is rejected) and the README's "not modelled" rule
 * (an event of another vIOMMU is bad input), apart from src/vmm/core/dispatch.ts: each rejection
 * is a LogInputError naming its own line and the field `type`, and says why (the line QEMU exited
 * at and its message; the event's type).
 */
import {
  createCheckedStepper,
  type Header,
  initialWorld,
  type LogEvent,
  LogInputError,
  type StepOutcome,
} from '../src/index.ts';

export type Refusal = { kind: 'exit'; at: number } | { kind: 'foreign'; at: number; event: LogEvent };

/** A cold plug whose bind fails (QEMU does not start), put before event `at`: its realize refusal is fatal. */
export const COLD_PLUG_REFUSED: readonly LogEvent[] = [
  { type: 'host.fail', op: 'bind', errno: 'ENOMEM' } as LogEvent,
  { type: 'vfio.plug', dev: 'cold0', hotplug: false } as LogEvent,
];

/** An event of another vIOMMU than the header's. */
export function foreignEvent(header: Header): LogEvent {
  return header.platform?.viommu === 'intel-iommu'
    ? ({ type: 'smmu.cmd', op: 'SYNC' } as LogEvent)
    : ({ type: 'vtd.translation', enable: true } as LogEvent);
}

export interface RefusalTally {
  exits: number;
  rejectedAfterExit: number;
  foreignRefused: number;
  /** Runs where QEMU had exited before the inserted events (nothing to judge). */
  exitedBefore: number;
}

export const newRefusalTally = (): RefusalTally => ({
  exits: 0,
  rejectedAfterExit: 0,
  foreignRefused: 0,
  exitedBefore: 0,
});

/** What is wrong with one rejection: its line, its field, and the words that say why. */
function wrongRejection(error: LogInputError, line: number, words: readonly string[]): string | undefined {
  const missing = words.filter((word) => !error.problem.includes(word));
  if (error.line === line && error.field === 'type' && missing.length === 0) return undefined;
  return `line ${line}: rejected as line ${error.line}, field ${JSON.stringify(error.field)}, "${error.problem}" (missing ${JSON.stringify(missing)})`;
}

/** Steps `log` with the refusal's events inserted before index `at`; the differences found. */
export function judgeRefusal(
  log: readonly LogEvent[],
  header: Header,
  refusal: Refusal,
  tally: RefusalTally,
): { events: LogEvent[]; differences: string[] } {
  const at = refusal.at % (log.length + 1);
  const inserted = refusal.kind === 'exit' ? COLD_PLUG_REFUSED : [refusal.event];
  const events = [...log.slice(0, at), ...inserted, ...log.slice(at)];
  const stepper = createCheckedStepper(initialWorld(header), { invariants: [] });
  let exited: { line: number; message: string } | undefined;
  for (const [index, event] of events.entries()) {
    const line = index + 2; // line 1 is the header
    const ours = index >= at && index < at + inserted.length;
    let outcome: StepOutcome;
    try {
      outcome = stepper.step({ line, event }).outcome;
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      if (exited !== undefined) {
        tally.rejectedAfterExit += 1;
        const wrong = wrongRejection(error, line, [`exited at line ${exited.line}`, exited.message]);
        if (wrong !== undefined) return { events: events.slice(0, index + 1), differences: [wrong] };
        continue;
      }
      if (refusal.kind === 'foreign' && ours) {
        tally.foreignRefused += 1;
        const wrong = wrongRejection(error, line, [`"${event.type}"`, 'not modelled']);
        return { events: events.slice(0, index + 1), differences: wrong === undefined ? [] : [wrong] };
      }
      return { events, differences: [`line ${line}: rejected before any refusal was due: ${error.message}`] };
    }
    if (refusal.kind === 'foreign' && ours)
      return { events: events.slice(0, index + 1), differences: [`line ${line}: ${event.type} accepted`] };
    if (outcome.fatal !== undefined && exited === undefined) {
      if (index < at) {
        tally.exitedBefore += 1; // QEMU exited in the generated part: the inserted events are judged as later ones
      }
      exited = { line, message: outcome.fatal };
      if (refusal.kind === 'exit' && event === inserted[1]) tally.exits += 1;
    }
    if (refusal.kind === 'exit' && event === inserted[1] && exited === undefined)
      return {
        events: events.slice(0, index + 1),
        differences: [`line ${line}: a refused cold plug did not stop QEMU`],
      };
  }
  return { events, differences: [] };
}
