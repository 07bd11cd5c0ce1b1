/** Output sinks for commands, so tests can capture what a command prints. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Writes out whatever is buffered (called before a command returns). */
  readonly flush?: () => void;
}

// A replay of a million events prints a million lines: one write per 64 KiB, not per line.
const FLUSH_AT = 1 << 16;
let pending: string[] = [];
let pendingBytes = 0;

function flushStdout(): void {
  if (pending.length === 0) return;
  process.stdout.write(pending.join(''));
  pending = [];
  pendingBytes = 0;
}

export const processIo: CommandIo = {
  stdout: (text) => {
    pending.push(text, '\n');
    pendingBytes += text.length + 1;
    if (pendingBytes >= FLUSH_AT) flushStdout();
  },
  // stderr is written at once, after what stdout had before it, so the two stay in order on a terminal.
  stderr: (text) => {
    flushStdout();
    process.stderr.write(`${text}\n`);
  },
  flush: flushStdout,
};

export class UsageError extends Error {}

/** Splits argv into positionals and flags; unknown flags are usage errors. */
export function parseArgs(
  args: readonly string[],
  known: readonly string[],
  withValue: readonly string[] = [],
) {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.split('=', 2) as [string, string | undefined];
    if (withValue.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.set(name, value);
    } else if (known.includes(name)) {
      flags.set(name, true);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { positionals, flags };
}
