/** Output sinks for commands, so tests can capture what a command prints. */
import { colourWanted } from './style.ts';

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Writes out whatever is buffered (called before a command returns). */
  readonly flush?: () => void;
  /** Whether each stream takes colour (a terminal without NO_COLOR); absent: no colour. */
  readonly colour?: { readonly stdout: boolean; readonly stderr: boolean };
  /** Rewrites the one progress line (no newline); present only when stderr is a terminal. */
  readonly progress?: (text: string) => void;
}

/** Bad command-line use: the dispatcher prints the message and the command's usage, exit 2. */
export class UsageError extends Error {}

// A replay of a million events prints a million lines: one write per 64 KiB, not per line.
const FLUSH_AT = 1 << 16;
let pending: string[] = [];
let pendingBytes = 0;
let progressShown = false;

/** The reader went away (`| head -1`): nothing more is worth computing, and that is no failure. */
function quietOnBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
}

let pipeWatched = false;
function watchPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on('error', quietOnBrokenPipe);
}

function clearProgress(): void {
  if (!progressShown) return;
  progressShown = false;
  process.stderr.write('\r\u001b[K');
}

function flushStdout(): void {
  if (pending.length === 0) return;
  watchPipe();
  const text = pending.join('');
  pending = [];
  pendingBytes = 0;
  try {
    process.stdout.write(text);
  } catch (error) {
    quietOnBrokenPipe(error as NodeJS.ErrnoException);
  }
}

export const processIo: CommandIo = {
  stdout: (text) => {
    pending.push(text, '\n');
    pendingBytes += text.length + 1;
    if (pendingBytes >= FLUSH_AT) {
      clearProgress();
      flushStdout();
    }
  },
  // stderr is written at once, after what stdout had before it, so the two stay in order on a terminal.
  stderr: (text) => {
    clearProgress();
    flushStdout();
    process.stderr.write(`${text}\n`);
  },
  flush: () => {
    clearProgress();
    flushStdout();
  },
  get colour() {
    return { stdout: colourWanted(process.stdout), stderr: colourWanted(process.stderr) };
  },
  get progress() {
    if (process.stderr.isTTY !== true) return undefined;
    return (text: string) => {
      progressShown = true;
      process.stderr.write(`\r\u001b[K${text}`);
    };
  },
};
