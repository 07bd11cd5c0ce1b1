/**
 * The progress line of a long run, on stderr when it is a terminal and --quiet is not given:
 * events, events/s, the line reached and the time so far, drawn at once and then at most four times a
 * second.
 */
import type { CommandIo } from './io.ts';

const REDRAW_MS = 250;
// The clock is read once per this many updates: an update per event must cost next to nothing.
const CLOCK_EVERY = 1024;

export interface Progress {
  /** `count` things done (events, trace lines), reading `line`. */
  readonly update: (count: number, line: number) => void;
  /** Clears the line (the caller's own output follows). */
  readonly done: () => void;
}

const NONE: Progress = { update: () => {}, done: () => {} };

const number = new Intl.NumberFormat('en-US');

export function progressLine(label: string, unit: string, count: number, line: number, ms: number): string {
  const rate = ms > 0 ? Math.round((count * 1000) / ms) : 0;
  return `${label}: ${number.format(count)} ${unit}, ${number.format(rate)} ${unit}/s, line ${number.format(line)}, ${(ms / 1000).toFixed(1)} s`;
}

/** A progress line for `label`, or one that does nothing when stderr is no terminal or `quiet`. */
export function startProgress(
  io: CommandIo,
  label: string,
  options: {
    readonly quiet: boolean;
    readonly unit?: string;
    readonly now?: () => number;
    /** Updates between clock reads (1 when each update is already a big step, such as a 1 MiB chunk). */
    readonly clockEvery?: number;
  },
): Progress {
  const write = io.progress;
  if (write === undefined || options.quiet) return NONE;
  const now = options.now ?? (() => performance.now());
  const unit = options.unit ?? 'events';
  const start = now();
  // The first draw comes at the first clock read, so a long run shows itself at once.
  let lastDraw = Number.NEGATIVE_INFINITY;
  const clockEvery = options.clockEvery ?? CLOCK_EVERY;
  let calls = 0;
  return {
    update: (count, line) => {
      if (++calls % clockEvery !== 0) return;
      const t = now();
      if (t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      write(progressLine(label, unit, count, line, t - start));
    },
    done: () => io.flush?.(),
  };
}
