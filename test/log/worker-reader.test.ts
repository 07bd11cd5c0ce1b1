/**
 * The worker reader (src/log/worker-batches.ts) against the calling thread's readLogFileBatches on
 * the same files: the same items (values, key order, -0 kept), the same batches, the same
 * LogInputError after the batch of the items before a bad line, and a consumer that stops early
 * leaves no worker running. Small chunks make many batches, so the worker's flow control is used.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCH_HEADER, kernelLog } from '../../bench/kernel-log.ts';
import { VTD_BENCH_HEADER, vtdLog } from '../../bench/vtd-log.ts';
import { encodeBatch, mayHoldNegativeZero } from '../../src/log/batch-wire.ts';
import { LogInputError } from '../../src/log/errors.ts';
import { type LogItem, readLogFileBatches } from '../../src/log/read.ts';
import { readLogBatches, readLogFileBatchesInWorker } from '../../src/log/worker-batches.ts';

const dir = mkdtempSync(join(tmpdir(), 'viommu-worker-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(lines: readonly string[]): string {
  files += 1;
  const path = join(dir, `log-${files}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const CHUNK = 4096;

/** Every batch as it arrived, and the error that ended the stream (its message and fields). */
async function collect(batches: AsyncGenerator<LogItem[]>) {
  const got: LogItem[][] = [];
  try {
    for await (const batch of batches) got.push(batch);
  } catch (error) {
    if (!(error instanceof LogInputError)) throw error;
    return { got, error: { message: error.message, line: error.line, field: error.field } };
  }
  return { got, error: undefined };
}

/** Items with their key order made visible: toEqual alone does not compare the order of keys. */
const ordered = (batches: LogItem[][]) => batches.map((batch) => JSON.stringify(batch));

/**
 * The worker alone, the worker after a lead of two batches read here (a handover at batch 2 when
 * the file has more), and the default (however far the lead gets) all give the thread's batches.
 */
async function sameAsThread(path: string) {
  const thread = await collect(readLogFileBatches(path, CHUNK));
  const worker = await collect(readLogFileBatchesInWorker(path, CHUNK, { lead: false }));
  const handovers: number[] = [];
  const onHandover = (batch: number) => handovers.push(batch);
  const led = await collect(readLogFileBatchesInWorker(path, CHUNK, { leadBatches: 2, onHandover }));
  const free = await collect(readLogFileBatchesInWorker(path, CHUNK));
  for (const other of [worker, led, free]) {
    expect(other.error).toEqual(thread.error);
    expect(other.got).toEqual(thread.got);
    expect(ordered(other.got)).toEqual(ordered(thread.got));
  }
  // Past two batches the worker takes over at the third.
  if (thread.got.length > 2) expect(handovers).toEqual([2]);
  return worker;
}

