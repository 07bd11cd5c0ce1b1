/**
 * Replay: fold a log through `reduce`, check every invariant after every event and every `expect`.
 * Input errors (LogInputError) stop the replay at their line: nothing after a bad line is applied.
 */

import { expectationFailure } from './expect.ts';
import { allInvariants, checkInvariants, type Invariant, type Violation } from './invariants/index.ts';
import { liveObjects } from './kernel/table.ts';
import { LogInputError } from './log/errors.ts';
import type { LogItem } from './log/read.ts';
import type { LogEvent } from './log/schema.ts';
import type { StepOutcome } from './model/protocol.ts';
import { reduce } from './model/reference.ts';
import { initialWorld, type World } from './model/world.ts';

export interface ReplayStep {
  readonly line: number;
  readonly event: LogEvent;
  readonly outcome: StepOutcome;
  readonly violations: readonly Violation[];
  readonly expectationFailure?: string;
}

export interface LiveObjectSummary {
  readonly id: number;
  readonly type: string;
  readonly users: number;
  readonly state?: string;
}

export interface ReplaySummary {
  readonly events: number;
  readonly failedExpectations: number;
  readonly violations: number;
  /** The first line whose expectation or invariants failed. */
  readonly firstFailure?: { readonly line: number; readonly message: string };
  readonly inputError?: { readonly line: number; readonly field?: string; readonly message: string };
  readonly live: readonly LiveObjectSummary[];
  readonly stoppedEarly: boolean;
}

export interface ReplayOptions {
  readonly invariants?: readonly Invariant[];
  readonly stopAtFirstFailure?: boolean;
  readonly onStep?: (step: ReplayStep, world: World) => void;
}

export function liveSummary(world: World): LiveObjectSummary[] {
  return [...liveObjects(world.kernel)].map((object) => ({
    id: object.id,
    type: object.type,
    users: object.users,
    ...('m' in object ? { state: object.m.value } : {}),
  }));
}

/** Steps one log item at a time, so sync arrays and async streams share the same code. */
export class Replayer {
  private world: World | undefined;
  private events = 0;
  private failedExpectations = 0;
  private violations = 0;
  private firstFailure: ReplaySummary['firstFailure'];
  private inputError: ReplaySummary['inputError'];
  private stopped = false;

  constructor(private readonly options: ReplayOptions = {}) {}

  /** Returns false once the replay has stopped (input error, or first failure in check mode). */
  feed(item: LogItem): boolean {
    if (this.stopped) return false;
    if (item.kind === 'header') {
      this.world = initialWorld(item.header, item.line);
      return true;
    }
    const prev = this.world ?? initialWorld({ log: 'viommu-model', version: 1 });
    const input = { line: item.line, event: item.event };
    let reduced: ReturnType<typeof reduce>;
    try {
      reduced = reduce(prev, input);
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      this.fail(error);
      return false;
    }
    this.world = reduced.world;
    this.events += 1;
    const violations = checkInvariants(
      reduced.world,
      { prev, input, outcome: reduced.outcome },
      this.options.invariants ?? allInvariants,
    );
    const failure = expectationFailure(item.event.expect, reduced.outcome);
    const step: ReplayStep = {
      line: item.line,
      event: item.event,
      outcome: reduced.outcome,
      violations,
      ...(failure === undefined ? {} : { expectationFailure: failure }),
    };
    this.options.onStep?.(step, reduced.world);
    this.violations += violations.length;
    if (failure !== undefined) this.failedExpectations += 1;
    if ((failure !== undefined || violations.length > 0) && this.firstFailure === undefined) {
      const message = failure ?? `invariant ${violations[0]!.invariant}: ${violations[0]!.message}`;
      this.firstFailure = { line: item.line, message };
      if (this.options.stopAtFirstFailure === true) this.stopped = true;
    }
    return !this.stopped;
  }

  fail(error: LogInputError): void {
    this.inputError = {
      line: error.line,
      ...(error.field === undefined ? {} : { field: error.field }),
      message: error.message,
    };
    this.stopped = true;
  }

  currentWorld(): World {
    return this.world ?? initialWorld({ log: 'viommu-model', version: 1 });
  }

  summary(): ReplaySummary {
    return {
      events: this.events,
      failedExpectations: this.failedExpectations,
      violations: this.violations,
      ...(this.firstFailure === undefined ? {} : { firstFailure: this.firstFailure }),
      ...(this.inputError === undefined ? {} : { inputError: this.inputError }),
      live: liveSummary(this.currentWorld()),
      stoppedEarly: this.stopped,
    };
  }
}

/** Replays an in-memory or generated log; input errors thrown by the reader are caught too. */
export function replayItems(
  items: Iterable<LogItem>,
  options: ReplayOptions = {},
): { summary: ReplaySummary; world: World } {
  const replayer = new Replayer(options);
  try {
    for (const item of items) if (!replayer.feed(item)) break;
  } catch (error) {
    if (!(error instanceof LogInputError)) throw error;
    replayer.fail(error);
  }
  return { summary: replayer.summary(), world: replayer.currentWorld() };
}

export async function replayStream(
  items: AsyncIterable<LogItem>,
  options: ReplayOptions = {},
): Promise<{ summary: ReplaySummary; world: World }> {
  const replayer = new Replayer(options);
  try {
    for await (const item of items) if (!replayer.feed(item)) break;
  } catch (error) {
    if (!(error instanceof LogInputError)) throw error;
    replayer.fail(error);
  }
  return { summary: replayer.summary(), world: replayer.currentWorld() };
}

export function exitCodeOf(summary: ReplaySummary): 0 | 1 | 2 {
  if (summary.inputError !== undefined) return 2;
  return summary.firstFailure === undefined ? 0 : 1;
}
