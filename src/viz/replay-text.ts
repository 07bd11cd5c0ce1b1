/**
 * The text timeline of a replay, for terminals and mail: one line per event (log line, event as
 * written, outcome, expectation mark), then indented `|` lines for the host operations it caused,
 * QEMU's trace lines and messages, and what failed. `#` lines open and close it.
 *
 *     7  vfio.attach dev=dev0 pt_id=$s2                      -> ok with ID 4  (as expected)
 *        | host  iommufd.hwpt_alloc dev_id=1 pt_id=2 ... -> ok ID 5
 *        | trace iommufd_backend_alloc_hwpt iommufd=3 ...
 *        | FAIL  invariant pin-count-matches: IOAS 2 has users 1 but 2 references pin it
 */

import type { LogItem } from '../log/read.ts';
import type { Platform } from '../log/schema.ts';
import type { ReplayStep, ReplaySummary } from '../replay.ts';
import type { ExpectedTrace, StepTraceSides } from './expected-trace.ts';
import { platformText, type ReplayRecord, replayKeeping } from './replay-collect.ts';
import {
  describeEvent,
  describeHostOp,
  describeStepOutcome,
  failureLines,
  hostOpsShown,
  qemuMessages,
  traceLines,
} from './replay-describe.ts';
import { MAX_FRAMES } from './step-window.ts';

const EVENT_WIDTH = 52;
const INDENT = ' '.repeat(7);

function mark(step: ReplayStep): string {
  if (step.expectationFailure !== undefined) return '  FAIL';
  if (step.violations.length > 0) return '  INVARIANT FAILED';
  return step.event.expect === undefined ? '' : '  (as expected)';
}

export function stepToText(step: ReplayStep): string[] {
  const event = describeEvent(step);
  const lines = [
    `${String(step.line).padStart(5)}  ${event.padEnd(EVENT_WIDTH)} -> ${describeStepOutcome(step)}${mark(step)}`,
  ];
  for (const op of hostOpsShown(step)) lines.push(`${INDENT}| host  ${describeHostOp(op)}`);
  for (const trace of traceLines(step)) lines.push(`${INDENT}| trace ${trace}`);
  for (const message of qemuMessages(step)) lines.push(`${INDENT}| qemu  ${message}`);
  for (const failure of failureLines(step)) lines.push(`${INDENT}| FAIL  ${failure}`);
  return lines;
}

export function summaryText(record: Pick<ReplayRecord, 'summary'>): string {
  const { summary } = record;
  if (summary.inputError !== undefined) {
    const field = summary.inputError.field === undefined ? '' : ` (${summary.inputError.field})`;
    return `# bad input at line ${summary.inputError.line}${field}: ${summary.inputError.message}; nothing after it was applied`;
  }
  const verdict =
    summary.firstFailure === undefined
      ? 'all expectations and invariants hold'
      : `first failure at line ${summary.firstFailure.line}: ${summary.firstFailure.message}`;
  return `# ${summary.events} events, ${summary.failedExpectations} failed expectations, ${summary.violations} invariant violations: ${verdict}`;
}

const SIDES_NOTE: Readonly<Record<StepTraceSides['mark'], string>> = {
  match: 'matches',
  'first-difference': 'FIRST DIFFERENCE',
  after: 'after the first difference, paired by position only',
};

/**
 * `--expect-trace`: the model's host operations (`model`) over the real trace's at the same
 * positions (`qemu`, with its trace line), the first difference marked `DIFF`.
 */
export function traceSidesToText(sides: StepTraceSides): string[] {
  const lines = [`${INDENT}| expect-trace: ${SIDES_NOTE[sides.mark]}`];
  for (const row of sides.rows) {
    lines.push(`${INDENT}|   model ${row.model ?? '(predicts nothing more)'}`);
    lines.push(
      `${INDENT}|   qemu  ${row.traced === undefined ? '(the trace has no more host operations)' : `L${row.traced.line} ${row.traced.raw}`}`,
    );
    if (row.first)
      lines.push(`${INDENT}| DIFF  ${row.fields.length > 0 ? row.fields.join('; ') : 'first difference'}`);
  }
  return lines;
}

/** The lines of one event, with its `--expect-trace` rows when there are any. */
export function stepWithTraceText(step: ReplayStep, expected: ExpectedTrace | undefined): string[] {
  const lines = stepToText(step);
  const sides = expected?.byLine.get(step.line);
  if (sides !== undefined) lines.push(...traceSidesToText(sides));
  return lines;
}

/** The `--expect-trace` report under the summary, as `#` lines. */
export function expectedTraceText(expected: ExpectedTrace | undefined): string[] {
  return expected === undefined ? [] : expected.report.map((line) => `# ${line.trim()}`);
}

/** The whole timeline as one string, ending in a newline. */
export function replayToText(record: ReplayRecord): string {
  if (record.window !== undefined && record.steps.length < record.window.total)
    throw new Error('replayToText needs every step: stream a long log with TextTimeline instead');
  const lines = [`# ${record.name}: ${platformText(record.platform)}, ${record.steps.length} events`];
  for (const step of record.steps) lines.push(...stepWithTraceText(step, record.expected));
  lines.push(summaryText(record), ...expectedTraceText(record.expected));
  return `${lines.join('\n')}\n`;
}

export interface StreamedTimeline {
  readonly summary: ReplaySummary;
  readonly platform: Platform | undefined;
  /** Writes what is still held (a short log's lines) and the closing `#` lines. */
  readonly end: () => void;
}

/**
 * The timeline of a log of any length, written line by line as the replay goes, so nothing grows
 * with the log. The first `cap` events are held back so a short log's opening line can state its
 * event count exactly as replayToText does; a longer log's opening says so and the count is on the
 * summary line. Nothing is written after the replay until `end()` (the caller may refuse an empty log).
 */
export function streamTextTimeline(
  items: Iterable<LogItem>,
  name: string,
  write: (line: string) => void,
  expected?: ExpectedTrace,
  cap: number = MAX_FRAMES,
): StreamedTimeline {
  let held: string[] | null = [];
  let count = 0;
  const opening = (platform: Platform | undefined, events: string) =>
    `# ${name}: ${platformText(platform)}, ${events}`;
  const { summary, platform } = replayKeeping(items, (step, platformSeen) => {
    count += 1;
    const lines = stepWithTraceText(step, expected);
    if (held === null) {
      for (const line of lines) write(line);
      return;
    }
    held.push(...lines);
    if (count <= cap) return;
    write(opening(platformSeen, `more than ${cap} events (counted on the last line)`));
    for (const line of held) write(line);
    held = null;
  });
  const end = () => {
    if (held !== null) {
      write(opening(platform, `${count} events`));
      for (const line of held) write(line);
      held = null;
    }
    write(summaryText({ summary }));
    for (const line of expectedTraceText(expected)) write(line);
  };
  return { summary, platform, end };
}