describe('the worker reader', () => {
  it('gives the kernel and VT-d bench logs exactly as the thread reader does, in many batches', async () => {
    const kernel = [JSON.stringify(BENCH_HEADER), ...kernelLog(3000, true).map((e) => JSON.stringify(e))];
    const vtd = [JSON.stringify(VTD_BENCH_HEADER), ...vtdLog(3000).map((e) => JSON.stringify(e))];
    for (const lines of [kernel, vtd]) {
      const { got, error } = await sameAsThread(file(lines));
      expect(error).toBeUndefined();
      expect(got.length).toBeGreaterThan(20);
      expect(got.flat().length).toBe(lines.length);
    }
  });

  it('keeps -0 (which JSON would print as 0) and comments, blank lines and the default header', async () => {
    const path = file([
      '# a comment',
      '',
      '{"type":"vtd.root_table","scalable":true}',
      '{"type":"vtd.inv.pasid_cache","granularity":"pasid","did":1,"pasid":-0}',
      '{"type":"vtd.inv.pasid_cache","granularity":"pasid","did":1,"pasid":-1e-400}',
    ]);
    const worker = await sameAsThread(path);
    expect(worker.error).toBeUndefined();
    // Both spellings (-0, and a negative number that underflows to -0) arrive as -0.
    const flushes = worker.got
      .flat()
      .filter((item) => item.kind === 'event' && item.event.type === 'vtd.inv.pasid_cache');
    expect(flushes).toHaveLength(2);
    for (const item of flushes)
      expect(item.kind === 'event' && Object.is((item.event as { pasid?: number }).pasid, -0)).toBe(true);
    expect(
      encodeBatch(
        [{ kind: 'event', line: 1, event: { type: 'iommufd.ioas_alloc', id: -0 } as never }],
        true,
        {
          chunk: 0,
          linesBefore: 0,
        },
      ).kind,
    ).toBe('items');
    // Every spelling of a JSON -0 is found in the line's text; a plain 0 is not taken for one.
    for (const text of [
      '{"pasid":-0}',
      '{"pasid":-0.0}',
      '{"pasid":-0e3}',
      '{"a":[1,-0]}',
      '{"pasid":-1e-400}',
      '{"pasid":-5E-330}',
    ])
      expect(mayHoldNegativeZero(text) && Object.is(Object.values(JSON.parse(text)).flat().at(-1), -0)).toBe(
        true,
      );
    expect(mayHoldNegativeZero('{"pasid":0,"iova":10}')).toBe(false);
    expect(worker.got.flat()[0]).toMatchObject({ kind: 'header', line: 0 });
    // The default header also travels in a JSON batch (no -0 in its lines).
    const plain = await sameAsThread(file(['# no header', '{"type":"vtd.root_table","scalable":true}']));
    expect(plain.got.flat()).toMatchObject([
      { kind: 'header', line: 0 },
      { kind: 'event', line: 2 },
    ]);
  });

  it('ends with the same LogInputError after the batches of the lines before a bad line', async () => {
    const good = kernelLog(2000, true).map((e) => JSON.stringify(e));
    const bad = [
      [...good.slice(0, 1500), '{"type":"iommufd.ioas_alloc","bogus":1}', ...good.slice(1500)],
      [...good.slice(0, 700), '{"type":"iommufd.ioas_alloc"', ...good.slice(700)],
      [...good.slice(0, 900), '{"type":"iommufd.ioas_alloc","type":"iommufd.close"}'],
      [...good, JSON.stringify(BENCH_HEADER)],
    ];
    for (const lines of bad) {
      const { got, error } = await sameAsThread(file(lines));
      expect(error).toBeDefined();
      expect(
        got
          .flat()
          .filter((item) => item.kind === 'event')
          .every((item) => item.line < error!.line),
      ).toBe(true);
    }
  });

  it('does not take the batches of the worker when they are not the ones this thread read (a changed file)', async () => {
    const lines = kernelLog(3000, true).map((e) => JSON.stringify(e));
    const path = file(lines);
    const before = await collect(readLogFileBatches(path, CHUNK));
    const handovers: number[] = [];
    const batches = readLogFileBatchesInWorker(path, CHUNK, {
      leadBatches: 2,
      onHandover: (batch) => handovers.push(batch),
    });
    const got: LogItem[][] = [];
    for (let i = 0; i < 2; i++) got.push((await batches.next()).value as LogItem[]);
    // Before the worker has started (its start-up takes far longer): a hundred short lines come
    // first, so the worker's chunk 2 starts at another line than this thread's.
    writeFileSync(path, `${'#\n'.repeat(100)}${lines.join('\n')}\n`);
    // This thread reads on in the changed file from where it was (as the thread reader would).
    const rest = await collect(batches);
    got.push(...rest.got);
    expect(got.slice(0, 2)).toEqual(before.got.slice(0, 2));
    expect(handovers).toEqual([]);
    expect(got.length + (rest.error === undefined ? 0 : 1)).toBeGreaterThan(2);
  });

  it('reports an unreadable file as the thread reader does', async () => {
    const missing = join(dir, 'no-such-file.jsonl');
    const thread = await collect(readLogFileBatches(missing, CHUNK));
    const worker = await collect(readLogFileBatchesInWorker(missing, CHUNK, { lead: false }));
    expect(await collect(readLogFileBatchesInWorker(missing, CHUNK))).toEqual(thread);
    expect(thread.error?.message).toMatch(/cannot read/);
    expect(worker).toEqual(thread);
  });

  it('stops its worker when the consumer stops early', async () => {
    const path = file(kernelLog(5000, true).map((e) => JSON.stringify(e)));
    for (const options of [{ lead: false }, { leadBatches: 1 }, {}]) {
      const batches = readLogFileBatchesInWorker(path, CHUNK, options);
      expect((await batches.next()).done).toBe(false);
      expect((await batches.next()).done).toBe(false);
      await batches.return(undefined);
      expect(await batches.next()).toEqual({ value: undefined, done: true });
    }
  });

  it('uses a worker only for a regular file of at least the threshold', async () => {
    const path = file(kernelLog(50, true).map((e) => JSON.stringify(e)));
    const viaWorker = await collect(readLogBatches(path, 0));
    const onThread = await collect(readLogBatches(path, Number.POSITIVE_INFINITY));
    expect(viaWorker).toEqual(onThread);
  });
});
