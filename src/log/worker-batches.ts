/**
 * A file's log items in batches, parsed on a worker thread so the main thread only steps: the same
 * items, batches and errors as readLogFileBatches (the worker runs it), in the same order; a bad
 * line still ends the stream with its LogInputError after the batch of the items before it.
 * While the worker starts, the calling thread reads the first batches itself (the lead), and
 * takes the worker's batches from where it is once the worker has started.
 * Small files, stdin and FIFOs are read on the calling thread (a worker costs a start-up).
 */
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.ts';
import {
  decodeBatch,
  type ItemsBatch,
  type JsonBatch,
  type MainMessage,
  type WorkerMessage,
} from './batch-wire.ts';
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

export interface WorkerReadOptions {
  /**
   * Read and parse on this thread too until the worker has started (default true): the worker's
   * start-up is no longer idle time here. Both run readLogFileBatches on the same file in the
   * same chunks; the worker is told how many chunks this thread has parsed and only counts their
   * lines, and this thread takes the worker's batches from the first chunk it has not read. A
   * worker batch of a chunk already read is dropped; one whose chunk does not start at the line
   * this thread is at (a file that changed while read) ends the worker, and this thread reads on.
   */
  readonly lead?: boolean;
  /** At most this many batches read on this thread before it waits for the worker (tests; default no limit). */
  readonly leadBatches?: number;
  /** Told the index of the first chunk taken from the worker (tests). */
  readonly onHandover?: (chunk: number) => void;
}

const isBatch = (message: WorkerMessage | undefined): message is JsonBatch | ItemsBatch =>
  message?.kind === 'json' || message?.kind === 'items';

export async function* readLogFileBatchesInWorker(
  path: string,
  chunkBytes = CHUNK_BYTES,
  options: WorkerReadOptions = {},
): AsyncGenerator<LogItem[]> {
  const worker = startWorker(path, chunkBytes);
  const inbox = new WorkerInbox(worker);
  const ack: MainMessage = { kind: 'ack' };
  // The lead: this thread's own reader, and how many chunks and lines it has read.
  let chunks = 0;
  let lines = 0;
  const countLines = (chunk: readonly string[]): boolean => {
    chunks += 1;
    lines += chunk.length;
    return false;
  };
  let own: AsyncGenerator<LogItem[]> | undefined =
    options.lead === false ? undefined : readLogFileBatches(path, chunkBytes, countLines);
  const leadBatches = options.leadBatches ?? Number.POSITIVE_INFINITY;
  let ownBatches = 0;
  try {
    while (own !== undefined) {
      const wait = ownBatches >= leadBatches;
      let message = wait ? await inbox.peekWaiting() : inbox.peek();
      // Drop the worker's batches of chunks this thread has already read.
      while (isBatch(message) && message.chunk < chunks) {
        inbox.drop();
        worker.postMessage(ack);
        message = wait ? await inbox.peekWaiting() : inbox.peek();
      }
      if (isBatch(message)) {
        if (message.chunk === chunks && message.linesBefore === lines) {
          options.onHandover?.(chunks);
          await own.return(undefined);
          own = undefined;
          break;
        }
        // Not where this thread is (the file changed under the readers): this thread reads the rest.
        await worker.terminate();
        for (;;) {
          const next = await own.next();
          if (next.done === true) return;
          yield next.value;
        }
      }
      // The worker's end or error is also this thread's: its own reader meets it in turn.
      const next = await own.next();
      if (next.done === true) return;
      ownBatches += 1;
      worker.postMessage({ kind: 'lead', chunks } satisfies MainMessage);
      yield next.value;
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
