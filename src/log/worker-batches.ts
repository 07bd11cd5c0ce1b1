/**
 * A file's log items in batches, parsed on a worker thread so the main thread only steps: the same
 * items, batches and errors as readLogFileBatches (the worker runs it), in the same order; a bad
 * line still ends the stream with its LogInputError after the batch of the items before it.
 * Small files, stdin and FIFOs are read on the calling thread (a worker costs a start-up).
 */
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.ts';
import { decodeBatch, type MainMessage, type WorkerMessage } from './batch-wire.ts';
import { LogInputError } from './errors.ts';
import { STDIN } from './input.ts';
import { CHUNK_BYTES } from './lines.ts';
import { type LogItem, readLogFileBatches } from './read.ts';

/**
 * 16 MiB (about 200k events): the worker's start-up (about 0.1 s of CPU from dist/, more through
 * tsx) must be smaller than the parsing it takes off the main thread (about 1 µs an event).
 */
export const WORKER_MIN_BYTES = 16 << 20;

function startWorker(path: string, chunkBytes: number): Worker {
  return startModuleWorker(import.meta.url, 'parse-worker', { workerData: { path, chunkBytes } });
}

/** Messages of a worker as an async queue; the worker's own failure (a crash) is an error too. */
async function* workerMessages(worker: Worker): AsyncGenerator<WorkerMessage> {
  const queue: WorkerMessage[] = [];
  let failure: { readonly error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: WorkerMessage) => {
    queue.push(message);
    notify();
  });
  worker.on('error', (error) => {
    failure ??= { error };
    notify();
  });
  worker.on('exit', (code) => {
    failure ??= { error: new Error(`the parse worker exited (code ${code}) before the end of the log`) };
    notify();
  });
  for (;;) {
    const next = queue.shift();
    if (next !== undefined) {
      yield next;
      continue;
    }
    if (failure !== undefined) throw failure.error;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

export async function* readLogFileBatchesInWorker(
  path: string,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<LogItem[]> {
  const worker = startWorker(path, chunkBytes);
  const ack: MainMessage = { kind: 'ack' };
  try {
    for await (const message of workerMessages(worker)) {
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
