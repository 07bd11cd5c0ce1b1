/**
 * Readers: a streaming one for files (a log of millions of lines is never held whole) and an
 * in-memory one for tests and generated logs. Both yield the header (or the default one) first.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { LogInputError } from './errors.ts';
import { type ParsedLine, parseLine } from './parse-line.ts';
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

/** Turns a sequence of raw lines into log items; a missing header becomes the default (line 0). */
export function* parseLines(lines: Iterable<string>): Generator<LogItem> {
  let lineNo = 0;
  let sawContent = false;
  for (const text of lines) {
    lineNo += 1;
    const parsed: ParsedLine = parseLine(text, lineNo, sawContent);
    if (parsed.kind === 'skip') continue;
    if (!sawContent && parsed.kind === 'event') yield { kind: 'header', line: 0, header: DEFAULT_HEADER };
    sawContent = true;
    yield parsed;
  }
  if (!sawContent) yield { kind: 'header', line: 0, header: DEFAULT_HEADER };
}

export function parseLogText(text: string): LogItem[] {
  return [...parseLines(text.split(/\r?\n/))];
}

export async function* readLogFile(path: string): AsyncGenerator<LogItem> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let sawContent = false;
  try {
    for await (const text of lines) {
      lineNo += 1;
      const parsed = parseLine(text, lineNo, sawContent);
      if (parsed.kind === 'skip') continue;
      if (!sawContent && parsed.kind === 'event') yield { kind: 'header', line: 0, header: DEFAULT_HEADER };
      sawContent = true;
      yield parsed;
    }
  } catch (error) {
    if (error instanceof LogInputError) throw error;
    throw new LogInputError(lineNo, undefined, `cannot read ${path}: ${(error as Error).message}`);
  } finally {
    lines.close();
    stream.destroy();
  }
  if (!sawContent) yield { kind: 'header', line: 0, header: DEFAULT_HEADER };
}
