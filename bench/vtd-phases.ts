/**
 * The VT-d guest log's in-memory cost by phase, in ns/event of main-thread CPU time (Linux:
 * /proc/self/task/PID/stat, 10 ms ticks; process CPU time elsewhere), each phase in its own process
 * after a warm-up, so that one phase's garbage does not bill another:
 * - step: the dispatcher alone (applyStep in place on a plain copy, no journal, no checks);
 * - bookkeeping: the checked path with no invariant (shadow, journal, VMM before-image, Changes);
 * - invariants: the checked path with every invariant (minus the row above);
 * - replay: replayItems as bench/checked.bench.ts's memory mode runs it (the `expect` checks and the
 *   replayer's own records on top).
 * It prints figures only and never passes or fails on time; for an A/B run it in both checkouts,
 * interleaved.
 *   npx tsx bench/vtd-phases.ts [EVENTS=300000] [ROUNDS=1]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createCheckedStepper,
  initialWorld,
  invariantsFor,
  type LogEvent,
  type LogItem,
  replayItems,
} from '../src/index.ts';
import { applyStep } from '../src/model/apply.ts';
import { VTD_BENCH_HEADER, vtdLog } from './vtd-log.ts';

const PHASES = ['step', 'bookkeeping', 'invariants', 'replay'] as const;
type Phase = (typeof PHASES)[number];

/** Main-thread CPU milliseconds (10 ms ticks), or the process's when /proc is not there. */
function cpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  }
}

function* items(events: readonly LogEvent[]): Generator<LogItem> {
  yield { kind: 'header', line: 1, header: VTD_BENCH_HEADER };
  for (let i = 0; i < events.length; i++) yield { kind: 'event', line: i + 2, event: events[i]! };
}

/** One pass of a phase over the events; throws if the log does not replay clean (it would measure nothing). */
function pass(phase: Phase, events: readonly LogEvent[]): void {
  if (phase === 'replay') {
    const { summary } = replayItems(items(events), { stopAtFirstFailure: true });
    if (summary.firstFailure !== undefined || summary.inputError !== undefined)
      throw new Error(`the VT-d bench log does not replay clean: ${JSON.stringify(summary)}`);
    return;
  }
  const world = structuredClone(initialWorld(VTD_BENCH_HEADER));
  if (phase === 'step') {
    for (let i = 0; i < events.length; i++)
      if (!applyStep(world, { line: i + 2, event: events[i]! }).ok) throw new Error(`event ${i} failed`);
    return;
  }
  const invariants = phase === 'bookkeeping' ? [] : invariantsFor(world);
  const stepper = createCheckedStepper(world, { invariants, stepInPlace: true });
  for (let i = 0; i < events.length; i++) {
    const { outcome, violations } = stepper.step({ line: i + 2, event: events[i]! });
    if (!outcome.ok || violations.length > 0) throw new Error(`event ${i} failed or violated`);
  }
}

/** In a child: warm up, then time one pass; prints ns/event. */
function child(phase: Phase, total: number): void {
  const events = vtdLog(total);
  pass(phase, events.slice(0, 50_000));
  const before = cpuMs();
  pass(phase, events);
  console.log(JSON.stringify({ phase, nsPerEvent: ((cpuMs() - before) * 1e6) / total }));
}

function parent(total: number, rounds: number): void {
  const self = fileURLToPath(import.meta.url);
  const runs = new Map<Phase, number[]>(PHASES.map((phase) => [phase, []]));
  for (let round = 0; round < rounds; round++)
    for (const phase of PHASES) {
      const result = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', phase, String(total)], {
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`${phase} failed: ${result.stderr}`);
      const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { nsPerEvent: number };
      runs.get(phase)!.push(last.nsPerEvent);
    }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const at = (phase: Phase) => median(runs.get(phase)!);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(8);
  console.log(
    `VT-d bench log, ${total.toLocaleString('en-US')} events, median of ${rounds}, main-thread CPU`,
  );
  console.log(`step (dispatcher alone)                 ${fmt(at('step'))} ns/event`);
  console.log(
    `checked path, no invariant              ${fmt(at('bookkeeping'))} ns/event (bookkeeping ${fmt(at('bookkeeping') - at('step'))})`,
  );
  console.log(
    `checked path, every invariant           ${fmt(at('invariants'))} ns/event (invariants ${fmt(at('invariants') - at('bookkeeping'))})`,
  );
  console.log(
    `replayItems (bench memory mode)         ${fmt(at('replay'))} ns/event = ${fmt(1e9 / at('replay'))} events/s`,
  );
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') child(argv[1] as Phase, Number(argv[2]));
else parent(Number(argv[0] ?? 300_000), Number(argv[1] ?? 1));
