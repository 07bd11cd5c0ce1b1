/**
 * `replay LOG --expect-trace FILE`: streams the real trace (only its host-operation records are
 * kept, so a multi-GB trace of mappings fits) and compares it with the lines the replay predicted.
 * Status: 0 they match, 1 a difference, 2 the trace cannot be read.
 */
import { stat } from 'node:fs/promises';
import { firstDifference, formatDifferential, isHostRecord, type PredictedLine } from './differential.ts';
import { readTraceBatches } from './read.ts';
import type { TraceRecord } from './records.ts';

export async function expectTraceReport(
  predicted: readonly PredictedLine[],
  file: string,
): Promise<{ readonly lines: string[]; readonly status: 0 | 1 | 2 }> {
  const traced: TraceRecord[] = [];
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
    for await (const batch of readTraceBatches(file))
      for (const item of batch)
        if (item.kind === 'event' && isHostRecord(item.record)) traced.push(item.record);
  } catch (error) {
    return { lines: [`--expect-trace: cannot read ${file}: ${(error as Error).message}`], status: 2 };
  }
  const result = firstDifference(predicted, traced);
  return { lines: formatDifferential(result, file), status: result.difference === undefined ? 0 : 1 };
}
