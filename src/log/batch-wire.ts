/**
 * How the parse worker hands batches of log items to the main thread. A batch travels as one JSON
 * string: the main thread's JSON.parse of it costs about half of a structured-clone deserialize
 * (measured on the bench logs), and it rebuilds the same plain values in the same key order. The
 * one value JSON cannot carry is -0 (it prints as 0), so a batch holding one travels cloned.
 */
import type { LogItem } from './read.ts';

/** Worker to main: a batch, the bad line that ends the log, the end, or a crash (a bug, not bad input). */
export type WorkerMessage =
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'items'; readonly items: LogItem[] }
  | { readonly kind: 'input-error'; readonly line: number; readonly field?: string; readonly problem: string }
  | { readonly kind: 'done' }
  | { readonly kind: 'crash'; readonly message: string; readonly stack?: string };

/** Main to worker: one batch consumed, so the worker may send one more (the log is never held whole). */
export type MainMessage = { readonly kind: 'ack' };

/** Batches the worker may send ahead of the main thread: enough to keep both busy, few enough to bound memory. */
export const BATCHES_AHEAD = 8;

function holdsNegativeZero(value: unknown): boolean {
  if (typeof value === 'number') return Object.is(value, -0);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsNegativeZero(value[i])) return true;
    return false;
  }
  for (const key in value) if (holdsNegativeZero((value as Record<string, unknown>)[key])) return true;
  return false;
}

export function encodeBatch(items: LogItem[]): WorkerMessage {
  return holdsNegativeZero(items) ? { kind: 'items', items } : { kind: 'json', text: JSON.stringify(items) };
}

export function decodeBatch(message: WorkerMessage & { kind: 'json' | 'items' }): LogItem[] {
  return message.kind === 'items' ? message.items : (JSON.parse(message.text) as LogItem[]);
}
