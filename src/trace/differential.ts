/**
 * Differential check of a replay against a real run: the host operations the model predicts for a
 * guest-level log (the QEMU trace lines of each step) against the ones a real QEMU traced, in order,
 * up to the first difference. Pure: predicted lines and parsed trace items in, the first difference
 * out. Only iommufd host operations are compared (backend calls and VFIO attach/bind), because the
 * vIOMMU-side lines depend on how the guest was traced, and map/unmap are left out (the model has no
 * IOVA space). What is run-specific is ignored: the iommufd and device fds, pointers (`data_ptr=`),
 * device names, timestamps and line prefixes. IDs, flags, types and results are compared. The order
 * between devices within one event is not compared where QEMU's is undefined (hash-table walks).
 */
import type { TraceEventName } from './events.ts';
import { parseTraceLine } from './parse-line.ts';
import type { TraceItem, TraceRecord } from './records.ts';

/** A trace line the model printed, with the log line of the step that printed it. */
export interface PredictedLine {
  readonly logLine: number;
  readonly text: string;
}

export const HOST_EVENTS: ReadonlySet<TraceEventName> = new Set<TraceEventName>([
  'iommufd_backend_connect',
  'iommufd_backend_disconnect',
  'iommufd_backend_alloc_ioas',
  'iommufd_backend_alloc_hwpt',
  'iommufd_backend_free_id',
  'iommufd_backend_invalidate_cache',
  'iommufd_backend_alloc_viommu',
  'iommufd_backend_alloc_vdev',
  'iommufd_viommu_alloc_eventq',
  'iommufd_cdev_connect_and_bind',
  'iommufd_cdev_alloc_ioas',
  'iommufd_cdev_attach_ioas_hwpt',
  'iommufd_cdev_detach_ioas_hwpt',
  'iommufd_cdev_pasid_attach_ioas_hwpt',
  'iommufd_cdev_pasid_detach_ioas_hwpt',
]);

/** Record keys that are not values, and values that differ between runs of the same scenario. */
const NOT_COMPARED: ReadonlySet<string> = new Set([
  'event',
  'line',
  'raw',
  'variant',
  'pid',
  'time',
  'iommufd',
  'fd',
  'devfd',
  'name',
  'dataPtr',
  'veventqFd',
]);

export interface TraceDifference {
  /** The predicted line (undefined when the model predicts nothing more). */
  readonly predicted?: { readonly logLine: number; readonly text: string };
  /** The trace line (undefined when the trace ends first). */
  readonly trace?: { readonly line: number; readonly raw: string };
  readonly message: string;
}

export interface DifferentialResult {
  /** Host operations that matched before the first difference (all of them when there is none). */
  readonly matched: number;
  readonly difference?: TraceDifference;
}

export function isHostRecord(record: TraceRecord): boolean {
  return HOST_EVENTS.has(record.event);
}

/** The host-operation records of a parsed trace, in order (keep only these when streaming a big file). */
export function hostRecords(items: Iterable<TraceItem>): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const item of items) if (item.kind === 'event' && isHostRecord(item.record)) out.push(item.record);
  return out;
}

/** The predicted lines that are host operations, parsed, in order (the positions firstDifference compares). */
export function predictedRecords(
  predicted: readonly PredictedLine[],
): { line: PredictedLine; record: TraceRecord }[] {
  const out: { line: PredictedLine; record: TraceRecord }[] = [];
  predicted.forEach((line, index) => {
    const parsed = parseTraceLine(line.text, index + 1);
    if (parsed.kind === 'event' && isHostRecord(parsed.record)) out.push({ line, record: parsed.record });
  });
  return out;
}

