/**
 * A file's log items in batches, parsed on a worker thread so the main thread only steps: the same
 * items, batches and errors as readLogFileBatches (the worker runs it), in the same order; a bad
 * line still ends the stream with its LogInputError after the batch of the items before it.
 * While the worker starts, the calling thread reads the first batches itself (the lead), and
 * takes the worker's batches once the worker has caught up with it.
 * Small files, stdin and FIFOs are read on the calling thread (a worker costs a start-up).
 */
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.ts';
import { decodeBatch, type JsonBatch, type MainMessage } from './batch-wire.ts';
import { LogInputError } from './errors.ts';
import { STDIN } from './input.ts';
import { CHUNK_BYTES } from './lines.ts';
import { type LogItem, readLogFileBatches } from './read.ts';
import { WorkerInbox } from './worker-inbox.ts';

/**
 * 16 MiB (about 200k events): the worker's start-up (about 0.1 s of CPU from dist/, more through
 * tsx) must be smaller than the parsing it takes off the main thread (about 1 µs an event).
 */
export const WORKER_MIN_BYTES = 16 << 20;

function startWorker(path: string, chunkBytes: number): Worker {
  return startModuleWorker(import.meta.url, 'parse-worker', { workerData: { path, chunkBytes } });
}

/** A batch's line numbers without decoding it: its first and last item's. */
function lineSpan(
  message: JsonBatch | { readonly kind: 'items'; readonly items: LogItem[] },
): [number, number] {
  if (message.kind === 'items') return [message.items[0]?.line ?? -1, message.items.at(-1)?.line ?? -1];
  return [message.lines[0] ?? -1, message.lines.at(-1) ?? -1];
}

export interface WorkerReadOptions {
  /**
   * Read and parse on this thread too until the worker has caught up (default true): the
   * worker's start-up is no longer idle time here. Both run readLogFileBatches on the same file,
   * so their batches are the same; a worker batch this thread already read is dropped, and one
   * whose lines differ from this thread's (a file that changed while read) ends the worker.
   */
  readonly lead?: boolean;
  /** At most this many batches read on this thread before it waits for the worker (tests; default no limit). */
  readonly leadBatches?: number;
  /** Told the index of the first batch taken from the worker (tests). */
  readonly onHandover?: (batch: number) => void;
}

export async function* readLogFileBatchesInWorker(
  path: string,
  chunkBytes = CHUNK_BYTES,
  options: WorkerReadOptions = {},
): AsyncGenerator<LogItem[]> {
  const worker = startWorker(path, chunkBytes);
  const inbox = new WorkerInbox(worker);
  const ack: MainMessage = { kind: 'ack' };
  // The lead: this thread's own reader, and the line span of each batch it gave (to match the worker's).
  let own: AsyncGenerator<LogItem[]> | undefined =
    options.lead === false ? undefined : readLogFileBatches(path, chunkBytes);
  const ownSpans: [number, number][] = [];
  let received = 0;
  try {
    const leadBatches = options.leadBatches ?? Number.POSITIVE_INFINITY;
    while (own !== undefined) {
      // Drop the worker's batches this thread has already given; take over when its next one is there.
      let message = ownSpans.length >= leadBatches ? await inbox.peekWaiting() : inbox.peek();
      while (message !== undefined && (message.kind === 'json' || message.kind === 'items')) {
        if (received >= ownSpans.length) break;
        const [first, last] = lineSpan(message);
        const [ownFirst, ownLast] = ownSpans[received]!;
        inbox.drop();
        worker.postMessage(ack);
        received += 1;
        if (first !== ownFirst || last !== ownLast) {
          // Not the same batches (the file changed under the readers): this thread reads the rest.
          await worker.terminate();
          message = undefined;
          for (;;) {
            const next = await own.next();
            if (next.done === true) return;
            yield next.value;
          }
        }
        message = ownSpans.length >= leadBatches ? await inbox.peekWaiting() : inbox.peek();
      }
      if (message !== undefined && (message.kind === 'json' || message.kind === 'items')) {
        options.onHandover?.(received);
        await own.return(undefined);
        own = undefined;
        break;
      }
      // The worker's end or error is also this thread's: its own reader meets it in turn.
      const next = await own.next();
      if (next.done === true) return;
      const batch = next.value;
      ownSpans.push([batch[0]?.line ?? -1, batch.at(-1)?.line ?? -1]);
      yield batch;
    }
    for (;;) {
      const message = await inbox.next();
      switch (message.kind) {
        case 'json':
        case 'items':
          worker.postMessage(ack);
          yield decodeBatch(message);
          break;
        case 'input-error':
          throw new LogInputError(message.line, message.field, message.problem);
        case 'crash':
          throw Object.assign(
            new Error(message.message),
            message.stack === undefined ? {} : { stack: message.stack },
          );
        case 'done':
          return;
      }
    }
  } finally {
    // Also when the consumer stopped early (the first failure under --check): nothing is left running.
    await own?.return(undefined);
    await worker.terminate();
  }
}

/** The reader for `path`: on a worker for a regular file of at least `minBytes`, else on this thread. */
export function readLogBatches(path: string, minBytes = WORKER_MIN_BYTES): AsyncGenerator<LogItem[]> {
  if (path !== STDIN) {
    let size = -1;
    try {
      const info = statSync(path);
      if (info.isFile()) size = info.size;
    } catch {
      // The calling thread's reader reports a file that cannot be read, with its usual message.
    }
    if (size >= minBytes) return readLogFileBatchesInWorker(path);
  }
  return readLogFileBatches(path);
}
