/**
 * Peak memory (maxRSS) of `replay --check --quiet` and `trace check` on generated inputs of
 * 100 MB and 1 GB (or the sizes given, in MB), each command in its own process, against the same
 * command on a one-line input measured in the same run (the process's fixed cost). Inputs are
 * written to a temp dir and deleted afterwards. Numbers only, never pass/fail.
 *   npx tsx bench/rss.bench.ts            # 100 and 1024 MB
 *   npx tsx bench/rss.bench.ts 100 500    # other sizes
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticTrace } from '../src/trace/synthetic.ts';
import { BENCH_HEADER, kernelLog } from './kernel-log.ts';

const sizes = process.argv.slice(2).map(Number);
const sizesMb = sizes.length === 0 ? [100, 1024] : sizes;
if (sizesMb.some((size) => !(size > 0))) {
  console.error('usage: npx tsx bench/rss.bench.ts [SIZE_MB]...');
  process.exit(2);
}

const CHILD = fileURLToPath(new URL('./rss-child.ts', import.meta.url));
const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
const TSX = path.join(tsxPackage, '..', 'dist/cli.mjs');
const MiB = 1024 * 1024;

/** Writes lines from `next` until the file holds `bytes`. */
async function writeUntil(
  file: string,
  bytes: number,
  lines: (start: number) => Iterable<string>,
): Promise<void> {
  const out = createWriteStream(file);
  let written = 0;
  for (let start = 0; written < bytes; start += 8192) {
    const chunk = `${[...lines(start)].join('\n')}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function measure(argv: string[]): { exit: number; lines: number; maxRssKiB: number; seconds: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [TSX, CHILD, ...argv], {
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !last.startsWith('{'))
    throw new Error(`${argv.join(' ')} failed: ${result.stderr}`);
  return { ...JSON.parse(last), seconds: (performance.now() - started) / 1000 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'viommu-rss-bench-'));
try {
  const logHead = JSON.stringify(BENCH_HEADER);
  const tinyLog = path.join(dir, 'tiny.jsonl');
  writeFileSync(tinyLog, `${logHead}\n{"type":"iommufd.ioas_alloc","expect":"ok"}\n`);
  const tinyTrace = path.join(dir, 'tiny.log');
  writeFileSync(tinyTrace, [...syntheticTrace(1)].join('\n'));
  const rows: [string, string, ReturnType<typeof measure>][] = [];
  const base = {
    log: measure(['replay', tinyLog, '--check', '--quiet']),
    trace: measure(['trace', 'check', tinyTrace]),
  };
  rows.push(['replay --check', 'one event', base.log], ['trace check', 'one cycle', base.trace]);
  for (const mb of sizesMb) {
    const log = path.join(dir, `log-${mb}.jsonl`);
    // The kernel cycle frees everything it makes, so any multiple of it replays clean with --check.
    await writeUntil(log, mb * MiB, (start) => {
      const events = kernelLog(8192, true, start).map((event) => JSON.stringify(event));
      return start === 0 ? [logHead, ...events] : events;
    });
    rows.push([
      'replay --check',
      `${(statSync(log).size / MiB).toFixed(0)} MB`,
      measure(['replay', log, '--check', '--quiet']),
    ]);
    rmSync(log);
    const trace = path.join(dir, `trace-${mb}.log`);
    // syntheticTrace(n) is a whole run (connect ... disconnect); 8192-cycle runs back to back.
    await writeUntil(trace, mb * MiB, () => syntheticTrace(8192));
    rows.push([
      'trace check',
      `${(statSync(trace).size / MiB).toFixed(0)} MB`,
      measure(['trace', 'check', trace]),
    ]);
    rmSync(trace);
  }
  console.log('command          input       exit  seconds  maxRSS   over the one-line input');
  for (const [command, input, m] of rows) {
    const baseline = command === 'trace check' ? base.trace : base.log;
    const over = ((m.maxRssKiB - baseline.maxRssKiB) / 1024).toFixed(0);
    console.log(
      `${command.padEnd(16)} ${input.padEnd(10)} ${String(m.exit).padStart(5)} ${m.seconds.toFixed(1).padStart(8)}  ${(m.maxRssKiB / 1024).toFixed(0).padStart(4)} MiB  +${over} MiB`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
