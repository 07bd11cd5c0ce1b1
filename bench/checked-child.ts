/**
 * One measurement of bench/checked.bench.ts, run in its own process. Each mode returns
 * `{ rate }` (events or lines per second) and, for the properties, `{ runs }` (runs per second).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { kernelCommands } from '../properties/arbitraries.ts';
import { NONE_HEADER, runCommands } from '../properties/run.ts';
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
import { VTD_BENCH_HEADER, vtdLog } from './vtd-log.ts';

const perSecond = (count: number, ms: number) => (count / ms) * 1000;

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
      const start = performance.now();
      const lines = readFileSync(args[0]!, 'utf8').split('\n');
      let parsed = 0;
      for (const text of lines) if (text !== '' && JSON.parse(text) !== null) parsed += 1;
      return { rate: perSecond(parsed, performance.now() - start) };
    }
    case 'replay': {
      // The CLI's own path: `viommu-model replay FILE --check --quiet`, its output captured.
      const out: string[] = [];
      const start = performance.now();
      const code = await main(['replay', args[0]!, '--check', '--quiet'], {
        stdout: (text) => out.push(text),
        stderr: (text) => out.push(text),
      });
      const ms = performance.now() - start;
      const events = Number(/: (\d+) events,/.exec(out.join('\n'))?.[1]);
      if (code !== 0 || !(events > 0))
        throw new Error(`replay --check failed (exit ${code}): ${out.join('\n')}`);
      return { rate: perSecond(events, ms) };
    }
    case 'memory': {
      const { header, events } = inMemory(args[0]!, Number(args[1]));
      replayItems(items(header, events.slice(0, 50_000)), { stopAtFirstFailure: true }); // warm-up
      const start = performance.now();
      const { summary } = replayItems(items(header, events), { stopAtFirstFailure: true });
      const ms = performance.now() - start;
      mustHold(summary);
      return { rate: perSecond(summary.events, ms) };
    }
    case 'old-memory': {
      // The path every user ran before: immer reduce, every invariant over the whole World.
      const { header, events } = inMemory(args[0]!, Math.min(Number(args[1]), 100_000));
      const start = performance.now();
      let world: World = initialWorld(header.kind === 'header' ? header.header : NONE_HEADER);
      for (let i = 0; i < events.length; i++) {
        const input = { line: i + 2, event: events[i]! };
        const next = reduce(world, input);
        checkInvariants(next.world, { prev: world, input, outcome: next.outcome }, allInvariants);
        world = next.world;
      }
      return { rate: perSecond(events.length, performance.now() - start) };
    }
    case 'properties-new':
    case 'properties-old': {
      const cases = fc.sample(kernelCommands, { numRuns: 200, seed: 20261201 });
      const logs = cases.map((commands) => runCommands(commands, NONE_HEADER, []).events);
      const events = logs.reduce((sum, log) => sum + log.length, 0);
      const oldPath = () => {
        for (const log of logs) {
          let world: World = initialWorld(NONE_HEADER);
          log.forEach((event, i) => {
            const input = { line: i + 2, event };
            const next = reduce(world, input);
            checkInvariants(next.world, { prev: world, input, outcome: next.outcome }, allInvariants);
            world = next.world;
          });
        }
      };
      const newPath = () => {
        for (const commands of cases) runCommands(commands);
      };
      const run = mode === 'properties-new' ? newPath : oldPath;
      run(); // warm-up: a property suite runs many properties in one process
      const start = performance.now();
      run();
      const ms = performance.now() - start;
      return { rate: perSecond(events, ms), runs: perSecond(cases.length, ms) };
    }
    default:
      throw new Error(`unknown benchmark mode ${mode}`);
  }
}
