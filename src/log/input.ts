/**
 * The input a command reads: a path, or `-` for stdin. Regular files, FIFOs, character devices
 * (`/dev/null`, `/dev/stdin`) and sockets are read as streams; anything else gets a message that
 * says what the path is, so "no such file" is only said of a path that does not exist.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** The operand that means standard input. */
export const STDIN = '-';

/** Why `path` cannot be read, or undefined when it can be (it may still fail to open). */
export function inputProblem(path: string): string | undefined {
  if (path === STDIN) return undefined;
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'ENOTDIR') return 'no such file (a part of the path is not a directory)';
    if (code === 'EACCES') return 'permission denied';
    return (error as Error).message;
  }
  if (info.isFile() || info.isFIFO() || info.isCharacterDevice() || info.isSocket()) return undefined;
  if (info.isDirectory()) return 'is a directory, not a file';
  if (info.isBlockDevice()) return 'is a block device, not a file';
  return 'is not a file';
}

/** The input as a UTF-8 stream of chunks. */
export function openInput(path: string, highWaterMark: number): Readable {
  if (path === STDIN) return process.stdin.setEncoding('utf8');
  return createReadStream(path, { encoding: 'utf8', highWaterMark });
}

/** The whole input as text (for renderers that read a log twice). */
export function readInputText(path: string): string {
  return readFileSync(path === STDIN ? 0 : path, 'utf8');
}

/** How messages name the input. */
export function inputName(path: string): string {
  return path === STDIN ? '(stdin)' : path;
}
