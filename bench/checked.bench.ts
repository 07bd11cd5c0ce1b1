/**
 * The fast checked path against its targets (issue: one core, one fast checked path). Each
 * measurement runs in its own child process, best of RUNS after a warm-up, and prints events/s and
 * the ratios measured in this same run, by the wall clock and by the child's CPU time (user +
 * system, every thread): on a shared machine the CPU figures are the comparable ones. It never
 * passes or fails on time.
 *   npx tsx bench/checked.bench.ts [EVENTS=1000000] [--rss-10m] [--properties-only]
 * - replay --check from a file, end to end (read, parse, validate, step, every invariant, every
 *   `expect`), on a self-checking kernel log and a VT-d guest log, against bare readFileSync +
 *   split + JSON.parse of the same file (target: at least 0.5x), and against the in-memory rate
 *   below (what reading, parsing and the hand-over from the parse worker cost);
 * - the same events in memory through the checked path with every invariant (target: 1M events/s),
 *   and through the old path (immer reduce + every invariant over the whole World after every event);
 * - properties: generated kernel and VT-d logs checked per second and runs per second, new path
 *   against the old, on logs generated beforehand and as whole fc.check runs (target: 10x);
 * - peak RSS of `replay --check` at 1M events (and 10M with --rss-10m): it must not grow with the log.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Header, LogEvent } from '../src/index.ts';
import { BENCH_HEADER, kernelLog } from './kernel-log.ts';
import { VTD_BENCH_HEADER, vtdLog } from './vtd-log.ts';

const RUNS = 3;
const self = fileURLToPath(import.meta.url);
const root = join(self, '..', '..');

async function writeLog(
  path: string,
  header: Header,
  events: (count: number, start: number) => LogEvent[],
  total: number,
) {
  const out = createWriteStream(path);
  const write = (text: string) =>
    new Promise<void>((resolve) => (out.write(text) ? resolve() : out.once('drain', () => resolve())));
  await write(`${JSON.stringify(header)}\n`);
  const chunk = 100_000;
  for (let done = 0; done < total; done += chunk) {
    const lines = events(Math.min(chunk, total - done), done).map((event) => JSON.stringify(event));
    await write(`${lines.join('\n')}\n`);
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

/** One measurement in a fresh process: prints `{"rate":N,"rss":BYTES,...}` on its last line. */
function child(mode: string, ...args: string[]): Record<string, number> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) throw new Error(`${mode} failed: ${result.stderr}`);
  const last = result.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as Record<string, number>;
}

