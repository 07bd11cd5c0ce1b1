/**
 * The property measurements of bench/checked.bench.ts, one per child process: generated kernel
 * logs (properties/kernel.prop.test.ts) and VT-d guest logs (properties/vtd.prop.test.ts, `fixed`),
 * each through today's runner (the checked path) and through the old one (immer reduce, every
 * invariant over the whole World after every event, as properties/run.ts and vtd-run.ts did before
 * the checked path, at b7c8161). Both paths check the invariants that apply to the platform
 * (invariantsFor, as replay does), and the new path's runners hand the stepper a fresh first World
 * to step in place (CheckedStepperOptions.stepInPlace). Two shapes:
 * - `step`: the logs generated up front (fc.sample, not timed); timed is running them, the kernel's
 *   new path with its concretizer and the old path on the logs already concretized (the figure the
 *   bench printed before);
 * - `check`: a whole property as the suite runs it, `fc.check` with the property's seed, generation
 *   included, both paths concretizing their own kernel commands.
 * Each returns events/s and runs/s, by the wall clock and by CPU time, over 5 passes of distinct
 * runs after a 3-pass warm-up on other runs, and the warm-up's own (cold) CPU rate.
 */
import fc from 'fast-check';
import { kernelCommands } from '../properties/arbitraries.ts';
import { type Command, createConcretizer } from '../properties/kernel-commands.ts';
import { NONE_HEADER, runCommands } from '../properties/run.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from '../properties/vtd-arbitraries.ts';
import { runVtd, vtdHeader } from '../properties/vtd-run.ts';
import {
  type Changes,
  checkInvariants,
  type Header,
  initialWorld,
  invariantsFor,
  type LogEvent,
  LogInputError,
  reduce,
  type World,
} from '../src/index.ts';

/** Runs per pass: one pass is about 37k kernel events and 22k VT-d events. */
const KERNEL_RUNS = 200;
const VTD_RUNS = 1000;
const WARM_PASSES = 3;
const TIMED_PASSES = 5;
const KERNEL_SEED = 20261201;
const VTD_SEED = 20260301;

/** What one property run stepped, and whether an invariant failed (a failing benchmark measures nothing). */
interface Ran {
  readonly events: number;
  readonly failed: boolean;
}

/**
 * One event through the old path: immer reduce, then every invariant over the whole World: the
 * same list the new path checks (invariantsFor, the platform's), so both check the same rules.
 */
function oldStep(world: World, line: number, event: LogEvent): { world: World; failed: boolean } {
  const input = { line, event };
  const next = reduce(world, input);
  const violations = checkInvariants(
    next.world,
    { prev: world, input, outcome: next.outcome },
    invariantsFor(world),
  );
  return { world: next.world, failed: violations.length > 0 };
}

/** The old properties/vtd-run.ts: stop at the first violation, or where QEMU exited (input error). */
function oldRunLog(header: Header, events: readonly LogEvent[]): Ran {
  let world = initialWorld(header);
  for (let index = 0; index < events.length; index++) {
    let next: ReturnType<typeof oldStep>;
    try {
      next = oldStep(world, index + 2, events[index]!);
    } catch (error) {
      if (error instanceof LogInputError) return { events: index, failed: false };
      throw error;
    }
    if (next.failed) return { events: index + 1, failed: true };
    world = next.world;
  }
  return { events: events.length, failed: false };
}

/**
 * The old properties/run.ts: each command concretized against the frozen World, reduced, every
 * invariant checked; the concretizer told what was freed by comparing every slot before and after
 * (what its noteFreed did then), here as a Changes naming every slot.
 */
function oldRunCommands(commands: readonly Command[]): Ran {
  const concretizer = createConcretizer();
  let world = initialWorld(NONE_HEADER);
  let events = 0;
  for (const command of commands) {
    const event = concretizer.event(command, world);
    events += 1;
    const next = oldStep(world, events + 1, event);
    if (next.failed) return { events, failed: true };
    const before = world.kernel.objects;
    const everySlot = { slots: before.map((_, id) => id), slotBefore: (id: number) => before[id] };
    concretizer.noteFreed(everySlot as unknown as Changes, next.world);
    world = next.world;
  }
  return { events, failed: false };
}

interface Timed {
  readonly events: number;
  readonly runs: number;
  readonly ms: number;
  readonly cpuMs: number;
}

