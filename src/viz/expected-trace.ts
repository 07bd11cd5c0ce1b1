/**
 * `viz replay LOG --expect-trace TRACE`: the replay differential of `replay --expect-trace`
 * (src/trace/differential.ts) laid out per event, for the renderers. Each event gets the host
 * operations the model predicted for it next to the trace records at the same positions, which is
 * how firstDifference pairs them; the event holding the first difference is marked, and what
 * follows it is labelled as paired by position only (after a difference the two may have drifted).
 * Trace records past the model's last prediction go with the event of the difference. Inside a
 * block of several devices whose order QEMU leaves undefined, the rows of a matching event may pair
 * the devices differently (firstDifference compares that block as a set).
 */
import {
  type DifferentialResult,
  differingFields,
  firstDifference,
  formatDifferential,
  type PredictedLine,
  predictedRecords,
} from '../trace/differential.ts';
import type { TraceRecord } from '../trace/records.ts';

/** How an event's rows compare: all matched, holds the first difference, or comes after it. */
export type TraceSidesMark = 'match' | 'first-difference' | 'after';

export interface TraceRow {
  /** The model's trace line (undefined: the model predicts nothing at this position). */
  readonly model?: string;
  /** The real trace's line and its number (undefined: the trace has ended). */
  readonly traced?: { readonly line: number; readonly raw: string };
  /** This row is the first difference. */
  readonly first: boolean;
  /** For the first difference: the fields that differ (`out_hwpt: predicted 7, traced 8`). */
  readonly fields: readonly string[];
}

export interface StepTraceSides {
  readonly mark: TraceSidesMark;
  readonly rows: readonly TraceRow[];
}

export interface ExpectedTrace {
  /** The trace file as the user named it. */
  readonly file: string;
  readonly result: DifferentialResult;
  /** The report `replay --expect-trace` prints, line for line. */
  readonly report: readonly string[];
  /** The log line of the event holding the first difference; undefined when they match. */
  readonly differenceLine?: number;
  /** Per log line, only for events that predicted or were paired with host operations. */
  readonly byLine: ReadonlyMap<number, StepTraceSides>;
}

/**
 * `predicted` are the trace lines of every step in order (as `replay --expect-trace` collects
 * them); `lastLine` is the log line of the last event, which takes trailing trace records when
 * the model predicted nothing at all.
 */
export function expectedTrace(
  predicted: readonly PredictedLine[],
  traced: readonly TraceRecord[],
  file: string,
  lastLine: number,
): ExpectedTrace {
  const result = firstDifference(predicted, traced);
  const model = predictedRecords(predicted);
  const matched = result.difference === undefined ? Number.POSITIVE_INFINITY : result.matched;
  const lineAt = (index: number): number =>
    index < model.length ? model[index]!.line.logLine : (model[model.length - 1]?.line.logLine ?? lastLine);
  const differenceLine = result.difference === undefined ? undefined : lineAt(result.matched);
  const rows = new Map<number, TraceRow[]>();
  const length = Math.max(model.length, traced.length);
  for (let index = 0; index < length; index++) {
    // Past the model's predictions the trace's extra records sit with the difference's event.
    const line = index < model.length ? lineAt(index) : (differenceLine ?? lineAt(index));
    const p = model[index];
    const t = traced[index];
    const first = index === matched;
    const row: TraceRow = {
      ...(p === undefined ? {} : { model: p.line.text }),
      ...(t === undefined ? {} : { traced: { line: t.line, raw: t.raw.trim() } }),
      first,
      fields: first && p !== undefined && t !== undefined ? differingFields(p.record, t) : [],
    };
    const list = rows.get(line);
    if (list === undefined) rows.set(line, [row]);
    else list.push(row);
  }
  const byLine = new Map<number, StepTraceSides>();
  for (const [line, list] of rows) {
    const mark: TraceSidesMark =
      differenceLine === undefined || line < differenceLine
        ? 'match'
        : line === differenceLine
          ? 'first-difference'
          : 'after';
    byLine.set(line, { mark, rows: list });
  }
  return {
    file,
    result,
    report: formatDifferential(result, file),
    ...(differenceLine === undefined ? {} : { differenceLine }),
    byLine,
  };
}