/** A record key as QEMU prints it: `outHwpt` → `out_hwpt`. */
function label(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The fields both records carry (older formats lack some) whose values differ. */
export function differingFields(a: TraceRecord, b: TraceRecord): string[] {
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  return Object.keys(left)
    .filter((key) => !NOT_COMPARED.has(key) && key in right && left[key] !== right[key])
    .map((key) => `${label(key)}: predicted ${String(left[key])}, traced ${String(right[key])}`);
}

/** How many devices some records concern: the larger of the distinct dev_id/devid values and device names. */
function deviceCount(records: readonly TraceRecord[]): number {
  const ids = new Set<unknown>();
  const names = new Set<unknown>();
  for (const record of records) {
    const fields = record as unknown as Record<string, unknown>;
    if (fields.devId !== undefined) ids.add(fields.devId);
    if (fields.devid !== undefined) ids.add(fields.devid);
    if (fields.name !== undefined) names.add(fields.name);
  }
  return Math.max(ids.size, names.size);
}

/** Whether `traced` holds the same records as `model` in some order (each matched once). */
function samePermutation(model: readonly TraceRecord[], traced: readonly TraceRecord[]): boolean {
  if (model.length !== traced.length) return false;
  const unused = traced.slice();
  for (const record of model) {
    const at = unused.findIndex((t) => t.event === record.event && differingFields(record, t).length === 0);
    if (at < 0) return false;
    unused.splice(at, 1);
  }
  return true;
}

/**
 * The end of the block of records one log line predicts, when that block concerns several devices
 * and the trace holds the same records in another order: QEMU walks its devices in hash-table order
 * (vtd_address_spaces, vtd_host_iommu_dev), which is not defined, so that order is not compared.
 */
function reorderedDeviceBlockEnd(
  model: readonly { line: PredictedLine; record: TraceRecord }[],
  traced: readonly TraceRecord[],
  start: number,
): number | undefined {
  const logLine = model[start]?.line.logLine;
  if (logLine === undefined || (start > 0 && model[start - 1]!.line.logLine === logLine)) return undefined;
  let end = start;
  while (end < model.length && model[end]!.line.logLine === logLine) end++;
  const block = model.slice(start, end).map((m) => m.record);
  if (block.length < 2 || deviceCount(block) < 2) return undefined;
  return samePermutation(block, traced.slice(start, end)) ? end : undefined;
}

export function firstDifference(
  predicted: readonly PredictedLine[],
  traced: readonly TraceRecord[],
): DifferentialResult {
  const model = predictedRecords(predicted);
  const length = Math.max(model.length, traced.length);
  for (let i = 0; i < length; i++) {
    const reordered = reorderedDeviceBlockEnd(model, traced, i);
    if (reordered !== undefined) {
      i = reordered - 1;
      continue;
    }
    const p = model[i];
    const t = traced[i];
    const predictedAt = p === undefined ? {} : { predicted: { logLine: p.line.logLine, text: p.line.text } };
    const traceAt = t === undefined ? {} : { trace: { line: t.line, raw: t.raw.trim() } };
    let message: string | undefined;
    if (p === undefined)
      message = `the trace has ${t!.event} at line ${t!.line}; the model predicts no more host operations`;
    else if (t === undefined)
      message = `the model predicts ${p.record.event} (log line ${p.line.logLine}); the trace has no more host operations`;
    else if (p.record.event !== t.event)
      message = `log line ${p.line.logLine} predicts ${p.record.event}; trace line ${t.line} has ${t.event}`;
    else {
      const fields = differingFields(p.record, t);
      if (fields.length > 0)
        message = `log line ${p.line.logLine} and trace line ${t.line} (${t.event}) differ in ${fields.join('; ')}`;
    }
    if (message !== undefined) return { matched: i, difference: { ...predictedAt, ...traceAt, message } };
  }
  return { matched: length };
}

export function formatDifferential(result: DifferentialResult, traceFile: string): string[] {
  const { difference } = result;
  if (difference === undefined)
    return [`${traceFile}: the ${result.matched} host operations predicted by the model match the trace`];
  const lines = [
    `${traceFile}: first difference after ${result.matched} matching host operations: ${difference.message}`,
  ];
  if (difference.predicted !== undefined)
    lines.push(`  model (log line ${difference.predicted.logLine}): ${difference.predicted.text}`);
  if (difference.trace !== undefined)
    lines.push(`  trace (line ${difference.trace.line}): ${difference.trace.raw}`);
  return lines;
}
