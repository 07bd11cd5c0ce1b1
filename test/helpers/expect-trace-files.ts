/**
 * Real-trace stand-ins for `--expect-trace` tests: the QEMU lines the model prints for a log
 * (`replay --trace`), written as a trace file as QEMU would, and a copy with one host operation's
 * result changed, so the first difference is known.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayTraceOutput } from './replay-trace.ts';

/** The QEMU lines of a replay --trace output (indented under their event). */
export function qemuLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^ {7}[a-z]/.test(line))
    .map((line) => line.slice(7));
}

export interface TraceFiles {
  readonly dir: string;
  /** The model's own trace: matches. */
  readonly same: string;
  /** The `nth` iommufd_backend_alloc_hwpt line's out_hwpt raised by one (and its attach left alone). */
  readonly changed: string;
  /** The trace line number (1-based) that was changed. */
  readonly changedLine: number;
}

export async function traceFilesOf(log: string, nth: number): Promise<TraceFiles> {
  const lines = qemuLines((await replayTraceOutput(log)).text);
  const dir = mkdtempSync(join(tmpdir(), 'expect-trace-'));
  const same = join(dir, 'same.trace');
  const changed = join(dir, 'changed.trace');
  writeFileSync(same, `${lines.join('\n')}\n`);
  const allocs = lines.flatMap((line, index) =>
    line.startsWith('iommufd_backend_alloc_hwpt ') ? [index] : [],
  );
  const at = allocs[nth];
  if (at === undefined) throw new Error(`${log} has no alloc_hwpt number ${nth}`);
  const edited = lines.slice();
  edited[at] = edited[at]!.replace(/out_hwpt=(\d+)/, (_m, id: string) => `out_hwpt=${Number(id) + 1}`);
  writeFileSync(changed, `${edited.join('\n')}\n`);
  return { dir, same, changed, changedLine: at + 1 };
}
