/**
 * Readers: a streaming one for files (a log of millions of lines is never held whole) and an
 * in-memory one for tests and generated logs. Both yield the header (or the default one) first,
 * and both follow the line rules of src/log/lines.ts.
 */
import { LogInputError } from './errors.ts';
import { ItemsOfBatches } from './item-stream.ts';
import { CHUNK_BYTES, readLineBatches, splitLogText } from './lines.ts';
import { parseLine } from './parse-line.ts';
import type { Header, LogEvent } from './schema.ts';

export type LogItem =
  | { readonly kind: 'header'; readonly line: number; readonly header: Header }
  | { readonly kind: 'event'; readonly line: number; readonly event: LogEvent };

export const DEFAULT_HEADER: Header = {
  log: 'viommu-model',
  version: 1,
  platform: {
    viommu: 'intel-iommu',
    'x-flts': true,
    'x-scalable-mode': true,
    'caching-mode': true,
    'aw-bits': 48,
  },
};

const HASH = 0x23;

const DEFAULT_HEADER_ITEM: LogItem = { kind: 'header', line: 0, header: DEFAULT_HEADER };

/** Counts lines from 1 and puts the default header (line 0) before a first event that has none. */
class LogItemCollector {
  line = 0;
  private sawContent = false;

  add(text: string, out: LogItem[]): void {
    this.line += 1;
    const parsed = parseLine(text, this.line, this.sawContent);
    if (parsed.kind === 'skip') return;
    if (!this.sawContent && parsed.kind === 'event') out.push(DEFAULT_HEADER_ITEM);
    this.sawContent = true;
    out.push(parsed);
  }

  /** Lines another reader has parsed: only counted, and whether one of them was content. */
  skip(lines: readonly string[]): void {
    this.line += lines.length;
    for (let i = 0; i < lines.length && !this.sawContent; i++) {
      const trimmed = lines[i]!.trim();
      this.sawContent = trimmed !== '' && trimmed.charCodeAt(0) !== HASH;
    }
  }

  /** A log of comments only (or nothing) still has a header. */
  finish(out: LogItem[]): void {
    if (!this.sawContent) out.push(DEFAULT_HEADER_ITEM);
  }
}

/** Turns a sequence of raw lines into log items; a missing header becomes the default (line 0). */
export function* parseLines(lines: Iterable<string>): Generator<LogItem> {
  const collector = new LogItemCollector();
  const out: LogItem[] = [];
  for (const text of lines) {
    collector.add(text, out);
    if (out.length > 0) yield* out.splice(0);
  }
  collector.finish(out);
  yield* out;
}

export function parseLogText(text: string): LogItem[] {
  return [...parseLines(splitLogText(text))];
}

/**
 * A file's log items in batches, for a consumer that wants fewer awaits. A bad line ends the
 * stream with its LogInputError after the batch of the items before it. `seeLines`, if given,
 * sees each chunk's raw lines before their items are parsed and yielded (the parse worker looks
 * for a -0 there); when it returns true the chunk's lines are only counted, not parsed (another
 * reader has parsed them: the parse worker behind the main thread's lead).
 */
export async function* readLogFileBatches(
  path: string,
  chunkBytes = CHUNK_BYTES,
  seeLines?: (lines: readonly string[]) => boolean,
): AsyncGenerator<LogItem[]> {
  const collector = new LogItemCollector();
  try {
    for await (const lines of readLineBatches(path, chunkBytes)) {
      if (seeLines?.(lines) === true) {
        collector.skip(lines);
        continue;
      }
      const out: LogItem[] = [];
      let failure: { readonly error: unknown } | undefined;
      try {
        for (const text of lines) collector.add(text, out);
      } catch (error) {
        failure = { error };
      }
      if (out.length > 0) yield out;
      if (failure !== undefined) throw failure.error;
    }
  } catch (error) {
    if (error instanceof LogInputError) throw error;
    throw new LogInputError(collector.line, undefined, `cannot read ${path}: ${(error as Error).message}`);
  }
  const tail: LogItem[] = [];
  collector.finish(tail);
  if (tail.length > 0) yield tail;
}

/** A file's log items one at a time; the file is opened on the first next(). */
export function readLogFile(path: string): AsyncGenerator<LogItem> {
  return new ItemsOfBatches(readLogFileBatches(path));
}
