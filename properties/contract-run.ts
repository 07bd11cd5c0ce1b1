/**
 * Steps a log through the checked path with the contract judge on every kernel operation (the
 * kernel-level events and every host operation a frontend issues): the disagreements, how many
 * operations were judged, and which contract rows decided them.
 */
import {
  type CheckedStepper,
  CONTRACTS,
  createCheckedStepper,
  expectedOutcome,
  type Header,
  initialWorld,
  invariantsFor,
  isContracted,
  judge,
  type KernelOp,
  type KernelState,
  type LogEvent,
  LogInputError,
  type World,
} from '../src/index.ts';
import { applyTwist, type Twist } from './contract-twists.ts';
import { type Command, createConcretizer } from './kernel-commands.ts';

export interface ContractTally {
  judged: number;
  notCovered: number;
  /** Operations without a contract yet (the IOAS mapping operations), not judged. */
  uncontracted: number;
  /** `op#row` of every row that decided an operation. */
  readonly rows: Set<string>;
  /** Sees every judged operation and the model's errno (undefined: it succeeded). */
  observe?: (op: KernelOp, errno: string | undefined, before: KernelState) => void;
}

export const newTally = (): ContractTally => ({ judged: 0, notCovered: 0, uncontracted: 0, rows: new Set() });

/** A judged operation's named decision, in words, or undefined when it is not one a property aims at. */
export type Decision = (op: KernelOp, errno: string | undefined, before: KernelState) => string | undefined;

/** A fresh tally whose `observe` counts each decision met, and those counts. */
export function decisionTally(decision: Decision): { tally: ContractTally; met: Map<string, number> } {
  const tally = newTally();
  const met = new Map<string, number>();
  tally.observe = (op, errno, before) => {
    const d = decision(op, errno, before);
    if (d !== undefined) met.set(d, (met.get(d) ?? 0) + 1);
  };
  return { tally, met };
}

/** The decisions met, with their counts, for a property's log line. */
export const describeMet = (met: Map<string, number>) => [...met].map(([d, n]) => `${d} (${n})`).join(', ');

export interface ContractRun {
  readonly events: LogEvent[];
  /** The first disagreement: the index of its event and the differences. */
  readonly failure?: { readonly index: number; readonly differences: readonly string[] };
}

function judgedStepper(header: Header, tally: ContractTally, sink: string[]): CheckedStepper {
  const world = initialWorld(header);
  return createCheckedStepper(world, {
    invariants: invariantsFor(world),
    onKernelOp: (before, op, outcome, after) => {
      if (!isContracted(op.type)) {
        tally.uncontracted += 1;
        return;
      }
      const expected = expectedOutcome(before, op);
      if ('notCovered' in expected) {
        tally.notCovered += 1;
        return;
      }
      tally.judged += 1;
      tally.rows.add(`${op.type}#${expected.row + 1}`);
      tally.observe?.(op, outcome.ok ? undefined : outcome.errno, before);
      sink.push(...judge(before, op, outcome, after));
    },
  });
}

/** Rewrites a concretized event for a platform (properties/smmu-kernel-events.ts), by position. */
export type EventRewrite = (event: LogEvent, world: World, index: number) => LogEvent;

/** Generated kernel commands, concretized against the live World as in properties/run.ts. */
export function runKernelContracts(
  commands: readonly Command[],
  header: Header,
  tally: ContractTally,
  twists: readonly (readonly [number, Twist])[] = [],
  rewrite?: EventRewrite,
): ContractRun {
  const twistAt = new Map<number, Twist>();
  for (const [at, which] of twists) if (commands.length > 0) twistAt.set(at % commands.length, which);
  const differences: string[] = [];
  const stepper = judgedStepper(header, tally, differences);
  const concretizer = createConcretizer();
  const events: LogEvent[] = [];
  for (const command of commands) {
    const mock = concretizer.event(command, stepper.current);
    const plain = rewrite === undefined ? mock : rewrite(mock, stepper.current, events.length);
    const which = twistAt.get(events.length);
    const event = which === undefined ? plain : applyTwist(plain, which);
    events.push(event);
    const { changes } = stepper.step({ line: events.length + 1, event });
    concretizer.noteFreed(changes, stepper.current);
    if (differences.length > 0) return { events, failure: { index: events.length - 1, differences } };
  }
  return { events };
}

/**
 * Steps a whole log until `found` holds something (its events up to there) or the log ends; a QEMU
 * exit ends it too, since later events are rejected.
 */
export function stepLogUntilFound(
  stepper: CheckedStepper,
  log: readonly LogEvent[],
  found: readonly string[],
): LogEvent[] {
  const events: LogEvent[] = [];
  for (const event of log) {
    events.push(event);
    try {
      stepper.step({ line: events.length + 1, event });
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited: later events are rejected
      throw error;
    }
    if (found.length > 0) break;
  }
  return events;
}

/** A whole log (VT-d guest logs, examples): every host operation judged. */
export function runLogContracts(log: readonly LogEvent[], header: Header, tally: ContractTally): ContractRun {
  const differences: string[] = [];
  const events = stepLogUntilFound(judgedStepper(header, tally, differences), log, differences);
  if (differences.length > 0) return { events, failure: { index: events.length - 1, differences } };
  return { events };
}

/** Rows of the contracts no generated operation reached (printed, so gaps in the generators show). */
export function unreachedRows(tally: ContractTally, ops: readonly string[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    const contract = CONTRACTS[op as keyof typeof CONTRACTS];
    contract.rows.forEach((row, i) => {
      if (!tally.rows.has(`${op}#${i + 1}`)) out.push(`${op} row ${i + 1}: ${row.when}`);
    });
  }
  return out;
}
