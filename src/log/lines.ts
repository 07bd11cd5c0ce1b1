/**
 * The line rules of a log, shared by the file reader and parseLogText: lines end at "\n" only, one
 * trailing "\r" is dropped (CRLF logs), and a lone "\r" stays part of its line, so line numbers are
 * exactly the file's "\n"-separated lines. Files are read in large chunks, never whole.
 */
import { openInput } from './input.ts';

/** 64 KiB: per-chunk costs vanish, and a batch (~1k lines) stays small enough for cheap scavenges. */
export const CHUNK_BYTES = 1 << 16;

const CR = 0x0d;

function dropTrailingCr(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.charCodeAt(text.length - 1) === CR) lines[i] = text.slice(0, -1);
  }
  return lines;
}

/** The lines of a whole text; a final newline leaves an empty last line, which a log skips anyway. */
export function splitLogText(text: string): string[] {
  return dropTrailingCr(text.split('\n'));
}

/**
 * The lines of a file in batches, one batch per chunk read, in order. A line split across chunks
 * is joined; a final line without a newline is still a line; an empty file yields nothing.
 */
export async function* readLineBatches(path: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<string[]> {
  // The stream's UTF-8 decoder keeps a character split across chunks whole; `-` is stdin.
  const stream = openInput(path, chunkBytes);
  let carry = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = carry === '' ? chunk : carry + chunk;
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline < 0) {
        carry = text;
        continue;
      }
      carry = text.slice(lastNewline + 1);
      yield dropTrailingCr(text.slice(0, lastNewline).split('\n'));
    }
  } finally {
    stream.destroy();
  }
  if (carry !== '') yield dropTrailingCr([carry]);
}
