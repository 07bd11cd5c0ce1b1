/**
 * Running the CLI in-process on untrusted input: `main(argv, io)` with captured output, on files
 * written to one temp directory per test file. Shared by the prototype-name tests and the fuzzers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

export interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

export async function runCli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, out, err };
}

/** A temp directory and a writer of numbered files into it; `cleanup` removes it. */
export function tempFiles(prefix: string): {
  write: (content: string | Uint8Array, ext?: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  return {
    write(content, ext = '.jsonl') {
      const path = join(dir, `input${++count}${ext}`);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Keys of Object.prototype (and `prototype`): the names a plain-object lookup would find by accident. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'prototype',
] as const;
