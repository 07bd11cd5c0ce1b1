/**
 * How the parse worker hands batches of log items to the main thread. A batch travels as one JSON
 * string: the main thread's JSON.parse of it costs about half of a structured-clone deserialize
 * (measured on the bench logs), and it rebuilds the same plain values in the same key order. (The
 * items' values alone, with the lines beside them, parse a third faster, but the item objects the
 * main thread then builds got pretenured by V8 and raised peak RSS by up to 90 MiB: measured, not
 * kept.) The one value JSON cannot carry is -0 (it prints as 0), so a batch whose lines may hold
 * one travels cloned.
 */
import type { LogItem } from './read.ts';

/** Where a batch comes from: its chunk of the file (from 0) and the lines of the chunks before it. */
export interface BatchPlace {
  readonly chunk: number;
  readonly linesBefore: number;
}

/** A batch as one JSON string of its items. */
export interface JsonBatch extends BatchPlace {
  readonly kind: 'json';
  readonly text: string;
}

/** A batch cloned as it is. */
export interface ItemsBatch extends BatchPlace {
  readonly kind: 'items';
  readonly items: LogItem[];
}

/** Worker to main: a batch, the bad line that ends the log, the end, or a crash (a bug, not bad input). */
export type WorkerMessage =
  | JsonBatch
  | ItemsBatch
  | { readonly kind: 'input-error'; readonly line: number; readonly field?: string; readonly problem: string }
  | { readonly kind: 'done' }
  | { readonly kind: 'crash'; readonly message: string; readonly stack?: string };

/**
 * Main to worker: one batch consumed, so the worker may send one more (the log is never held
 * whole); or the main thread's lead has parsed this many chunks, which the worker need not parse.
 */
export type MainMessage = { readonly kind: 'ack' } | { readonly kind: 'lead'; readonly chunks: number };

/** Batches the worker may send ahead of the main thread: enough to keep both busy, few enough to bound memory. */
export const BATCHES_AHEAD = 8;

/**
 * Whether a line's text may hold a -0: a number written `-0`, `-0.0` or `-0e1`, or a negative
 * one that underflows (`-1e-400`), needs a "-0" or a negative exponent in the text. A search of
 * the text, several times cheaper than walking the parsed values, and never wrong the unsafe way
 * (such text inside a string only sends its batch cloned).
 */
export function mayHoldNegativeZero(text: string): boolean {
  return text.includes('-0') || text.includes('e-') || text.includes('E-');
}

/** `negativeZero`: some line of the batch may hold a -0 (mayHoldNegativeZero). */
export function encodeBatch(
  items: LogItem[],
  negativeZero: boolean,
  place: BatchPlace,
): JsonBatch | ItemsBatch {
  const { chunk, linesBefore } = place;
  if (negativeZero) return { kind: 'items', items, chunk, linesBefore };
  return { kind: 'json', text: JSON.stringify(items), chunk, linesBefore };
}

export function decodeBatch(message: JsonBatch | ItemsBatch): LogItem[] {
  return message.kind === 'items' ? message.items : (JSON.parse(message.text) as LogItem[]);
}
