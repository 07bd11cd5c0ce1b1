/**
 * Time and peak memory (maxRSS) of a failing `replay --check` (which renders the counterexample:
 * HTML viewer + Mermaid) and of `viz replay --format html` on generated kernel-level logs of
 * 100k, 300k and 1M events (or the sizes given, in thousands of events), against the passing
 * `replay --check` of the same log measured in the same run. The failing log is the passing one
 * with one `expect` made wrong half-way, so the check stops there and the renderers replay the
 * whole log past it. Each command runs in its own process. Numbers only, never pass/fail.
 *   npx tsx bench/failing-check.bench.ts            # 100, 300 and 1000 thousand events
 *   npx tsx bench/failing-check.bench.ts 100 300    # other sizes
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_HEADER, kernelLog } from './kernel-log.ts';

const sizes = process.argv.slice(2).map(Number);
const thousands = sizes.length === 0 ? [100, 300, 1000] : sizes;
if (thousands.some((size) => !(size > 0))) {
  console.error('usage: npx tsx bench/failing-check.bench.ts [THOUSANDS_OF_EVENTS]...');
  process.exit(2);
}

const CHILD = fileURLToPath(new URL('./rss-child.ts', import.meta.url));
const TSX = path.join(createRequire(import.meta.url).resolve('tsx/package.json'), '..', 'dist/cli.mjs');
const BATCH = 8192;

/** Writes the header and `events` self-checking events; the event at `wrongAt` expects EPERM instead. */
async function writeLog(file: string, events: number, wrongAt: number | undefined): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${JSON.stringify(BENCH_HEADER)}\n`);
  for (let start = 0; start < events; start += BATCH) {
    const batch = kernelLog(Math.min(BATCH, events - start), true, start).map((event, k) =>
      JSON.stringify(start + k === wrongAt ? { ...event, expect: 'EPERM' } : event),
    );
    if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Measured {
  readonly exit: number;
  readonly maxRssKiB: number;
  readonly seconds: number;
}

function measure(argv: string[]): Measured {
  const started = performance.now();
  const result = spawnSync(process.execPath, [TSX, CHILD, ...argv], { encoding: 'utf8' });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('{')) throw new Error(`${argv.join(' ')} failed: ${result.stderr}`);
  return { ...JSON.parse(last), seconds: (performance.now() - started) / 1000 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'viommu-failing-check-bench-'));
try {
  const rows: string[] = [];
  for (const k of thousands) {
    const events = k * 1000;
    const passing = path.join(dir, `pass-${k}k.jsonl`);
    const failing = path.join(dir, `fail-${k}k.jsonl`);
    await writeLog(passing, events, undefined);
    await writeLog(failing, events, Math.floor(events / 2));
    const renders = path.join(dir, `render-${k}k`);
    const base = measure(['replay', passing, '--check', '--quiet']);
    const runs: [string, Measured][] = [
      ['replay --check (passing)', base],
      [
        'replay --check (failing)',
        measure(['replay', failing, '--check', '--quiet', '--render-dir', renders]),
      ],
      [
        'viz replay --format html',
        measure(['viz', 'replay', failing, '--format', 'html', '--out', path.join(dir, 'view.html')]),
      ],
    ];
    for (const [name, m] of runs)
      rows.push(
        `${`${k}k`.padStart(6)}  ${name.padEnd(26)} ${String(m.exit).padStart(4)} ${m.seconds.toFixed(1).padStart(8)} ${(m.maxRssKiB / 1024).toFixed(0).padStart(7)} MiB  x${(m.seconds / base.seconds).toFixed(2)} time  x${(m.maxRssKiB / base.maxRssKiB).toFixed(2)} RSS`,
      );
    for (const file of [passing, failing, renders, path.join(dir, 'view.html')])
      rmSync(file, { recursive: true, force: true });
  }
  console.log(' events  command                    exit  seconds  maxRSS      against the passing replay');
  for (const row of rows) console.log(row);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
