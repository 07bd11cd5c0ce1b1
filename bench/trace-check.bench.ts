/**
 * Benchmark of `trace check` streaming: writes a synthetic QEMU trace of SIZE MB (argv[2],
 * default 200) into the OS temp dir, checks it with the streaming reader, prints lines/s, MB/s
 * and peak RSS, and deletes the file. Numbers only, never pass/fail.
 *   npx tsx bench/trace-check.bench.ts         # 200 MB
 *   npx tsx bench/trace-check.bench.ts 1024    # 1 GB
 *   npx tsx bench/trace-check.bench.ts 200 iso # prefix era: none (default), pid or iso
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkTraceFile } from '../src/trace/check.ts';
import { type PrefixEra, SYNTHETIC_LINES, syntheticTrace } from '../src/trace/synthetic.ts';

const sizeMb = Number(process.argv[2] ?? 200);
const era = (process.argv[3] ?? 'none') as PrefixEra;
if (!(sizeMb > 0) || !['none', 'pid', 'iso'].includes(era)) {
  console.error('usage: npx tsx bench/trace-check.bench.ts [SIZE_MB] [none|pid|iso]');
  process.exit(2);
}

function bytesPerCycle(): number {
  const small = [...syntheticTrace(1000, era)].join('\n').length;
  const none = [...syntheticTrace(0, era)].join('\n').length;
  return (small - none) / 1000;
}

async function writeTrace(file: string, cycles: number): Promise<void> {
  const out = createWriteStream(file);
  let batch: string[] = [];
  for (const line of syntheticTrace(cycles, era)) {
    batch.push(line);
    if (batch.length === 8192) {
      if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
      batch = [];
    }
  }
  out.end(batch.length > 0 ? `${batch.join('\n')}\n` : '');
  await once(out, 'finish');
}

const dir = mkdtempSync(path.join(tmpdir(), 'viommu-trace-bench-'));
const file = path.join(dir, 'trace.log');
try {
  const cycles = Math.ceil((sizeMb * 1024 * 1024) / bytesPerCycle());
  let started = performance.now();
  await writeTrace(file, cycles);
  const bytes = statSync(file).size;
  const mb = bytes / (1024 * 1024);
  console.log(
    `generated ${mb.toFixed(1)} MB (${era} prefix) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  started = performance.now();
  const report = await checkTraceFile(file);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const lines = report.counts.lines;
  const expected = SYNTHETIC_LINES.fixed + cycles * SYNTHETIC_LINES.perCycle;
  console.log(
    `checked ${lines.toLocaleString('en')} lines (expected ${expected.toLocaleString('en')}) in ${seconds.toFixed(2)} s`,
  );
  console.log(
    `  ${Math.round(lines / seconds).toLocaleString('en')} lines/s, ${(mb / seconds).toFixed(1)} MB/s`,
  );
  console.log(`  findings: ${JSON.stringify(report.findingCounts)}`);
  console.log(`  peak RSS (sampled every 50 ms): ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(`  maxRSS (process.resourceUsage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
