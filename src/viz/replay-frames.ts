/**
 * The data the HTML viewer embeds: one frame per step with the step's words (event, outcome, host
 * operations, trace, failures) and only what changed in the World since the step before (objects
 * set or deleted, VMM paths set or deleted). The page rebuilds any step's World by applying frames
 * from a full base snapshot, so the file grows with the changes, not with steps times objects.
 *
 * At most MAX_FRAMES steps are kept: the first ones, or a window ending a little after the first
 * failure when that lies further in. The page states the cap when it applies.
 */

import type { LogItem } from '../log/read.ts';
import type { Header } from '../log/schema.ts';
import { initialWorld, type World } from '../model/world.ts';
import { type ReplayStep, replayItems } from '../replay.ts';
import type { StepTraceSides, TraceSidesMark } from './expected-trace.ts';
import { firstFailureIndex, platformText, type ReplayRecord, stepCount } from './replay-collect.ts';
import * as say from './replay-describe.ts';
import type { VmmInstance } from './replay-machines.ts';
import { summaryText } from './replay-text.ts';
import { type ObjectRow, type WorldView, worldView } from './replay-view.ts';
import { frameWindow, MAX_FRAMES } from './step-window.ts';

// The window rule lives with the streaming keeper of steps (step-window.ts); exported here as before.
export { afterFailure, frameWindow, MAX_FRAMES } from './step-window.ts';

export interface Changes {
  os?: ObjectRow[];
  od?: number[];
  vs?: [string, string][];
  vd?: string[];
  vi?: readonly VmmInstance[];
  w?: string;
}

export interface Frame extends Changes {
  /** Log line, event as written, sender, outcome, expectation mark (`ok`, `FAIL`, `INV` or ''). */
  l: number;
  e: string;
  s: say.Sender;
  o: string;
  k: string;
  h?: string[];
  t?: string[];
  f?: string[];
  /** `--expect-trace`: this event's host operations, the model's next to the real trace's. */
  x?: FrameTraceSides;
}

export interface FrameTraceSides {
  k: TraceSidesMark;
  /** Model line, trace line number and text; `d`: the first difference's differing fields. */
  r: { m?: string; l?: number; t?: string; d?: readonly string[] }[];
}

export interface ViewerData {
  name: string;
  platform: string;
  summary: string;
  events: number;
  /** Index in the log's steps of frame 0. */
  start: number;
  /** Frame index of the first failure, -1 when nothing failed (or it lies outside the frames). */
  failure: number;
  note: string | null;
  base: Changes;
  frames: Frame[];
  /** `--expect-trace`: the report, and the frame of the first difference (-1: none, or outside the frames). */
  expected: { file: string; report: readonly string[]; difference: number } | null;
}

function diff(prev: WorldView | null, next: WorldView): Changes {
  const changes: Changes = {};
  const os = [...next.objects.values()].filter((row) => {
    const old = prev?.objects.get(row.id);
    return old === undefined || JSON.stringify(old) !== JSON.stringify(row);
  });
  const od = [...(prev?.objects.keys() ?? [])].filter((id) => !next.objects.has(id));
  const vs = [...next.vmm].filter(([path, value]) => prev?.vmm.get(path) !== value);
  const vd = [...(prev?.vmm.keys() ?? [])].filter((path) => !next.vmm.has(path));
  if (os.length > 0) changes.os = os;
  if (od.length > 0) changes.od = od;
  if (vs.length > 0) changes.vs = vs;
  if (vd.length > 0) changes.vd = vd;
  if (prev === null || JSON.stringify(prev.instances) !== JSON.stringify(next.instances))
    changes.vi = next.instances;
  if (prev?.kernel !== next.kernel) changes.w = next.kernel;
  return changes;
}

function frameSides(sides: StepTraceSides): FrameTraceSides {
  return {
    k: sides.mark,
    r: sides.rows.map((row) => ({
      ...(row.model === undefined ? {} : { m: row.model }),
      ...(row.traced === undefined ? {} : { l: row.traced.line, t: row.traced.raw }),
      ...(row.first ? { d: row.fields } : {}),
    })),
  };
}

function frameOf(step: ReplayStep, changes: Changes, sides?: StepTraceSides): Frame {
  const mark = step.expectationFailure !== undefined ? 'FAIL' : step.violations.length > 0 ? 'INV' : '';
  const frame: Frame = {
    l: step.line,
    e: say.describeEvent(step),
    s: say.senderOf(step),
    o: say.describeStepOutcome(step),
    k: mark === '' && step.event.expect !== undefined ? 'ok' : mark,
    ...changes,
  };
  const hostOps = say.hostOpsShown(step).map(say.describeHostOp);
  const trace = [...say.traceLines(step), ...say.qemuMessages(step)];
  const failures = say.failureLines(step);
  if (hostOps.length > 0) frame.h = hostOps;
  if (trace.length > 0) frame.t = trace;
  if (failures.length > 0) frame.f = failures;
  if (sides !== undefined) frame.x = frameSides(sides);
  return frame;
}

function expectedOfFrames(record: ReplayRecord, frames: readonly Frame[]): ViewerData['expected'] {
  const expected = record.expected;
  if (expected === undefined) return null;
  const line = expected.differenceLine;
  return {
    file: expected.file,
    report: expected.report,
    difference: line === undefined ? -1 : frames.findIndex((frame) => frame.l === line),
  };
}

/** Replays `items` again (the same log `record` came from) and snapshots the Worlds of the window. */
export function buildViewerData(
  items: Iterable<LogItem>,
  record: ReplayRecord,
  cap: number = MAX_FRAMES,
): ViewerData {
  const failureAt = firstFailureIndex(record);
  const total = stepCount(record);
  const [start, end] = frameWindow(total, failureAt, cap);
  let header: Header = { log: 'viommu-model', version: 1 };
  let index = 0;
  const watched = function* (): Generator<LogItem> {
    for (const item of items) {
      // Nothing past the window is drawn: the replay can end there.
      if (index >= end) return;
      if (item.kind === 'header') header = item.header;
      yield item;
    }
  };
  let prev: WorldView | null = null;
  let base: Changes = {};
  const frames: Frame[] = [];
  const onStep = (step: ReplayStep, snapshot: () => World) => {
    if (index === 0 && start === 0) base = diff(null, (prev = worldView(initialWorld(header))));
    if (index >= start && index < end) {
      const view = worldView(snapshot());
      frames.push(frameOf(step, diff(prev, view), record.expected?.byLine.get(step.line)));
      prev = view;
    } else if (index === start - 1) base = diff(null, (prev = worldView(snapshot())));
    index += 1;
  };
  replayItems(watched(), { onStep });
  if (total === 0) base = diff(null, worldView(initialWorld(header)));
  const shown = end - start;
  const note =
    shown < total
      ? `This log has ${total} events; the viewer keeps ${shown} of them (events ${start + 1} to ${end}), a cap of ${cap} to keep the file small. The text timeline (--format text) lists every event.`
      : null;
  return {
    name: record.name,
    platform: platformText(record.platform),
    summary: summaryText(record).replace(/^# /, ''),
    events: total,
    start,
    failure: failureAt >= start && failureAt < end ? failureAt - start : -1,
    note,
    base,
    frames,
    expected: expectedOfFrames(record, frames),
  };
}
