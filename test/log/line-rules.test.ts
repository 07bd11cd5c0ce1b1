/**
 * The line rules (src/log/lines.ts) in the file reader and parseLogText alike: "\n" ends a line,
 * one trailing "\r" is dropped, a lone "\r" stays in its line, so line numbers are the file's
 * "\n"-separated lines; and chunk boundaries never show (tiny chunks split lines and UTF-8).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogInputError } from '../../src/log/errors.ts';
import { readLineBatches, splitLogText } from '../../src/log/lines.ts';
import { type LogItem, parseLogText, readLogFile, readLogFileBatches } from '../../src/log/read.ts';

const HEADER = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';
const dir = mkdtempSync(join(tmpdir(), 'viommu-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(text: string): string {
  files += 1;
  const path = join(dir, `log-${files}.jsonl`);
  writeFileSync(path, text);
  return path;
}

async function readAll(path: string): Promise<LogItem[]> {
  const items: LogItem[] = [];
  for await (const item of readLogFile(path)) items.push(item);
  return items;
}

async function linesOf(path: string, chunkBytes: number): Promise<string[]> {
  const lines: string[] = [];
  for await (const batch of readLineBatches(path, chunkBytes)) lines.push(...batch);
  return lines;
}

/** Both readers: the items and line numbers, or the error. */
async function bothReaders(text: string): Promise<{ file: unknown; memory: unknown }> {
  const outcome = async (run: () => Promise<LogItem[]>) => {
    try {
      return (await run()).map((item) => [item.kind, item.line]);
    } catch (error) {
      return error instanceof LogInputError ? error.message : error;
    }
  };
  return {
    file: await outcome(() => readAll(file(text))),
    memory: await outcome(async () => parseLogText(text)),
  };
}

describe('line rules', () => {
  it('a CRLF log reads like its LF twin', async () => {
    const lf = `# c\n${HEADER}\n{"type":"iommufd.ioas_alloc"}\n\n{"type":"iommufd.close"}\n`;
    const { file: crlf, memory } = await bothReaders(lf.replaceAll('\n', '\r\n'));
    expect(crlf).toEqual([
      ['header', 2],
      ['event', 3],
      ['event', 5],
    ]);
    expect(memory).toEqual(crlf);
    expect((await bothReaders(lf)).file).toEqual(crlf);
  });

  it('a lone CR inside a comment is part of that line, so later line numbers stay put', async () => {
    const text = `${HEADER}\n# one\rstill the comment\n{"type":"iommufd.ioas_alloc","x":1}\n`;
    const { file: fromFile, memory } = await bothReaders(text);
    expect(fromFile).toBe('line 3: field "x": unknown field');
    expect(memory).toBe(fromFile);
  });

  it('a lone CR inside a JSON line is part of the line: malformed JSON on that line', async () => {
    const { file: fromFile, memory } = await bothReaders(
      `${HEADER}\n{"type":"iommufd.close"}\r{"type":"iommufd.close"}\n`,
    );
    expect(fromFile).toMatch(/^line 2: malformed JSON/);
    expect(memory).toBe(fromFile);
  });

  it('only one trailing CR is dropped', () => {
    expect(splitLogText('a\r\r\nb\r\nc')).toEqual(['a\r', 'b', 'c']);
  });
});

describe('chunk boundaries', () => {
  const text = `${HEADER}\n# é — ünïcødé 😀 split across chunks\r\n{"type":"iommufd.ioas_alloc"}\r\n\n{"type":"iommufd.close"}`;

  it.each([1, 2, 3, 5, 7, 64, 1 << 20])(
    '%i-byte chunks give the same lines as splitting the text',
    async (size) => {
      expect(await linesOf(file(text), size)).toEqual(splitLogText(text));
      expect(await linesOf(file(`${text}\n`), size)).toEqual(splitLogText(text));
    },
  );

  it('a file without a final newline still has its last line', async () => {
    const items = await readAll(file(`${HEADER}\n{"type":"iommufd.close"}`));
    expect(items.map((item) => [item.kind, item.line])).toEqual([
      ['header', 1],
      ['event', 2],
    ]);
  });

  it('an empty file is the default header alone', async () => {
    expect(await readAll(file(''))).toEqual(parseLogText(''));
    expect((await readAll(file(''))).map((item) => [item.kind, item.line])).toEqual([['header', 0]]);
  });

  it('a 1-line file, with or without its newline', async () => {
    for (const text of ['{"type":"iommufd.close"}', '{"type":"iommufd.close"}\n']) {
      expect((await readAll(file(text))).map((item) => [item.kind, item.line])).toEqual([
        ['header', 0],
        ['event', 1],
      ]);
    }
  });

  it('batches with tiny chunks hold the same items, and a bad line ends them after the good ones', async () => {
    const path = file(
      `${HEADER}\n{"type":"iommufd.ioas_alloc"}\n{"type":"iommufd.close"}\n{"type":"nope"}\n{"type":"iommufd.close"}\n`,
    );
    const seen: LogItem[] = [];
    let caught: unknown;
    try {
      for await (const batch of readLogFileBatches(path, 7)) seen.push(...batch);
    } catch (error) {
      caught = error;
    }
    expect(seen.map((item) => item.line)).toEqual([1, 2, 3]);
    expect((caught as LogInputError).message).toBe('line 4: field "type": unknown event type "nope"');
  });

  it('a missing file is an input error at line 0, as before', async () => {
    await expect(readAll(join(dir, 'absent.jsonl'))).rejects.toThrow(
      `line 0: cannot read ${join(dir, 'absent.jsonl')}: ENOENT: no such file or directory`,
    );
  });
});
