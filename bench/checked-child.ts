/**
 * One measurement of bench/checked.bench.ts, run in its own process. Each mode returns
 * `{ rate, cpuRate }` (events or lines per second of wall-clock and of CPU time) and, for the
 * properties (bench/properties-child.ts), `{ runs, cpuRuns }` (runs per second).
 */
import { readFileSync } from 'node:fs';
import { NONE_HEADER } from '../properties/run.ts';
import { main } from '../src/cli/main.ts';
import {
  allInvariants,
  checkInvariants,
  initialWorld,
  type LogEvent,
  type LogItem,
  reduce,
  replayItems,
  type World,
} from '../src/index.ts';
import { BENCH_HEADER, kernelLog } from './kernel-log.ts';
import { runPropertiesChild } from './properties-child.ts';
import { VTD_BENCH_HEADER, vtdLog } from './vtd-log.ts';

const perSecond = (count: number, ms: number) => (count / ms) * 1000;

/** Wall and CPU clocks started together: on a loaded machine the CPU rate is the one to compare. */
function clocks(): () => { ms: number; cpuMs: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
  };
}

/**
 * CPU milliseconds of the main thread alone (Linux: /proc/self/task/PID/stat, 10 ms ticks), or
 * undefined elsewhere: with the parse worker, process CPU time counts both threads.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** `rate` by the wall clock, `cpuRate` by this process's CPU time (user + system). */
const rates = (count: number, time: { ms: number; cpuMs: number }) => ({
  rate: perSecond(count, time.ms),
  cpuRate: perSecond(count, time.cpuMs),
});

function inMemory(name: string, total: number): { header: LogItem; events: LogEvent[] } {
  const header = name === 'kernel' ? BENCH_HEADER : VTD_BENCH_HEADER;
  const events = name === 'kernel' ? kernelLog(total, true) : vtdLog(total);
  return { header: { kind: 'header', line: 1, header }, events };
}

function* items(header: LogItem, events: readonly LogEvent[]): Generator<LogItem> {
  yield header;
  for (let i = 0; i < events.length; i++) yield { kind: 'event', line: i + 2, event: events[i]! };
}

/** A benchmark log that fails its own expectations measures nothing: refuse it. */
function mustHold(summary: { firstFailure?: unknown; inputError?: unknown; events: number }): void {
  if (summary.firstFailure !== undefined || summary.inputError !== undefined)
    throw new Error(`the benchmark log does not replay clean: ${JSON.stringify(summary)}`);
}

export async function runChild(mode: string, args: readonly string[]): Promise<Record<string, number>> {
  switch (mode) {
    case 'bare': {
      const stop = clocks();
      const lines = readFileSync(args[0]!, 'utf8').split('\n');
      let parsed = 0;
      for (const text of lines) if (text !== '' && JSON.parse(text) !== null) parsed += 1;
      return rates(parsed, stop());
    }
    case 'replay': {
      // The CLI's own path: `viommu-model replay FILE --check --quiet`, its output captured.
      const out: string[] = [];
      const mainBefore = mainThreadCpuMs();
      const stop = clocks();
      const code = await main(['replay', args[0]!, '--check', '--quiet'], {
        stdout: (text) => out.push(text),
        stderr: (text) => out.push(text),
      });
      const time = stop();
      const mainAfter = mainThreadCpuMs();
      const events = Number(/: (\d+) events,/.exec(out.join('\n'))?.[1]);
      if (code !== 0 || !(events > 0))
        throw new Error(`replay --check failed (exit ${code}): ${out.join('\n')}`);
      const mainMs = mainBefore === undefined || mainAfter === undefined ? 0 : mainAfter - mainBefore;
      return { ...rates(events, time), ...(mainMs > 0 ? { mainCpuRate: perSecond(events, mainMs) } : {}) };
    }
    case 'memory': {
      const { header, events } = inMemory(args[0]!, Number(args[1]));
      replayItems(items(header, events.slice(0, 50_000)), { stopAtFirstFailure: true }); // warm-up
      const stop = clocks();
      const { summary } = replayItems(items(header, events), { stopAtFirstFailure: true });
      const time = stop();
      mustHold(summary);
      return rates(summary.events, time);
    }
    case 'old-memory': {
      // The path every user ran before: immer reduce, every invariant over the whole World.
      const { header, events } = inMemory(args[0]!, Math.min(Number(args[1]), 100_000));
      const stop = clocks();
      let world: World = initialWorld(header.kind === 'header' ? header.header : NONE_HEADER);
      for (let i = 0; i < events.length; i++) {
        const input = { line: i + 2, event: events[i]! };
        const next = reduce(world, input);
        checkInvariants(next.world, { prev: world, input, outcome: next.outcome }, allInvariants);
        world = next.world;
      }
      return rates(events.length, stop());
    }
    // The names this bench used before: the kernel's stepping figure.
    case 'properties-new':
    case 'properties-old':
      return runPropertiesChild(`properties-kernel-${mode.slice('properties-'.length)}-step`);
    default:
      if (mode.startsWith('properties-')) return runPropertiesChild(mode);
      throw new Error(`unknown benchmark mode ${mode}`);
  }
}
