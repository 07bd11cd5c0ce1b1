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

import type { ReplayStep } from '../replay.ts';
import { platformText, type ReplayRecord } from './replay-collect.ts';
import {
  describeEvent,
  describeHostOp,
  describeStepOutcome,
  failureLines,
  hostOpsShown,
  qemuMessages,
  traceLines,
} from './replay-describe.ts';

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

export function summaryText(record: ReplayRecord): string {
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

/** The whole timeline as one string, ending in a newline. */
export function replayToText(record: ReplayRecord): string {
  const lines = [`# ${record.name}: ${platformText(record.platform)}, ${record.steps.length} events`];
  for (const step of record.steps) lines.push(...stepToText(step));
  lines.push(summaryText(record));
  return `${lines.join('\n')}\n`;
}