/** The best of RUNS runs, per figure: the fastest wall-clock rate and the fastest CPU-time rate. */
function best(mode: string, ...args: string[]): Record<string, number> {
  const runs = Array.from({ length: RUNS }, () => child(mode, ...args));
  const top = (key: string) => Math.max(...runs.map((run) => run[key] ?? 0));
  return {
    rate: top('rate'),
    cpuRate: top('cpuRate'),
    runs: top('runs'),
    cpuRuns: top('cpuRuns'),
    coldCpuRate: top('coldCpuRate'),
    mainCpuRate: top('mainCpuRate'),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);
/** A rate by the wall clock, then by CPU time (the figure that holds on a loaded machine). */
const both = (figure: Record<string, number>, unit: string) =>
  `${fmt(figure.rate!)} ${unit}/s wall, ${fmt(figure.cpuRate!)} ${unit}/s CPU`;
/** A ratio by the wall clock and by CPU time. */
const ratio = (a: Record<string, number>, b: Record<string, number>, digits = 2) =>
  `${(a.rate! / b.rate!).toFixed(digits)}x wall, ${(a.cpuRate! / b.cpuRate!).toFixed(digits)}x CPU`;

async function parent(total: number, rss10m: boolean, propertiesOnly: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'viommu-checked-bench-'));
  try {
    const kernelFile = join(dir, 'kernel.jsonl');
    const vtdFile = join(dir, 'vtd.jsonl');
    // --properties-only: the property figures alone (they use no log file).
    if (!propertiesOnly) {
      await writeLog(kernelFile, BENCH_HEADER, (n, start) => kernelLog(n, true, start), total);
      await writeLog(vtdFile, VTD_BENCH_HEADER, (n, start) => vtdLog(n, start), total);
      console.log(`${fmt(total)} events per log, best of ${RUNS} runs, each in its own process`);
    } else console.log(`best of ${RUNS} runs, each in its own process`);
    console.log(
      `load average when starting: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')} on ${availableParallelism()} cores\n`,
    );
    const ratios: string[] = [];
    for (const [name, file] of propertiesOnly
      ? []
      : ([
          ['kernel', kernelFile],
          ['VT-d', vtdFile],
        ] as const)) {
      const bare = best('bare', file);
      const replay = best('replay', file);
      const memory = best('memory', name, String(total));
      const old = best('old-memory', name, String(total));
      line(`${name}: bare readFileSync + split + JSON.parse`, both(bare, 'lines'));
      line(`${name}: replay --check from the file, end to end`, both(replay, 'events'));
      // With the parse worker, process CPU counts both threads; the main thread's alone bounds the rate with a free core.
      if (replay.mainCpuRate! > 0)
        line(
          `${name}: replay --check, main thread only (parse worker aside)`,
          `${fmt(replay.mainCpuRate!)} events/s CPU`,
        );
      line(`${name}: checked path in memory, every invariant`, both(memory, 'events'));
      line(`${name}: old path in memory (immer + full invariants)`, both(old, 'events'));
      ratios.push(
        `${name}: replay --check / bare parse = ${ratio(replay, bare)} (target >= 0.5x)` +
          (replay.mainCpuRate! > 0
            ? `; main thread CPU ${(replay.mainCpuRate! / bare.cpuRate!).toFixed(2)}x`
            : ''),
        // How much of the in-memory rate survives reading, parsing and handing over the file.
        `${name}: replay --check / in memory = ${ratio(replay, memory)}` +
          (replay.mainCpuRate! > 0
            ? `; main thread CPU ${(replay.mainCpuRate! / memory.cpuRate!).toFixed(2)}x`
            : ''),
        `${name}: in memory = ${(memory.rate! / 1e6).toFixed(2)}x of 1M/s wall, ` +
          `${(memory.cpuRate! / 1e6).toFixed(2)}x of 1M/s CPU (target >= 1x); ${ratio(memory, old, 1)} the old path`,
      );
    }
    // Properties (bench/properties-child.ts): kernel and VT-d, the runners alone and whole fc.check runs.
    for (const [kind, name] of [
      ['kernel', 'kernel'],
      ['vtd', 'VT-d'],
    ] as const) {
      for (const [shape, what] of [
        ['step', 'logs generated beforehand'],
        ['check', 'fc.check, generation included'],
      ] as const) {
        const props = best(`properties-${kind}-new-${shape}`);
        const propsOld = best(`properties-${kind}-old-${shape}`);
        line(
          `properties, ${name}, ${what}: new path`,
          `${both(props, 'events')}, ${fmt(props.runs!)} runs/s wall, ${fmt(props.cpuRuns!)} CPU`,
        );
        line(
          `properties, ${name}, ${what}: old path`,
          `${both(propsOld, 'events')}, ${fmt(propsOld.runs!)} runs/s wall, ${fmt(propsOld.cpuRuns!)} CPU`,
        );
        // The warm-up's rate: V8 reaches its steady state on the checked path only after a few passes.
        line(
          `properties, ${name}, ${what}: warm-up passes (cold)`,
          `new ${fmt(props.coldCpuRate!)}, old ${fmt(propsOld.coldCpuRate!)} events/s CPU`,
        );
        ratios.push(
          `properties, ${name}, ${what}: new / old = ${ratio(props, propsOld, 1)} (events and runs alike; target >= 10x); ` +
            `cold ${(props.coldCpuRate! / propsOld.coldCpuRate!).toFixed(1)}x CPU`,
        );
      }
    }
    const rss1 = propertiesOnly ? 0 : child('replay', kernelFile).rss!;
    if (!propertiesOnly)
      line(
        'peak RSS, replay --check, kernel log',
        `${(rss1 / 2 ** 20).toFixed(0)} MiB at ${fmt(total)} events`,
      );
    if (rss10m && !propertiesOnly) {
      const bigFile = join(dir, 'kernel-10m.jsonl');
      await writeLog(bigFile, BENCH_HEADER, (n, start) => kernelLog(n, true, start), total * 10);
      const rss10 = child('replay', bigFile).rss!;
      line(
        'peak RSS, replay --check, kernel log',
        `${(rss10 / 2 ** 20).toFixed(0)} MiB at ${fmt(total * 10)} events`,
      );
      ratios.push(
        `peak RSS 10x events / 1x events = ${(rss10 / rss1).toFixed(2)}x (must not grow with the log)`,
      );
    }
    console.log('');
    for (const text of ratios) console.log(text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const { runChild } = await import('./checked-child.ts');
  const result = await runChild(argv[1]!, argv.slice(2));
  console.log(JSON.stringify({ ...result, rss: process.resourceUsage().maxRSS * 1024 }));
} else {
  const total = Number(argv.find((arg) => !arg.startsWith('--')) ?? 1_000_000);
  await parent(total, argv.includes('--rss-10m'), argv.includes('--properties-only'));
}
