/**
 * A replay kept for rendering: its steps (event, outcome, host operations, failures), the header's
 * platform and the summary. The renderers of `viz replay` read this, never the World directly
 * (only the HTML viewer replays a second time to snapshot Worlds, see replay-frames.ts).
 *
 * A record is whole (every step; the API default, for short logs and tests) or a window: only the
 * steps a rendering shows (step-window.ts), so a failing check of a million-event log holds a few
 * thousand steps, not a million. Log files are read in chunks on every iteration, never whole;
 * only stdin (or a FIFO or device), which can be read once, is kept as text.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { readInputText, STDIN } from '../log/input.ts';
import { CHUNK_BYTES, splitLogText } from '../log/lines.ts';
import type { LogItem } from '../log/read.ts';
import { parseLines } from '../log/read.ts';
import type { Platform } from '../log/schema.ts';
import type { World } from '../model/world.ts';
import { type ReplayOptions, type ReplayStep, type ReplaySummary, replayItems } from '../replay.ts';
import type { ExpectedTrace } from './expected-trace.ts';
import { StepWindow } from './step-window.ts';

export interface ReplayRecord {
  /** The log's name for titles: its file name, or what the caller passed. */
  readonly name: string;
  readonly platform: Platform | undefined;
  /** Every step, or with `window` only the steps from `window.start` on. */
  readonly steps: readonly ReplayStep[];
  readonly summary: ReplaySummary;
  /** `--expect-trace`: the real trace's host operations next to the model's, per event. */
  readonly expected?: ExpectedTrace;
  /** Present when only a window of the steps was kept: where it starts and how many steps there were. */
  readonly window?: { readonly start: number; readonly total: number };
}

/**
 * The lines of a file read in CHUNK_BYTES pieces, by the rules of src/log/lines.ts (lines end at
 * "\n", one trailing "\r" is dropped, a lone "\r" stays inside its line), which splitLogText applies.
 */
function* fileLines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  // The decoder keeps a UTF-8 character split across chunks whole.
  const decoder = new StringDecoder('utf8');
  let carry = '';
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      const text = carry + decoder.write(buffer.subarray(0, read));
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline < 0) {
        carry = text;
        continue;
      }
      carry = text.slice(lastNewline + 1);
      yield* splitLogText(text.slice(0, lastNewline));
    }
    carry += decoder.end();
    if (carry !== '') yield* splitLogText(carry);
  } finally {
    closeSync(fd);
  }
}

/**
 * A log file's items, parsed lazily on every iteration: input errors surface inside the replay,
 * which reports them by line, and the HTML viewer can replay the same items twice.
 */
export function readLogItems(path: string): Iterable<LogItem> {
  // stdin, a FIFO or a device can be read once: their text is kept for a second pass.
  if (path === STDIN || !statSync(path).isFile()) {
    const lines = splitLogText(readInputText(path));
    return { [Symbol.iterator]: () => parseLines(lines) };
  }
  return { [Symbol.iterator]: () => parseLines(fileLines(path)) };
}

export function logName(path: string): string {
  return path === '-' ? 'stdin' : basename(path).replace(/\.jsonl$/, '');
}

/**
 * Replays every item (past failures); `keep` receives each step with the header's platform (read
 * before any event), `onStep` each step with its World.
 */
export function replayKeeping(
  items: Iterable<LogItem>,
  keep: (step: ReplayStep, platform: Platform | undefined) => void,
  onStep?: (step: ReplayStep, world: () => World) => void,
): { summary: ReplaySummary; platform: Platform | undefined } {
  let platform: Platform | undefined;
  const seen = function* (): Generator<LogItem> {
    for (const item of items) {
      if (item.kind === 'header') platform = item.header.platform;
      yield item;
    }
  };
  const options: ReplayOptions = {
    onStep: (step, world) => {
      keep(step, platform);
      onStep?.(step, world);
    },
  };
  const { summary } = replayItems(seen(), options);
  return { summary, platform };
}

export function replayForView(
  items: Iterable<LogItem>,
  onStep?: (step: ReplayStep, world: () => World) => void,
): { summary: ReplaySummary; platform: Platform | undefined; steps: ReplayStep[] } {
  const steps: ReplayStep[] = [];
  const { summary, platform } = replayKeeping(items, (step) => steps.push(step), onStep);
  return { summary, platform, steps };
}

/**
 * Replays the whole log (not stopping at the first failure: the viewer shows what follows too).
 * With `cap`, only the window of at most `cap` steps the renderers show is kept (step-window.ts).
 */
export function collectReplay(
  items: Iterable<LogItem>,
  name: string,
  cap?: number,
  onStep?: (step: ReplayStep, world: () => World) => void,
): ReplayRecord {
  if (cap === undefined) {
    const { summary, platform, steps } = replayForView(items, onStep);
    return { name, platform, steps, summary };
  }
  const window = new StepWindow(cap);
  const { summary, platform } = replayKeeping(items, (step) => window.push(step), onStep);
  const kept = window.kept(summary.firstFailure?.line);
  return { name, platform, steps: kept.steps, summary, window: { start: kept.start, total: kept.total } };
}

/** How many steps the replay made (the record may keep fewer). */
export function stepCount(record: ReplayRecord): number {
  return record.window?.total ?? record.steps.length;
}

/** The steps with log index in [start, end) that the record kept. */
export function stepsBetween(record: ReplayRecord, start: number, end: number): readonly ReplayStep[] {
  const offset = record.window?.start ?? 0;
  return record.steps.slice(Math.max(0, start - offset), Math.max(0, end - offset));
}

/** The first step whose expectation or invariants failed, by its index in the log; -1 when none did. */
export function firstFailureIndex(record: ReplayRecord): number {
  const line = record.summary.firstFailure?.line;
  if (line === undefined) return -1;
  const at = record.steps.findIndex((step) => step.line === line);
  return at < 0 ? -1 : at + (record.window?.start ?? 0);
}

export function platformText(platform: Platform | undefined): string {
  if (platform === undefined) return 'default platform';
  const options = Object.entries(platform)
    .filter(([key]) => key !== 'viommu')
    // Lists and records (virtio-iommu formats and levels) as JSON; scalars as they are.
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return `platform ${[platform.viommu, ...options].join(' ')}`;
}
