/**
 * Log reading throughput on a generated kernel log written to a temp file (default 1M events;
 * `npx tsx bench/parse.bench.ts 200000` for fewer): a bare readFileSync + split + JSON.parse as
 * the baseline, the old reader (readline + recursive key walk + zod on every line, rebuilt here),
 * readLogFile and readLogFileBatches; then, in memory, JSON.parse alone against parseLine. Each
 * variant runs in its own child process (so one variant's JIT state cannot slow the next), best
 * of 3 runs after a warm-up. Prints lines/s and ratios; it never passes or fails on time.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { parseLine } from '../src/log/parse-line.ts';
import { readLogFile, readLogFileBatches } from '../src/log/read.ts';
import { eventSchemaByType, header } from '../src/log/schema.ts';
import { formatLog } from '../src/log/write.ts';
import { BENCH_HEADER, kernelLog } from './kernel-log.ts';

const RUNS = 3;
const OLD_FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function oldFindForbiddenKey(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (OLD_FORBIDDEN.has(key)) return here;
    const deeper = oldFindForbiddenKey((value as Record<string, unknown>)[key], here);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

const fileLines = (path: string) => readFileSync(path, 'utf8').split('\n');

/** Each variant counts the non-empty lines it read, so the parent can check none was lost. */
const VARIANTS: Record<string, { label: string; prepare?: (path: string) => string[]; run: Run }> = {
  bare: {
    label: 'bare readFileSync + split + JSON.parse',
    run: (path) => {
      let count = 0;
      for (const text of fileLines(path)) if (text !== '' && JSON.parse(text) !== null) count += 1;
      return count;
    },
  },
  old: {
    label: 'old: readline + key walk + zod safeParse',
    run: async (path) => {
      const stream = createReadStream(path, { encoding: 'utf8' });
      let count = 0;
      for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
        const trimmed = text.trim();
        if (trimmed === '' || trimmed.startsWith('#')) continue;
        const record = JSON.parse(trimmed) as Record<string, unknown>;
        if (oldFindForbiddenKey(record, '') !== undefined) throw new Error('forbidden key');
        const isHeader = 'log' in record && !('type' in record);
        const schema: z.ZodType = isHeader ? header : eventSchemaByType.get(record.type as string)!;
        if (!schema.safeParse(record).success) throw new Error('invalid line');
        count += 1;
      }
      return count;
    },
  },
  items: {
    label: 'new: readLogFile (one item per next())',
    run: async (path) => {
      let count = 0;
      for await (const item of readLogFile(path)) if (item.line > 0) count += 1;
      return count;
    },
  },
  batches: {
    label: 'new: readLogFileBatches',
    run: async (path) => {
      let count = 0;
      for await (const batch of readLogFileBatches(path))
        for (const item of batch) if (item.line > 0) count += 1;
      return count;
    },
  },
  memoryJson: {
    label: 'in memory: JSON.parse only',
    prepare: (path) => fileLines(path).filter((text) => text !== ''),
    run: (_, lines) => {
      for (const text of lines) JSON.parse(text);
      return lines.length;
    },
  },
  memoryParseLine: {
    label: 'in memory: parseLine (JSON.parse + all checks)',
    prepare: (path) => fileLines(path).filter((text) => text !== ''),
    run: (_, lines) => {
      for (let i = 0; i < lines.length; i++) parseLine(lines[i]!, i + 1, i > 0);
      return lines.length;
    },
  },
};
type Run = (path: string, lines: string[]) => number | Promise<number>;

/** In a child: best lines/s of RUNS runs after a warm-up, printed as one number. */
async function measureHere(name: string, path: string, expected: number): Promise<void> {
  const variant = VARIANTS[name]!;
  const lines = variant.prepare?.(path) ?? [];
  await variant.run(path, lines);
  let best = 0;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const count = await variant.run(path, lines);
    const ms = performance.now() - start;
    if (count !== expected) throw new Error(`${name}: ${count} lines, expected ${expected}`);
    best = Math.max(best, Math.round((count / ms) * 1000));
  }
  console.log(best);
}

function measureInChild(name: string, path: string, expected: number): number {
  const self = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, self, '--measure', name, path, String(expected)];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${name} failed:\n${child.stderr}`);
  const rate = Number(child.stdout.trim());
  console.log(`${VARIANTS[name]!.label.padEnd(46)} ${String(rate).padStart(10)} lines/s`);
  return rate;
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'viommu-parse-bench-'));
  const path = join(dir, 'kernel.jsonl');
  try {
    const text = formatLog(BENCH_HEADER, kernelLog(total));
    writeFileSync(path, text);
    const expected = text.split('\n').filter((line) => line !== '').length;
    console.log(
      `${expected} lines, ${(text.length / 2 ** 20).toFixed(1)} MiB, best of ${RUNS} runs per variant`,
    );
    const rate = Object.fromEntries(
      Object.keys(VARIANTS).map((name) => [name, measureInChild(name, path, expected)]),
    );
    const ratio = (of: number, to: number) => (of / to).toFixed(2);
    console.log(`old / bare                 ${ratio(rate.old!, rate.bare!)}`);
    console.log(`readLogFile / bare         ${ratio(rate.items!, rate.bare!)}`);
    console.log(`readLogFileBatches / bare  ${ratio(rate.batches!, rate.bare!)}`);
    console.log(`readLogFile / old          ${ratio(rate.items!, rate.old!)}`);
    console.log(`parseLine / JSON.parse     ${ratio(rate.memoryParseLine!, rate.memoryJson!)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') {
  await measureHere(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
} else {
  await main();
}
