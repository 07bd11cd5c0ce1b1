/**
 * Forbidden keys and nesting: the key walk keeps its own stack, so absurd nesting is an input
 * error naming the line instead of a stack overflow, and it still names the first forbidden key
 * in the order the old recursive walk found it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogInputError } from '../../src/log/errors.ts';
import { findKeyProblem, MAX_NESTING } from '../../src/log/forbidden-keys.ts';
import { parseLogText, readLogFile } from '../../src/log/read.ts';

const HEADER = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';
const dir = mkdtempSync(join(tmpdir(), 'viommu-nesting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(run: () => unknown): LogInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof LogInputError) return error;
    throw error;
  }
  throw new Error('expected a LogInputError');
}

const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('deep nesting', () => {
  it('100k nested arrays in a field are an error naming the line, not a stack overflow', () => {
    const error = errorOf(() =>
      parseLogText(`${HEADER}\n# c\n{"type":"iommufd.close","junk":${nestedArrays(100_000)}}`),
    );
    expect(error.line).toBe(3);
    expect(error.field).toBeUndefined();
    expect(error.message).toBe(
      `line 3: nesting deeper than the log format allows (more than ${MAX_NESTING} levels of objects and arrays)`,
    );
  });

  it('a line that is 100k nested objects is refused the same way by the file reader', async () => {
    const path = join(dir, 'deep.jsonl');
    writeFileSync(path, `${HEADER}\n${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}\n`);
    let caught: unknown;
    try {
      for await (const _ of readLogFile(path));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LogInputError);
    expect((caught as LogInputError).message).toMatch(/^line 2: nesting deeper than the log format allows/);
  });

  it(`nesting up to ${MAX_NESTING} levels keeps the old answer; one more is refused`, () => {
    const line = (depth: number) => `{"type":"iommufd.close","junk":${nestedArrays(depth - 1)}}`;
    expect(errorOf(() => parseLogText(line(MAX_NESTING))).field).toBe('junk');
    expect(errorOf(() => parseLogText(line(MAX_NESTING + 1))).problem).toMatch(/^nesting deeper/);
  });
});

describe('forbidden keys', () => {
  it('the first key in pre-order is named, as the recursive walk named it', () => {
    const value = JSON.parse('{"a":{"b":[1,{"prototype":1}]},"constructor":2}');
    expect(findKeyProblem(value)).toEqual({ kind: 'forbidden-key', path: 'a.b.1.prototype' });
    expect(findKeyProblem(JSON.parse('{"a":[[]],"__proto__":1}'))).toEqual({
      kind: 'forbidden-key',
      path: '__proto__',
    });
    expect(findKeyProblem({ a: [1, 'x', null, { b: {} }] })).toBeUndefined();
  });

  it('a forbidden key before the nesting limit is still the error', () => {
    const error = errorOf(() => parseLogText(`{"constructor":1,"x":${nestedArrays(100)}}`));
    expect([error.line, error.field, error.problem]).toEqual([
      1,
      'constructor',
      'this key is not allowed in a log',
    ]);
  });
});
