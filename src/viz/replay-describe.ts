/**
 * Short words for one replay step, shared by the text timeline, the Mermaid diagram and the HTML
 * viewer: the event with its arguments, who sent it, each host operation and its answer, the QEMU
 * trace lines, and what failed.
 *
 * Fields that only some frontends produce (`trace`, `messages` and `fatal` on the outcome,
 * `injected` or `trace` on a host-op record) are read as optional data by name, so this file needs
 * no frontend's types and keeps working as frontends add them.
 */
import { describeOutcome } from '../expect.ts';
import { type HostOpRecord, isKernelEvent } from '../model/protocol.ts';
import type { ReplayStep } from '../replay.ts';

/** Who sends an event: the operator straight to iommufd, the guest to the vIOMMU, or the operator to QEMU. */
export type Sender = 'user-kernel' | 'guest' | 'user-qemu';

const GUEST_PREFIXES = ['vtd.', 'smmu.', 'guest.'];

export function senderOf(step: ReplayStep): Sender {
  if (isKernelEvent(step.event)) return 'user-kernel';
  return GUEST_PREFIXES.some((prefix) => step.event.type.startsWith(prefix)) ? 'guest' : 'user-qemu';
}

function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `key=value` for every field but those named; values stay as written in the log. */
function fieldsText(record: Readonly<Record<string, unknown>>, skip: readonly string[]): string {
  return Object.entries(record)
    .filter(([key, value]) => !skip.includes(key) && value !== undefined)
    .map(([key, value]) => `${key}=${valueText(value)}`)
    .join(' ');
}

/** `vfio.attach dev=dev0 pt_id=$ioas as=auto`: the event as written, without its expectation. */
export function describeEvent(step: ReplayStep): string {
  const args = fieldsText(step.event as Readonly<Record<string, unknown>>, ['type', 'expect']);
  return args === '' ? step.event.type : `${step.event.type} ${args}`;
}

/** `ok`, `ok with ID 3`, `EBUSY`, plus ` done=N` when the kernel wrote a count back. */
export function describeStepOutcome(step: ReplayStep): string {
  const done = step.outcome.done === undefined ? '' : ` done=${step.outcome.done}`;
  return `${describeOutcome(step.outcome)}${done}`;
}

export function describeHostOp(record: HostOpRecord): string {
  const op = fieldsText(record.op as unknown as Readonly<Record<string, unknown>>, ['type']);
  const outcome = record.outcome.ok
    ? record.outcome.id === undefined
      ? 'ok'
      : `ok ID ${record.outcome.id}`
    : record.outcome.errno;
  const injected = (record as { injected?: unknown }).injected === true ? ' (injected failure)' : '';
  return `${record.op.type}${op === '' ? '' : ` ${op}`} -> ${outcome}${injected}`;
}

/** The host operations an event caused; a kernel-level event's own single op is the event itself. */
export function hostOpsShown(step: ReplayStep): readonly HostOpRecord[] {
  const ops = step.outcome.hostOps;
  if (isKernelEvent(step.event) && ops.length === 1 && ops[0]?.op.type === step.event.type) return [];
  return ops;
}

function stringsAt(record: unknown, key: string): string[] {
  if (typeof record !== 'object' || record === null) return [];
  const value = (record as Record<string, unknown>)[key];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** QEMU trace lines of the step: the outcome's own, then any carried by host-op records. */
export function traceLines(step: ReplayStep): string[] {
  return [
    ...stringsAt(step.outcome, 'trace'),
    ...step.outcome.hostOps.flatMap((op) => stringsAt(op, 'trace')),
  ];
}

/** QEMU's error_report text and a fatal exit, when the frontend reports them. */
export function qemuMessages(step: ReplayStep): string[] {
  return [
    ...stringsAt(step.outcome, 'messages'),
    ...stringsAt(step.outcome, 'fatal').map((text) => `QEMU exited: ${text}`),
  ];
}

/** The expectation failure first, then each failing invariant: `invariant NAME: message`. */
export function failureLines(step: ReplayStep): string[] {
  return [
    ...(step.expectationFailure === undefined ? [] : [`expectation: ${step.expectationFailure}`]),
    ...step.violations.map((violation) => `invariant ${violation.invariant}: ${violation.message}`),
  ];
}

export function stepFailed(step: ReplayStep): boolean {
  return step.expectationFailure !== undefined || step.violations.length > 0;
}
