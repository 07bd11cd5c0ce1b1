/**
 * The fast checked path against its targets (issue: one core, one fast checked path). Each
 * measurement runs in its own child process, best of RUNS after a warm-up, and prints events/s and
 * the ratios measured in this same run; it never passes or fails on time.
 *   npx tsx bench/checked.bench.ts [EVENTS=1000000] [--rss-10m]
 * - replay --check from a file, end to end (read, parse, validate, step, every invariant, every
 *   `expect`), on a self-checking kernel log and a VT-d guest log, against bare readFileSync +
 *   split + JSON.parse of the same file (target: at least 0.5x);
 * - the same events in memory through the checked path with every invariant (target: 1M events/s),
 *   and through the old path (immer reduce + every invariant over the whole World after every event);
 * - properties: generated kernel logs checked per second, new path against the old (target: 10x);
 * - peak RSS of `replay --check` at 1M events (and 10M with --rss-10m): it must not grow with the log.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

function best(mode: string, ...args: string[]): Record<string, number> {
  const runs = Array.from({ length: RUNS }, () => child(mode, ...args));
  return runs.reduce((a, b) => ((b.rate ?? 0) > (a.rate ?? 0) ? b : a));
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

async function parent(total: number, rss10m: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'viommu-checked-bench-'));
  try {
    const kernelFile = join(dir, 'kernel.jsonl');
    const vtdFile = join(dir, 'vtd.jsonl');
    await writeLog(kernelFile, BENCH_HEADER, (n, start) => kernelLog(n, true, start), total);
    await writeLog(vtdFile, VTD_BENCH_HEADER, (n, start) => vtdLog(n, start), total);
    console.log(`${fmt(total)} events per log, best of ${RUNS} runs, each in its own process\n`);
    const ratios: string[] = [];
    for (const [name, file] of [
      ['kernel', kernelFile],
      ['VT-d', vtdFile],
    ] as const) {
      const bare = best('bare', file);
      const replay = best('replay', file);
      const memory = best('memory', name, String(total));
      const old = best('old-memory', name, String(total));
      line(`${name}: bare readFileSync + split + JSON.parse`, `${fmt(bare.rate!)} lines/s`);
      line(`${name}: replay --check from the file, end to end`, `${fmt(replay.rate!)} events/s`);
      line(`${name}: checked path in memory, every invariant`, `${fmt(memory.rate!)} events/s`);
      line(`${name}: old path in memory (immer + full invariants)`, `${fmt(old.rate!)} events/s`);
      ratios.push(
        `${name}: replay --check / bare parse = ${(replay.rate! / bare.rate!).toFixed(2)}x (target >= 0.5x)`,
        `${name}: in memory ${fmt(memory.rate!)} events/s = ${(memory.rate! / 1e6).toFixed(2)}x of 1M/s (target >= 1x); ` +
          `${(memory.rate! / old.rate!).toFixed(1)}x the old path`,
      );
    }
    const props = best('properties-new');
    const propsOld = best('properties-old');
    line(
      'properties: new path (checked, incremental)',
      `${fmt(props.rate!)} events/s, ${fmt(props.runs!)} runs/s`,
    );
    line(
      'properties: old path (immer + full invariants)',
      `${fmt(propsOld.rate!)} events/s, ${fmt(propsOld.runs!)} runs/s`,
    );
    ratios.push(
      `properties: new / old = ${(props.rate! / propsOld.rate!).toFixed(1)}x events/s (target >= 10x)`,
    );
    const rss1 = child('replay', kernelFile).rss!;
    line(
      'peak RSS, replay --check, kernel log',
      `${(rss1 / 2 ** 20).toFixed(0)} MiB at ${fmt(total)} events`,
    );
    if (rss10m) {
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
  await parent(total, argv.includes('--rss-10m'));
}
