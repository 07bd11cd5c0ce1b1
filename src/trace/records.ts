/**
 * Typed trace records and the other things a QEMU log line can be. Record types are derived from
 * the event table (events.ts), so a field added there is typed here with no second list to keep.
 */
import type { EVENT_SPECS, TraceEventName } from './events.ts';

type JsType<T> = T extends 'num' | 'num?' ? number : string;
type Fields<N extends TraceEventName> = (typeof EVENT_SPECS)[N]['fields'];
type RequiredKeys<F> = { [K in keyof F]: F[K] extends `${string}?` ? never : K }[keyof F];
type OptionalKeys<F> = Exclude<keyof F, RequiredKeys<F>>;

/** Where the line's prefix put it in time: `pid@sec.usec:` (QEMU ≤ 10.0) or an ISO-8601 stamp (≥ 10.1). */
export interface LinePrefix {
  readonly pid?: number;
  readonly time?: string;
}

export interface RecordBase<N extends TraceEventName> extends LinePrefix {
  readonly event: N;
  /** 1-based, counting every line of the file. */
  readonly line: number;
  readonly raw: string;
  /** Which format of the event matched (events.ts `variant`). */
  readonly variant: string;
}

/** Distributes over a union of names, so `TraceRecordOf<'a' | 'b'>` is a union of records. */
export type TraceRecordOf<N extends TraceEventName> = N extends TraceEventName
  ? RecordBase<N> & { readonly [K in RequiredKeys<Fields<N>>]: JsType<Fields<N>[K]> } & {
      readonly [K in OptionalKeys<Fields<N>>]?: JsType<Fields<N>[K]>;
    }
  : never;

export type TraceRecord = TraceRecordOf<TraceEventName>;

/** An `error_report`/`warn_report` line (`[stamp ][guest ]qemu-…: message`), with wrapped lines joined. */
export interface ErrorLine extends LinePrefix {
  readonly line: number;
  /** Last line of a wrapped message (== line when not wrapped). */
  readonly lastLine: number;
  readonly program: string;
  readonly message: string;
  readonly raw: string;
}

/**
 * One classified line. `misread`: the name is a known event but no format of it matched, which
 * means the table lacks a format (or the line is damaged): it must never happen on a real log.
 */
export type TraceItem =
  | { readonly kind: 'event'; readonly record: TraceRecord }
  | { readonly kind: 'unknown-event'; readonly line: number; readonly name: string }
  | { readonly kind: 'error'; readonly error: ErrorLine }
  | { readonly kind: 'misread'; readonly line: number; readonly name: string; readonly raw: string }
  | { readonly kind: 'other'; readonly line: number }
  | { readonly kind: 'blank'; readonly line: number };

export function recordIs<N extends TraceEventName>(record: TraceRecord, name: N): record is TraceRecordOf<N> {
  return record.event === name;
}
