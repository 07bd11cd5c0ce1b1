/**
 * `replay LOG --expect-trace FILE`: streams the real trace (only its host-operation records are
 * kept, so a multi-GB trace of mappings fits) and compares it with the lines the replay predicted.
 * Status: 0 they match, 1 a difference, 2 the trace cannot be read. `-` reads the trace from stdin.
 */
import { stat } from 'node:fs/promises';
import { STDIN } from '../log/input.ts';
import { firstDifference, formatDifferential, isHostRecord, type PredictedLine } from './differential.ts';
import { readTraceBatches } from './read.ts';
import type { TraceRecord } from './records.ts';

/** The host-operation records of a trace file (`-`: stdin), or why it cannot be read. */
export async function readTracedHostOps(file: string): Promise<TraceRecord[] | { readonly error: string }> {
  const traced: TraceRecord[] = [];
  try {
    if (file !== STDIN && !(await stat(file)).isFile()) throw new Error('not a regular file');
    for await (const batch of readTraceBatches(file))
      for (const item of batch)
        if (item.kind === 'event' && isHostRecord(item.record)) traced.push(item.record);
  } catch (error) {
    return { error: `--expect-trace: cannot read ${file}: ${(error as Error).message}` };
  }
  return traced;
}

export async function expectTraceReport(
  predicted: readonly PredictedLine[],
  file: string,
): Promise<{ readonly lines: string[]; readonly status: 0 | 1 | 2 }> {
  const traced = await readTracedHostOps(file);
  if (!Array.isArray(traced)) return { lines: [traced.error], status: 2 };
  const result = firstDifference(predicted, traced);
  return { lines: formatDifferential(result, file), status: result.difference === undefined ? 0 : 1 };
}
