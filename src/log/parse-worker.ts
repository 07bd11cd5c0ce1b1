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
  type WorkerMessage,
} from './batch-wire.ts';
import { LogInputError } from './errors.ts';
import { readLogFileBatches } from './read.ts';

const port = parentPort!;
const { path, chunkBytes } = workerData as { readonly path: string; readonly chunkBytes: number };
let credits = BATCHES_AHEAD;
let wake: (() => void) | undefined;
// The chunks the main thread's lead has parsed: this worker only counts their lines.
let leadChunks = 0;

port.on('message', (message: MainMessage) => {
  if (message.kind === 'lead') {
    leadChunks = Math.max(leadChunks, message.chunks);
    return;
  }
  credits += 1;
  wake?.();
});

const post = (message: WorkerMessage) => port.postMessage(message);

async function run(): Promise<void> {
  try {
    // Of the batch about to be yielded: whether its lines may hold a -0, its chunk and the lines before it.
    let negativeZero = false;
    let chunk = -1;
    let linesBefore = 0;
    let linesSeen = 0;
    let tail = true;
    const seeLines = (lines: readonly string[]): boolean => {
      chunk += 1;
      linesBefore = linesSeen;
      linesSeen += lines.length;
      if (chunk < leadChunks) return true;
      tail = false;
      negativeZero = false;
      for (let i = 0; i < lines.length && !negativeZero; i++) negativeZero = mayHoldNegativeZero(lines[i]!);
      return false;
    };
    for await (const batch of readLogFileBatches(path, chunkBytes, seeLines)) {
      // The tail (a log without content gets the default header) comes after every chunk.
      const place = tail ? { chunk: chunk + 1, linesBefore: linesSeen } : { chunk, linesBefore };
      if (tail) negativeZero = false;
      tail = true;
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      credits -= 1;
      post(encodeBatch(batch, negativeZero, place));
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
