/**
 * How the parse worker hands batches of log items to the main thread. A batch travels as one JSON
 * string of the items' values (each event or header, without its item wrapper) and their line
 * numbers in a transferred Int32Array (small integers, as JSON.parse makes them): the main thread's JSON.parse of it costs about half of a
 * structured-clone deserialize, and a third less than the wrapped items did (measured on the bench
 * logs); it rebuilds the same plain values in the same key order. The one value JSON cannot carry
 * is -0 (it prints as 0), so a batch whose lines may hold one travels cloned, as does one past line 2^31 - 1.
 */
import type { LogItem } from './read.ts';

/** Where a batch comes from: its chunk of the file (from 0) and the lines of the chunks before it. */
export interface BatchPlace {
  readonly chunk: number;
  readonly linesBefore: number;
}

/** A batch as JSON: the values of its items, their lines, and which item is the header (-1: none). */
export interface JsonBatch extends BatchPlace {
  readonly kind: 'json';
  readonly text: string;
  readonly lines: Int32Array;
  readonly headerAt: number;
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
 * Whether a line's text may hold a -0 (it does when a number `-0`, `-0.0` or `-0e1` is in it):
 * a search of the text, several times cheaper than walking the parsed values, and never wrong
 * the unsafe way (a "-0" inside a string only sends its batch cloned).
 */
export function mayHoldNegativeZero(text: string): boolean {
  return text.includes('-0');
}

const MAX_LINE = 2 ** 31 - 1;

/** `negativeZero`: some line of the batch may hold a -0 (mayHoldNegativeZero). */
export function encodeBatch(
  items: LogItem[],
  negativeZero: boolean,
  place: BatchPlace,
): JsonBatch | ItemsBatch {
  const { chunk, linesBefore } = place;
  if (negativeZero) return { kind: 'items', items, chunk, linesBefore };
  const values: unknown[] = new Array(items.length);
  const lines = new Int32Array(items.length);
  let headerAt = -1;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.line > MAX_LINE) return { kind: 'items', items, chunk, linesBefore };
    lines[i] = item.line;
    if (item.kind === 'header') {
      headerAt = i;
      values[i] = item.header;
    } else values[i] = item.event;
  }
  return { kind: 'json', text: JSON.stringify(values), lines, headerAt, chunk, linesBefore };
}

/** What postMessage may transfer rather than copy. */
export function transferOf(message: WorkerMessage): ArrayBuffer[] {
  return message.kind === 'json' ? [message.lines.buffer as ArrayBuffer] : [];
}

export function decodeBatch(message: JsonBatch | ItemsBatch): LogItem[] {
  if (message.kind === 'items') return message.items;
  const values = JSON.parse(message.text) as unknown[];
  const { lines, headerAt } = message;
  const items: LogItem[] = new Array(values.length);
  for (let i = 0; i < values.length; i++)
    items[i] =
      i === headerAt
        ? { kind: 'header', line: lines[i]!, header: values[i] as never }
        : { kind: 'event', line: lines[i]!, event: values[i] as never };
  return items;
}
