import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTraceFile, checkTraceText } from '../../src/trace/check.ts';
import { readTrace } from '../../src/trace/read.ts';
import { SYNTHETIC_LINES, syntheticTrace } from '../../src/trace/synthetic.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'viommu-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeLines(file: string, lines: Iterable<string>, eol = '\n'): Promise<void> {
  const out = createWriteStream(file);
  let batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === 4096) {
      if (!out.write(batch.join(eol) + eol)) await once(out, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) out.write(batch.join(eol) + eol);
  out.end();
  await once(out, 'finish');
}

describe('streaming reader', () => {
  it('checks a generated multi-MB trace from a file with no findings and every line counted', async () => {
    const cycles = 40_000;
    const file = path.join(dir, 'big.log');
    await writeLines(file, syntheticTrace(cycles, 'iso'));
    expect(statSync(file).size).toBeGreaterThan(4 * 1024 * 1024);
    const report = await checkTraceFile(file, { maxPerCode: 10 });
    const lines = SYNTHETIC_LINES.fixed + cycles * SYNTHETIC_LINES.perCycle;
    expect(report.counts).toEqual({
      lines,
      events: lines,
      unknownEvents: 0,
      errorLines: 0,
      other: 0,
      blank: 0,
      misread: 0,
    });
    expect(report.events.iommufd_backend_free_id).toBe(cycles + 2);
    expect(report.findings).toEqual([]);
    expect(report.contexts).toMatchObject([
      { iommufd: 12, complete: true, allocated: cycles + 2, liveAtEnd: 0 },
    ]);
  });

  it('gives the same report from a file (CRLF) as from the same text in memory', async () => {
    const lines = [...syntheticTrace(50, 'pid'), 'qemu-kvm: something', '   wrapped tail', ''];
    const file = path.join(dir, 'crlf.log');
    writeFileSync(file, lines.join('\r\n'));
    const fromFile = await checkTraceFile(file);
    const fromText = checkTraceText(lines.join('\n'));
    expect(fromFile).toEqual(fromText);
    expect(fromFile.findings.map((f) => [f.line, f.code, f.related])).toEqual([[514, 'error-report', [515]]]);
  });

  it('yields items lazily, in line order', async () => {
    const file = path.join(dir, 'order.log');
    await writeLines(file, syntheticTrace(3, 'none'));
    const lines: number[] = [];
    for await (const item of readTrace(file)) lines.push(item.kind === 'event' ? item.record.line : -1);
    expect(lines).toEqual(
      Array.from({ length: SYNTHETIC_LINES.fixed + 3 * SYNTHETIC_LINES.perCycle }, (_, i) => i + 1),
    );
  });
});
