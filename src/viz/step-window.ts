/**
 * The steps a rendering needs, kept while a replay streams past: the renderers show at most `cap`
 * steps (replay-frames.ts frameWindow: the first ones, or a window ending a little after the first
 * failure), so only those are kept. The first `cap` steps are held; past them, a ring of the last
 * `cap` steps is held until the window's end is known (AFTER_FAILURE steps after the first failed
 * step). Memory is bounded by 2 × cap steps whatever the log's length.
 */
import type { ReplayStep } from '../replay.ts';
import { stepFailed } from './replay-describe.ts';

/** The most steps a rendering shows (the HTML viewer's frames, the Mermaid diagram's messages). */
export const MAX_FRAMES = 5000;
const AFTER_FAILURE = 100;

/** How many steps a window keeps after the first failure. */
export function afterFailure(cap: number): number {
  return Math.min(AFTER_FAILURE, Math.floor(cap / 10));
}

export function frameWindow(events: number, failure: number, cap: number = MAX_FRAMES): [number, number] {
  const after = afterFailure(cap);
  if (events <= cap || failure < cap - after) return [0, Math.min(events, cap)];
  const end = Math.min(events, failure + after);
  return [end - cap, end];
}

export interface KeptSteps {
  /** The log's index of `steps[0]`. */
  readonly start: number;
  readonly steps: readonly ReplayStep[];
  /** How many steps the replay made in all. */
  readonly total: number;
}

export class StepWindow {
  private readonly head: ReplayStep[] = [];
  /** The last `cap` steps past the head, oldest at `ringStart`. */
  private readonly ring: ReplayStep[] = [];
  private ringStart = 0;
  /** The log's index of the newest step in the ring. */
  private ringLast = -1;
  private count = 0;
  /** Index of the first step that failed, once seen. */
  private failedAt: number | undefined;

  constructor(private readonly cap: number) {}

  push(step: ReplayStep): void {
    const index = this.count++;
    if (this.failedAt === undefined && stepFailed(step)) this.failedAt = index;
    if (index < this.cap) {
      this.head.push(step);
      return;
    }
    // The window is the head when the failure lies early enough, and ends AFTER_FAILURE past a later one.
    const after = afterFailure(this.cap);
    if (this.failedAt !== undefined && (this.failedAt < this.cap - after || index >= this.failedAt + after))
      return;
    if (this.ring.length < this.cap) this.ring.push(step);
    else {
      this.ring[this.ringStart] = step;
      this.ringStart = (this.ringStart + 1) % this.cap;
    }
    this.ringLast = index;
  }

  /**
   * The kept window; `failureLine` is the summary's first failure (which the full check at the end
   * may add on the last step without the step itself failing).
   */
  kept(failureLine: number | undefined): KeptSteps {
    const ring = [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
    const ringFirst = this.ringLast - ring.length + 1;
    const at = (index: number): ReplayStep | undefined =>
      index < this.head.length ? this.head[index] : ring[index - ringFirst];
    let failure = -1;
    if (failureLine !== undefined) {
      const inHead = this.head.findIndex((step) => step.line === failureLine);
      const inRing = ring.findIndex((step) => step.line === failureLine);
      failure = inHead >= 0 ? inHead : inRing >= 0 ? ringFirst + inRing : -1;
    }
    const [start, end] = frameWindow(this.count, failure, this.cap);
    const steps: ReplayStep[] = [];
    for (let index = start; index < end; index++) {
      const step = at(index);
      if (step === undefined) throw new Error(`StepWindow: step ${index} of the window was not kept (a bug)`);
      steps.push(step);
    }
    return { start, steps, total: this.count };
  }
}
