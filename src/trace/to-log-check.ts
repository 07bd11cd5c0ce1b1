/**
 * `trace to-log --check`: replays a converted log through the kernel model in memory and compares
 * every step with what the real kernel answered in the trace: a different ID, success where the
 * kernel failed or the reverse, a different errno. The comparison reads the conversion's own list
 * of traced results rather than the log's `expect`s, because a `(-1)` in the trace means "failed,
 * errno unknown", which the log contract cannot say (an `expect` names one errno or none).
 * Each disagreement names both lines: the trace line and the log line it became.
 */
import { describeOutcome } from '../expect.ts';
import { parseLogText } from '../log/read.ts';
import type { StepOutcome } from '../model/protocol.ts';
import { type ReplayStep, type ReplaySummary, replayItems } from '../replay.ts';
import type { Conversion, ConvertedEvent, Traced } from './to-log.ts';

export type DisagreementKind =
  | 'id'
  | 'success-vs-failure'
  | 'errno'
  | 'inferred-refused'
  | 'invariant'
  | 'not-replayed';

export interface Disagreement {
  readonly kind: DisagreementKind;
  readonly traceLine: number;
  readonly logLine: number;
  readonly message: string;
}

export interface AgreementReport {
  readonly compared: number;
  readonly disagreements: readonly Disagreement[];
  readonly summary: ReplaySummary;
}

function describeTraced(traced: Traced): string {
  if (traced.ok) return traced.id === undefined ? 'success' : `success with ID ${traced.id}`;
  return traced.errno === undefined ? 'failure (errno not traced)' : `failure with ${traced.errno}`;
}

/** Why the model's outcome differs from the traced one, or undefined when they agree. */
export function compareOutcome(
  traced: Traced,
  outcome: StepOutcome,
): { kind: DisagreementKind; why: string } | undefined {
  const model = describeOutcome(outcome);
  if (traced.ok !== outcome.ok)
    return {
      kind: 'success-vs-failure',
      why: `the real kernel: ${describeTraced(traced)}; the model: ${model}`,
    };
  if (traced.ok && traced.id !== undefined && outcome.id !== traced.id)
    return { kind: 'id', why: `the real kernel returned ID ${traced.id}; the model: ${model}` };
  if (!traced.ok && traced.errno !== undefined && outcome.errno !== traced.errno)
    return { kind: 'errno', why: `the real kernel failed with ${traced.errno}; the model: ${model}` };
  return undefined;
}

function where(event: ConvertedEvent): string {
  return `trace line ${event.traceLine}, log line ${event.logLine}: ${event.event.type}`;
}

export function checkConversion(conversion: Conversion): AgreementReport {
  const steps = new Map<number, ReplayStep>();
  const { summary } = replayItems(parseLogText(conversion.text), {
    onStep: (step) => steps.set(step.line, step),
  });
  const disagreements: Disagreement[] = [];
  const add = (kind: DisagreementKind, event: ConvertedEvent, why: string) =>
    disagreements.push({
      kind,
      traceLine: event.traceLine,
      logLine: event.logLine,
      message: `${where(event)}: ${why}`,
    });
  let compared = 0;
  for (const event of conversion.events) {
    const step = steps.get(event.logLine);
    if (step === undefined) {
      const input = summary.inputError;
      const why =
        input === undefined
          ? 'not replayed'
          : `not replayed: the replay stopped at log line ${input.line} (${input.message})`;
      add('not-replayed', event, why);
      break; // everything after it is unreplayed for the same reason
    }
    if (event.traced !== undefined) {
      compared += 1;
      const difference = compareOutcome(event.traced, step.outcome);
      if (difference !== undefined) add(difference.kind, event, difference.why);
    } else if (!step.outcome.ok) {
      add(
        'inferred-refused',
        event,
        `the model refused this untraced step (${describeOutcome(step.outcome)})`,
      );
    }
    for (const violation of step.violations)
      add('invariant', event, `invariant ${violation.invariant}: ${violation.message}`);
  }
  return { compared, disagreements, summary };
}

export function formatAgreement(report: AgreementReport, file: string): string[] {
  const lines = report.disagreements.map((d) => `${file}: ${d.message}`);
  const verdict =
    report.disagreements.length === 0
      ? 'the model agrees with the traced kernel'
      : `${report.disagreements.length} disagreement(s) between the traced kernel and the model`;
  lines.push(`${file}: ${report.compared} traced results compared: ${verdict}`);
  return lines;
}
