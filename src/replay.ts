/**
 * Replay: fold a log through `reduce`, check every invariant after every event and every `expect`.
 * Input errors (LogInputError) stop the replay at their line: nothing after a bad line is applied.
 */

import { expectationFailure } from './expect.ts';
import { type Invariant, invariantsFor, type Violation } from './invariants/index.ts';
import { liveObjects } from './kernel/table.ts';
import { LogInputError } from './log/errors.ts';
import type { LogItem } from './log/read.ts';
import type { LogEvent } from './log/schema.ts';
import { type CheckedStep, type CheckedStepper, createCheckedStepper } from './model/checked-step.ts';
import { type PlugIntegration, plugIntegration } from './model/integration.ts';
import type { StepOutcome } from './model/protocol.ts';
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
  /** Each vfio.plug's VFIO integration; only for logs where a plug met an IOMMU memory region (seed 004). */
  readonly integrations?: readonly PlugIntegration[];
}

export interface ReplayOptions {
  readonly invariants?: readonly Invariant[];
  readonly stopAtFirstFailure?: boolean;
  /** Called after every event; `world()` builds a frozen snapshot of the World after it (on demand). */
  readonly onStep?: (step: ReplayStep, world: () => World) => void;
  /** Also check every invariant over the whole World every N events (1: a full check after every event). */
  readonly fullCheckEvery?: number;
}

export function liveSummary(world: World): LiveObjectSummary[] {
  return [...liveObjects(world.kernel)].map((object) => ({
    id: object.id,
    type: object.type,
    users: object.users,
    ...('m' in object ? { state: object.m.value } : {}),
  }));
}

/** Adds the violations a full check found that the step did not report (a gap in incremental checking). */
function mergeFull(reported: readonly Violation[], full: readonly Violation[]): Violation[] {
  const seen = new Set(reported.map((v) => `${v.invariant}\n${v.message}`));
  const missing = full.filter((v) => !seen.has(`${v.invariant}\n${v.message}`));
  return missing.length === 0 ? (reported as Violation[]) : [...reported, ...missing];
}

const NONE_REPORTED: ReadonlySet<string> = new Set();

/** Steps one log item at a time through the checked path, so sync arrays and async streams share the same code. */
export class Replayer {
  private stepper: CheckedStepper | undefined;
  private events = 0;
  private failedExpectations = 0;
  private violations = 0;
  private firstFailure: ReplaySummary['firstFailure'];
  private inputError: ReplaySummary['inputError'];
  private stopped = false;
  private lastLine = 0;
  /** The violations the last step reported, as `invariant\nmessage` keys. */
  private lastReported: ReadonlySet<string> = NONE_REPORTED;
  private finished = false;
  private readonly integrations: PlugIntegration[] = [];
  /** A plug met an IOMMU memory region: the summary lists the integrations. */
  private listenerMet = false;
  private readonly snapshot = (): World => this.ensureStepper().snapshot();

  constructor(private readonly options: ReplayOptions = {}) {}

  private ensureStepper(): CheckedStepper {
    this.stepper ??= this.start(initialWorld({ log: 'viommu-model', version: 1 }));
    return this.stepper;
  }

  private start(world: World): CheckedStepper {
    return createCheckedStepper(world, {
      invariants: this.options.invariants ?? invariantsFor(world),
      mode: this.options.fullCheckEvery === 1 ? 'full' : 'incremental',
    });
  }

  /** Returns false once the replay has stopped (input error, or first failure in check mode). */
  feed(item: LogItem): boolean {
    if (this.stopped) return false;
    if (item.kind === 'header') {
      this.stepper = this.start(initialWorld(item.header, item.line));
      return true;
    }
    const stepper = this.ensureStepper();
    const input = { line: item.line, event: item.event };
    let checked: CheckedStep;
    try {
      checked = stepper.step(input);
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      this.fail(error);
      return false;
    }
    this.events += 1;
    this.lastLine = item.line;
    const every = this.options.fullCheckEvery;
    const violations =
      every !== undefined && every > 1 && this.events % every === 0
        ? mergeFull(checked.violations, stepper.fullCheck())
        : checked.violations;
    this.record(item.line, item.event, checked.outcome, violations);
    return !this.stopped;
  }

  private record(
    line: number,
    event: LogEvent,
    outcome: StepOutcome,
    violations: readonly Violation[],
  ): void {
    const failure = expectationFailure(event.expect, outcome);
    this.lastReported =
      violations.length === 0
        ? NONE_REPORTED
        : new Set(violations.map((v) => `${v.invariant}\n${v.message}`));
    // The step record is built only for a consumer (the in-memory replays often have none).
    const { onStep } = this.options;
    if (onStep !== undefined) {
      const step: ReplayStep = {
        line,
        event,
        outcome,
        violations,
        ...(failure === undefined ? {} : { expectationFailure: failure }),
      };
      onStep(step, this.snapshot);
    }
    const plugged = plugIntegration(line, event, outcome);
    if (plugged !== null) this.integrations.push(plugged);
    if (outcome.integration !== undefined) this.listenerMet = true;
    this.violations += violations.length;
    if (failure !== undefined) this.failedExpectations += 1;
    if ((failure !== undefined || violations.length > 0) && this.firstFailure === undefined) {
      const message = failure ?? `invariant ${violations[0]!.invariant}: ${violations[0]!.message}`;
      this.firstFailure = { line, message };
      if (this.options.stopAtFirstFailure === true) this.stopped = true;
    }
  }

  /** The full check at the end: a state violation no step reported is a gap in incremental checking. */
  private finish(): void {
    if (this.finished || this.stepper === undefined || this.inputError !== undefined || this.events === 0)
      return;
    this.finished = true;
    const missing = this.stepper
      .fullCheck()
      .filter((v) => !this.lastReported.has(`${v.invariant}\n${v.message}`));
    if (missing.length === 0) return;
    this.violations += missing.length;
    this.firstFailure ??= {
      line: this.lastLine,
      message: `invariant ${missing[0]!.invariant} (full check at the end): ${missing[0]!.message}`,
    };
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
    return this.ensureStepper().snapshot();
  }

  summary(): ReplaySummary {
    this.finish();
    return {
      events: this.events,
      failedExpectations: this.failedExpectations,
      violations: this.violations,
      ...(this.firstFailure === undefined ? {} : { firstFailure: this.firstFailure }),
      ...(this.inputError === undefined ? {} : { inputError: this.inputError }),
      live: liveSummary(this.ensureStepper().current),
      stoppedEarly: this.stopped,
      ...(this.listenerMet ? { integrations: this.integrations.slice() } : {}),
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

/** Replays a stream of batches of log items (fewer awaits than one item at a time: the file reader's fast path). */
export async function replayBatches(
  batches: AsyncIterable<readonly LogItem[]>,
  options: ReplayOptions = {},
): Promise<{ summary: ReplaySummary; world: World }> {
  const replayer = new Replayer(options);
  try {
    outer: for await (const batch of batches) for (const item of batch) if (!replayer.feed(item)) break outer;
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
