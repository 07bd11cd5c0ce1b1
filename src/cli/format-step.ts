/** Human-readable and JSON renderings of replay steps and summaries. */

import { describeOutcome } from '../expect.ts';
import { INTEGRATION_TEXT } from '../model/integration.ts';
import type { ReplayStep, ReplaySummary } from '../replay.ts';
import { DEFAULT_QEMU_PROGRAM } from '../vmm/frontends.ts';

export interface StepTextOptions {
  /** Print the QEMU trace lines and error_report lines each event produced (`--trace`). */
  readonly trace?: boolean;
  /** The QEMU binary error_report names (the platform's: qemu-system-aarch64 on arm-smmuv3). */
  readonly program?: string;
}

export function formatStepText(step: ReplayStep, options: StepTextOptions = {}): string[] {
  const expect = step.event.expect;
  const mark =
    step.expectationFailure !== undefined ? '  FAIL' : expect !== undefined ? '  (as expected)' : '';
  const done = (step.outcome.done === undefined ? '' : ` done=${step.outcome.done}`) + writtenBack(step);
  const lines = [
    `${String(step.line).padStart(5)}  ${step.event.type.padEnd(24)} ${describeOutcome(step.outcome)}${done}${mark}`,
  ];
  if (options.trace === true) {
    for (const text of step.outcome.trace ?? []) lines.push(`       ${text}`);
    for (const text of step.outcome.messages ?? [])
      lines.push(`       ${options.program ?? DEFAULT_QEMU_PROGRAM}: ${text}`);
  }
  if (step.outcome.fatal !== undefined) lines.push(`       QEMU exited: ${step.outcome.fatal}`);
  if (step.expectationFailure !== undefined) lines.push(`       expectation: ${step.expectationFailure}`);
  for (const violation of step.violations)
    lines.push(`       invariant ${violation.invariant}: ${violation.message}`);
  return lines;
}

/** ` iova=0x...` for each value the ioctl wrote back; ranges as start..last. */
function writtenBack(step: ReplayStep): string {
  const out = step.outcome.out;
  if (out === undefined) return '';
  let text = '';
  for (const [field, value] of Object.entries(out)) {
    const shown = Array.isArray(value)
      ? `[${value.map((r) => `${r.start}..${r.last}`).join(',')}]`
      : String(value);
    text += ` ${field}=${shown}`;
  }
  return text;
}

export function stepJson(step: ReplayStep): unknown {
  return {
    line: step.line,
    type: step.event.type,
    outcome: step.outcome,
    ...(step.event.expect === undefined ? {} : { expect: step.event.expect }),
    ...(step.expectationFailure === undefined ? {} : { expectationFailure: step.expectationFailure }),
    violations: step.violations,
  };
}

export function formatSummaryText(file: string, summary: ReplaySummary): string[] {
  const lines: string[] = [];
  if (summary.inputError !== undefined) {
    lines.push(
      `${file}: bad input: ${summary.inputError.message}; nothing after line ${summary.inputError.line} was applied`,
    );
    return lines;
  }
  const verdict =
    summary.firstFailure === undefined
      ? 'all expectations and invariants hold'
      : `FAILED at line ${summary.firstFailure.line}: ${summary.firstFailure.message}`;
  lines.push(
    `${file}: ${summary.events} events, ${summary.failedExpectations} failed expectations, ${summary.violations} invariant violations: ${verdict}`,
  );
  const live = summary.live.map(
    (object) => `${object.type} ${object.id}${object.state ? ` (${object.state})` : ''}`,
  );
  lines.push(`live objects: ${live.length === 0 ? 'none' : live.join(', ')}`);
  if (summary.integrations !== undefined) {
    const plugs = summary.integrations.map(
      (plug) => `${plug.dev} (line ${plug.line}) ${INTEGRATION_TEXT[plug.integration]}`,
    );
    lines.push(`VFIO integration: ${plugs.join(', ')}`);
  }
  return lines;
}
