/**
 * Readers of a QEMU trace log: `readTrace`/`readTraceBatches` stream a file (multi-GB logs in
 * bounded memory), `parseTraceText` does the same for a string. Both run the same assembler over
 * parse-line.ts, which joins wrapped error messages: a line that is neither an event nor an error,
 * right after an error line (or its continuation), is part of that message (mail clients and
 * multi-line `error_append_hint` output wrap them). A blank line ends the message.
 */
import { openInput } from '../log/input.ts';
import { parseTraceLine } from './parse-line.ts';
import type { ErrorLine, TraceItem } from './records.ts';

// Lines that read as a new thing rather than the rest of a message: comments, shell prompts.
const NOT_CONTINUATION = /^(#|\$ |> |\[[^\]]*\][$#] )/;

/** Input that is not a text log (NUL bytes): reading stops at the line that shows it. */
export class TraceInputError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'TraceInputError';
  }
}

/** Feeds lines in order; each call appends to `out` the items that became final (an error waits for its tail). */
export class TraceAssembler {
  private pending: ErrorLine | undefined;
  private lineNo = 0;

  push(raw: string, out: TraceItem[]): void {
    this.lineNo += 1;
    if (raw.includes('\u0000'))
      throw new TraceInputError(this.lineNo, 'NUL byte: binary data, not a QEMU trace log');
    const parsed = parseTraceLine(raw, this.lineNo);
    if (parsed.kind === 'text' && this.pending !== undefined && !NOT_CONTINUATION.test(parsed.text)) {
      const head = this.pending;
      this.pending = {
        ...head,
        lastLine: parsed.line,
        message: `${head.message} ${parsed.text}`,
        raw: `${head.raw}\n${raw}`,
      };
      return;
    }
    if (this.pending !== undefined) {
      out.push({ kind: 'error', error: this.pending });
      this.pending = undefined;
    }
    if (parsed.kind === 'error') this.pending = parsed.error;
    else if (parsed.kind === 'text') out.push({ kind: 'other', line: parsed.line });
    else out.push(parsed);
  }

  finish(out: TraceItem[]): void {
    if (this.pending !== undefined) out.push({ kind: 'error', error: this.pending });
    this.pending = undefined;
  }

  get lines(): number {
    return this.lineNo;
  }
}

export function parseTraceText(text: string): TraceItem[] {
  const assembler = new TraceAssembler();
  const lines = text.split(/\r?\n/);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const items: TraceItem[] = [];
  for (const line of lines) assembler.push(line, items);
  assembler.finish(items);
  return items;
}

/**
 * The file's (or stdin's, for `-`) items one chunk (64 KiB of text) at a time: one await per chunk
 * instead of one per
 * line, which is what makes multi-GB logs fast. Lines are split here rather than by readline.
 * Not 1 MiB: a batch of ~13k items outlived the young generation and was promoted, so the old
 * space grew to 200+ MB before a full GC (bench/rss.bench.ts measured 217 MB against 130 MB).
 */
export async function* readTraceBatches(
  path: string,
  onChunk?: (linesRead: number) => void,
): AsyncGenerator<TraceItem[]> {
  const stream = openInput(path, 1 << 16);
  const assembler = new TraceAssembler();
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = rest + chunk;
      const lines = text.split('\n');
      rest = lines.pop()!;
      const items: TraceItem[] = [];
      for (const line of lines) assembler.push(line.endsWith('\r') ? line.slice(0, -1) : line, items);
      onChunk?.(assembler.lines);
      yield items;
    }
    const items: TraceItem[] = [];
    if (rest !== '') assembler.push(rest.endsWith('\r') ? rest.slice(0, -1) : rest, items);
    assembler.finish(items);
    yield items;
  } finally {
    stream.destroy();
  }
}

export async function* readTrace(path: string): AsyncGenerator<TraceItem> {
  for await (const batch of readTraceBatches(path)) yield* batch;
}
