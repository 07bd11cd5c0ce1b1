/**
 * `$name` references (docs/log-format.md, Names and references): a log whose IDs are written as
 * `$names` bound by `"as"` steps exactly as the same log with raw IDs, event for event (outcome, errno,
 * new ID, written-back values); and a `$name` never bound, in any ID field of any kernel event, is an
 * input error naming that line and that field. Generated kernel logs (platform none), every ID field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  initialWorld,
  type LogEvent,
  LogInputError,
  type StepOutcome,
} from '../src/index.ts';
import { kernelAccessCommands, kernelCommands, kernelMapCommands } from './arbitraries.ts';
import { type Command, createConcretizer } from './kernel-commands.ts';
import { NONE_HEADER } from './run.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';

const FILE = 'properties/name-refs.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.NAME_PROP_RUNS ?? 150));
/** Every kernel event field that takes an object ID (src/kernel/ops.ts, ioas/ops.ts, access/ops.ts resolve them). */
const ID_FIELDS = [
  'id',
  'dev_id',
  'pt_id',
  'ioas_id',
  'src_ioas_id',
  'dst_ioas_id',
  'hwpt_id',
  'viommu_id',
  'fault_id',
  'access_id',
] as const;

type Fields = Record<string, unknown>;
const nameOf = (id: number) => `id${id}`;

/** The raw log, concretized and stepped: each event with its outcome. */
function rawLog(commands: readonly Command[]): { events: LogEvent[]; outcomes: StepOutcome[] } {
  const stepper = createCheckedStepper(initialWorld(NONE_HEADER), { invariants: [], stepInPlace: true });
  const concretizer = createConcretizer();
  const events: LogEvent[] = [];
  const outcomes: StepOutcome[] = [];
  for (const command of commands) {
    const event = concretizer.event(command, stepper.current);
    const { outcome, changes } = stepper.step({ line: events.length + 2, event });
    concretizer.noteFreed(changes, stepper.current);
    events.push(event);
    outcomes.push(outcome);
  }
  return { events, outcomes };
}

/** The same log with `"as"` on every event that made an object and `$id<N>` for every ID bound when it is used. */
function namedLog(events: readonly LogEvent[], outcomes: readonly StepOutcome[]): LogEvent[] {
  const bound = new Set<number>();
  return events.map((event, index) => {
    const fields: Fields = { ...(event as unknown as Fields) };
    for (const field of ID_FIELDS) {
      const value = fields[field];
      if (typeof value === 'number' && bound.has(value)) fields[field] = `$${nameOf(value)}`;
    }
    const outcome = outcomes[index]!;
    if (outcome.ok && outcome.id !== undefined) {
      fields.as = nameOf(outcome.id);
      bound.add(outcome.id);
    }
    return fields as unknown as LogEvent;
  });
}

/** What a step did, in words that ignore how its IDs were written (its host op echoes the resolved op). */
const summary = (outcome: StepOutcome) =>
  JSON.stringify({
    ok: outcome.ok,
    id: outcome.ok ? outcome.id : undefined,
    errno: outcome.ok ? undefined : outcome.errno,
    out: (outcome as { out?: unknown }).out,
    ops: outcome.hostOps.map((record) => record.op),
  });

/** The first event the named log steps differently from the raw one, in words; null when none. */
function firstDifference(commands: readonly Command[]): string | null {
  const { events, outcomes } = rawLog(commands);
  const named = namedLog(events, outcomes);
  const stepper = createCheckedStepper(initialWorld(NONE_HEADER), { invariants: [], stepInPlace: true });
  for (let index = 0; index < named.length; index++) {
    let outcome: StepOutcome;
    try {
      outcome = stepper.step({ line: index + 2, event: named[index]! }).outcome;
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      return `event ${index + 1} ${JSON.stringify(named[index])}: ${error.message}`;
    }
    const [want, got] = [summary(outcomes[index]!), summary(outcome)];
    if (want !== got)
      return `event ${index + 1} ${JSON.stringify(named[index])} (raw ${JSON.stringify(events[index])}): raw ${want}, named ${got}`;
  }
  return null;
}

/** Each ID field of each event, set in turn to a `$name` nothing bound: the input error must name it. */
function firstMisnamedField(commands: readonly Command[]): string | null {
  const { events } = rawLog(commands);
  for (let index = 0; index < events.length; index++)
    for (const field of ID_FIELDS) {
      const fields = events[index] as unknown as Fields;
      if (typeof fields[field] !== 'number') continue;
      const broken = { ...fields, [field]: '$never_bound' } as unknown as LogEvent;
      const stepper = createCheckedStepper(initialWorld(NONE_HEADER), { invariants: [], stepInPlace: true });
      for (let before = 0; before < index; before++)
        stepper.step({ line: before + 2, event: events[before]! });
      try {
        stepper.step({ line: index + 2, event: broken });
      } catch (error) {
        if (!(error instanceof LogInputError)) throw error;
        const expected = `"$never_bound" is not bound: no earlier successful event has "as":"never_bound"`;
        if (error.line === index + 2 && error.field === field && error.problem === expected) continue;
        return `${JSON.stringify(broken)}: expected line ${index + 2} field ${field}, got ${error.message}`;
      }
      return `${JSON.stringify(broken)}: stepped with an unbound $name in ${field}`;
    }
  return null;
}

const LOGS: readonly [string, fc.Arbitrary<Command[]>, number][] = [
  ['kernel objects', kernelCommands, 29_201],
  ['IOAS mappings', kernelMapCommands, 29_202],
  ['accesses', kernelAccessCommands, 29_203],
];

describe('$name references', () => {
  for (const [name, commands, seed] of LOGS) {
    it(`${name}: a log written with $names steps as the same log with raw IDs`, () => {
      const details = fc.check(
        fc.property(commands, (log) => firstDifference(log) === null),
        { numRuns: RUNS, seed: propertySeed(seed) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(`${firstDifference(details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
    });

    it(`${name}: an unbound $name in any ID field is an input error naming its line and field`, () => {
      // Each event is replayed once per ID field: fewer, shorter logs.
      const short = commands.map((log) => log.slice(0, 24));
      const details = fc.check(
        fc.property(short, (log) => firstMisnamedField(log) === null),
        { numRuns: Math.max(1, Math.ceil(RUNS / 5)), seed: propertySeed(seed + 10) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(`${firstMisnamedField(details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
    });
  }
});
