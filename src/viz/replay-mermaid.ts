/**
 * A Mermaid `sequenceDiagram` of a replay, made for counterexamples: who sent each event (the guest
 * to the vIOMMU, the operator to QEMU, or the operator straight to iommufd for kernel-level
 * events), the host operations QEMU issued and iommufd's answers, the outcome as a reply, and each
 * failure as a note inside a red box. Messages are cut at a fixed width to keep the diagram short,
 * except failure notes, which wrap instead: the values an invariant names are the point of them.
 * At most MAX_FRAMES steps are drawn (the viewer's window around the first failure), with a note
 * saying how many were left out.
 */
import type { ReplayStep } from '../replay.ts';
import type { ExpectedTrace, StepTraceSides } from './expected-trace.ts';
import {
  firstFailureIndex,
  platformText,
  type ReplayRecord,
  stepCount,
  stepsBetween,
} from './replay-collect.ts';
import {
  describeEvent,
  describeHostOp,
  describeStepOutcome,
  failureLines,
  hostOpsShown,
  qemuMessages,
  type Sender,
  senderOf,
  stepFailed,
  traceLines,
} from './replay-describe.ts';
import { frameWindow, MAX_FRAMES } from './replay-frames.ts';

const WIDTH = 90;
const MAX_TRACE = 3;

const ENTITIES: Readonly<Record<string, string>> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;' };

/** Mermaid reads `;` as a line end and `#...;` as an entity; `"` is swapped for `'` to stay readable. */
export function sequenceText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/"/g, "'");
  const cut = flat.length > WIDTH ? `${flat.slice(0, WIDTH - 1)}…` : flat;
  return cut.replace(/[#;<>]/g, (ch) => ENTITIES[ch] ?? ch);
}

/** The whole text, escaped, in lines of at most WIDTH characters (split at spaces where it can). */
export function wrappedSequenceText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/"/g, "'");
  const lines: string[] = [];
  let rest = flat;
  while (rest.length > WIDTH) {
    const space = rest.lastIndexOf(' ', WIDTH);
    const cut = space > WIDTH / 2 ? space : WIDTH;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines.map((line) => line.replace(/[#;<>]/g, (ch) => ENTITIES[ch] ?? ch)).join('<br/>');
}

const FROM: Readonly<Record<Sender, string>> = { 'user-kernel': 'U', guest: 'G', 'user-qemu': 'U' };
const TO: Readonly<Record<Sender, string>> = { 'user-kernel': 'K', guest: 'Q', 'user-qemu': 'Q' };

/**
 * `--expect-trace`: the event holding the first difference gets a note with both sides (the model's
 * line and QEMU's, the fields that differ) in an orange box; matching events need nothing more,
 * their host operations are already drawn.
 */
function traceDifferenceLines(sides: StepTraceSides | undefined): string[] {
  if (sides?.mark !== 'first-difference') return [];
  const row = sides.rows.find((r) => r.first);
  if (row === undefined) return [];
  const parts = [
    'expect-trace FIRST DIFFERENCE',
    `model: ${row.model ?? '(predicts nothing more)'}`,
    `qemu: ${row.traced === undefined ? '(the trace has no more host operations)' : `L${row.traced.line} ${row.traced.raw}`}`,
    ...row.fields,
  ];
  const note = `  Note over Q,K: ${parts.map((part) => wrappedSequenceText(part)).join('<br/>')}`;
  return ['  rect rgb(255, 236, 204)', `  ${note}`, '  end'];
}

function stepLines(step: ReplayStep, expected?: ExpectedTrace): string[] {
  const sender = senderOf(step);
  const from = FROM[sender];
  const to = TO[sender];
  const lines = [`  ${from}->>${to}: ${sequenceText(`L${step.line} ${describeEvent(step)}`)}`];
  if (to === 'Q') {
    for (const op of hostOpsShown(step)) {
      const [call, answer] = describeHostOp(op).split(' -> ') as [string, string | undefined];
      lines.push(`  Q->>K: ${sequenceText(call)}`, `  K-->>Q: ${sequenceText(answer ?? '')}`);
    }
    const trace = traceLines(step);
    const more = trace.length > MAX_TRACE ? [`(${trace.length - MAX_TRACE} more trace lines)`] : [];
    const notes = [...trace.slice(0, MAX_TRACE), ...more, ...qemuMessages(step)];
    // One note per step, a line per trace line: the trace reads as QEMU's log would.
    if (notes.length > 0)
      lines.push(`  Note right of Q: ${notes.map((text) => sequenceText(text.trim())).join('<br/>')}`);
  }
  lines.push(`  ${to}-->>${from}: ${sequenceText(describeStepOutcome(step))}`);
  for (const failure of failureLines(step))
    lines.push(`  Note over ${from},K: ${wrappedSequenceText(`FAIL ${failure}`)}`);
  const difference = traceDifferenceLines(expected?.byLine.get(step.line));
  if (!stepFailed(step)) return [...lines, ...difference];
  return ['  rect rgb(255, 228, 228)', ...lines.map((line) => `  ${line}`), '  end', ...difference];
}

export function replayToMermaid(record: ReplayRecord, cap: number = MAX_FRAMES): string {
  const total = stepCount(record);
  const [start, end] = frameWindow(total, firstFailureIndex(record), cap);
  const lines = [
    'sequenceDiagram',
    `  %% ${sequenceText(`${record.name}: ${platformText(record.platform)}, ${total} events`)}`,
    '  actor U as user',
    '  participant G as Guest',
    '  participant Q as QEMU/vIOMMU',
    '  participant K as iommufd',
  ];
  if (start > 0)
    lines.push(`  Note over U,K: ${sequenceText(`events 1 to ${start} left out (a cap of ${cap} steps)`)}`);
  for (const step of stepsBetween(record, start, end)) lines.push(...stepLines(step, record.expected));
  if (end < total)
    lines.push(
      `  Note over U,K: ${sequenceText(`events ${end + 1} to ${total} left out (a cap of ${cap} steps)`)}`,
    );
  const input = record.summary.inputError;
  if (input !== undefined) {
    lines.push(
      `  Note over U,K: ${wrappedSequenceText(`bad input at line ${input.line}: ${input.message}`)}`,
    );
  } else if (record.summary.firstFailure === undefined) {
    lines.push(`  Note over U,K: ${sequenceText('all expectations and invariants hold')}`);
  }
  for (const report of record.expected?.report ?? [])
    lines.push(`  Note over U,K: ${wrappedSequenceText(report.trim())}`);
  return `${lines.join('\n')}\n`;
}
