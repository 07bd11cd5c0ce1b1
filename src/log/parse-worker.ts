/**
 * The parse worker: reads, parses and validates a log file with the same reader as the main thread
 * (readLogFileBatches, so every line rule and error is the same) and posts each batch, at most
 * BATCHES_AHEAD ahead of the main thread, which then only steps. Started by worker-batches.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  BATCHES_AHEAD,
  encodeBatch,
  type MainMessage,
  mayHoldNegativeZero,
  transferOf,
  type WorkerMessage,
} from './batch-wire.ts';
import { LogInputError } from './errors.ts';
import { readLogFileBatches } from './read.ts';

const port = parentPort!;
const { path, chunkBytes } = workerData as { readonly path: string; readonly chunkBytes: number };
let credits = BATCHES_AHEAD;
let wake: (() => void) | undefined;

port.on('message', (message: MainMessage) => {
  if (message.kind !== 'ack') return;
  credits += 1;
  wake?.();
});

const post = (message: WorkerMessage) => port.postMessage(message, transferOf(message));

async function run(): Promise<void> {
  try {
    // Whether the lines of the batch about to be yielded may hold a -0 (the tail's default header cannot).
    let negativeZero = false;
    const seeLines = (lines: readonly string[]) => {
      negativeZero = false;
      for (let i = 0; i < lines.length && !negativeZero; i++) negativeZero = mayHoldNegativeZero(lines[i]!);
    };
    for await (const batch of readLogFileBatches(path, chunkBytes, seeLines)) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      credits -= 1;
      post(encodeBatch(batch, negativeZero));
    }
    post({ kind: 'done' });
  } catch (error) {
    if (error instanceof LogInputError) {
      const { line, field, problem } = error;
      post({ kind: 'input-error', line, ...(field === undefined ? {} : { field }), problem });
    } else {
      const { message, stack } = error as Error;
      post({ kind: 'crash', message: String(message), ...(stack === undefined ? {} : { stack }) });
    }
  }
  port.close();
}

await run();