function time(run: () => { events: number; runs: number }): Timed {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const { events, runs } = run();
  const used = process.cpuUsage(cpu);
  return { events, runs, ms: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
}

/** The runner of each (log kind, path), on generated inputs. */
function kernelRunner(path: 'new' | 'old'): (commands: readonly Command[]) => Ran {
  if (path === 'old') return oldRunCommands;
  return (commands) => {
    const run = runCommands(commands);
    return { events: run.events.length, failed: run.failure !== undefined };
  };
}
function vtdRunner(path: 'new' | 'old'): (log: readonly LogEvent[]) => Ran {
  if (path === 'old') return (log) => oldRunLog(vtdHeader('fixed'), log);
  return (log) => {
    const run = runVtd(log, 'fixed');
    return { events: run.events.length, failed: run.violations.length > 0 };
  };
}

function mustHold(ran: Ran): number {
  if (ran.failed) throw new Error('a benchmarked property run broke an invariant: it measures nothing');
  return ran.events;
}

/** Runs `runs` property runs of the arbitrary with this seed, in the given shape. */
function runsOf<T>(
  arbitrary: fc.Arbitrary<T>,
  runs: number,
  seed: number,
  shape: 'step' | 'check',
  runner: (value: T) => Ran,
): Timed {
  if (shape === 'check')
    return time(() => {
      let events = 0;
      const details = fc.check(
        fc.property(arbitrary, (value) => {
          events += mustHold(runner(value));
        }),
        { numRuns: runs, seed },
      );
      if (details.failed) throw new Error(`the benchmarked property failed: ${details.errorInstance}`);
      return { events, runs: details.numRuns };
    });
  const values = fc.sample(arbitrary, { numRuns: runs, seed });
  return time(() => {
    let events = 0;
    for (const value of values) events += mustHold(runner(value));
    return { events, runs: values.length };
  });
}

/**
 * A warm-up of WARM_PASSES x runs on other logs (seed + 1; V8 takes several passes to reach its
 * steady state on the checked path, as a suite's long properties do), then TIMED_PASSES x runs
 * timed on the property's own seed: distinct logs, never the same ones again. The warm-up's own
 * (cold) rate is returned as well.
 */
function measure<T>(
  arbitrary: fc.Arbitrary<T>,
  runs: number,
  seed: number,
  shape: 'step' | 'check',
  runner: (value: T) => Ran,
): { cold: Timed; warm: Timed } {
  const cold = runsOf(arbitrary, runs * WARM_PASSES, seed + 1, shape, runner);
  const warm = runsOf(arbitrary, runs * TIMED_PASSES, seed, shape, runner);
  return { cold, warm };
}

/** `properties-{kernel,vtd}-{new,old}-{step,check}`: events/s and runs/s, by wall and by CPU. */
export function runPropertiesChild(mode: string): Record<string, number> {
  const match = /^properties-(kernel|vtd)-(new|old)-(step|check)$/.exec(mode);
  if (match === null) throw new Error(`unknown property benchmark mode ${mode}`);
  const [, kind, path, shape] = match as unknown as [
    string,
    'kernel' | 'vtd',
    'new' | 'old',
    'step' | 'check',
  ];
  // The old kernel `step` figure steps logs concretized beforehand (as the bench measured it before).
  const { cold, warm } =
    kind === 'vtd'
      ? measure(vtdGuestLog(RECOVERABLE_FAILURES), VTD_RUNS, VTD_SEED, shape, vtdRunner(path))
      : path === 'old' && shape === 'step'
        ? measure(
            kernelCommands.map((commands) => runCommands(commands, NONE_HEADER, []).events),
            KERNEL_RUNS,
            KERNEL_SEED,
            'step',
            (log) => oldRunLog(NONE_HEADER, log),
          )
        : measure(kernelCommands, KERNEL_RUNS, KERNEL_SEED, shape, kernelRunner(path));
  return {
    rate: (warm.events / warm.ms) * 1000,
    cpuRate: (warm.events / warm.cpuMs) * 1000,
    runs: (warm.runs / warm.ms) * 1000,
    cpuRuns: (warm.runs / warm.cpuMs) * 1000,
    events: warm.events,
    coldCpuRate: (cold.events / cold.cpuMs) * 1000,
  };
}
