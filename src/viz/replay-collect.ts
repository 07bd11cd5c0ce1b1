/**
 * A replay kept whole for rendering: every step (event, outcome, host operations, failures), the
 * header's platform and the summary. The renderers of `viz replay` read this, never the World
 * directly (only the HTML viewer replays a second time to snapshot Worlds, see replay-frames.ts).
 *
 * Logs are read whole here: a viewer of a log is for logs a person reads, and the HTML viewer caps
 * the steps it snapshots (replay-frames.ts) so a long log still gives a file of reasonable size.
 */
import { basename } from 'node:path';
import { readInputText } from '../log/input.ts';
import type { LogItem } from '../log/read.ts';
import { parseLines } from '../log/read.ts';
import type { Platform } from '../log/schema.ts';
import type { World } from '../model/world.ts';
import { type ReplayOptions, type ReplayStep, type ReplaySummary, replayItems } from '../replay.ts';
import type { ExpectedTrace } from './expected-trace.ts';

export interface ReplayRecord {
  /** The log's name for titles: its file name, or what the caller passed. */
  readonly name: string;
  readonly platform: Platform | undefined;
  readonly steps: readonly ReplayStep[];
  readonly summary: ReplaySummary;
  /** `--expect-trace`: the real trace's host operations next to the model's, per event. */
  readonly expected?: ExpectedTrace;
}

/**
 * A log file's items, parsed lazily on every iteration: input errors surface inside the replay,
 * which reports them by line, and the HTML viewer can replay the same items twice.
 */
export function readLogItems(path: string): Iterable<LogItem> {
  const lines = readInputText(path).split(/\r?\n/);
  return { [Symbol.iterator]: () => parseLines(lines) };
}

export function logName(path: string): string {
  return path === '-' ? 'stdin' : basename(path).replace(/\.jsonl$/, '');
}

export function replayForView(
  items: Iterable<LogItem>,
  onStep?: (step: ReplayStep, world: () => World) => void,
): { summary: ReplaySummary; platform: Platform | undefined; steps: ReplayStep[] } {
  const steps: ReplayStep[] = [];
  let platform: Platform | undefined;
  const seen = function* (): Generator<LogItem> {
    for (const item of items) {
      if (item.kind === 'header') platform = item.header.platform;
      yield item;
    }
  };
  const options: ReplayOptions = {
    onStep: (step, world) => {
      steps.push(step);
      onStep?.(step, world);
    },
  };
  const { summary } = replayItems(seen(), options);
  return { summary, platform, steps };
}

/** Replays the whole log (not stopping at the first failure: the viewer shows what follows too). */
export function collectReplay(items: Iterable<LogItem>, name: string): ReplayRecord {
  const { summary, platform, steps } = replayForView(items);
  return { name, platform, steps, summary };
}

/** The first step whose expectation or invariants failed, by position; -1 when none did. */
export function firstFailureIndex(record: ReplayRecord): number {
  const line = record.summary.firstFailure?.line;
  return line === undefined ? -1 : record.steps.findIndex((step) => step.line === line);
}

export function platformText(platform: Platform | undefined): string {
  if (platform === undefined) return 'default platform';
  const options = Object.entries(platform)
    .filter(([key]) => key !== 'viommu')
    // Lists and records (virtio-iommu formats and levels) as JSON; scalars as they are.
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return `platform ${[platform.viommu, ...options].join(' ')}`;
}
