/**
 * `viommu-model trace to-log FILE [--out LOG] [--check] [--allow-partial]`: converts a QEMU trace to
 * an event log (to-log.ts) and, with --check, replays it and reports where the model and the traced
 * kernel disagree (to-log-check.ts). Without --out the log goes to stdout and the summary to stderr.
 * Exit: 0 converted (and, with --check, agreeing); 1 a disagreement; 2 bad usage, unreadable input,
 * or a trace that cannot be converted faithfully (several iommufd contexts, a partial log).
 */
import { writeFile } from 'node:fs/promises';
import type { ParsedCommand } from '../cli/command.ts';
import type { CommandIo } from '../cli/io.ts';
import { startProgress } from '../cli/progress.ts';
import { inputName, inputProblem } from '../log/input.ts';
import { TraceInputError } from './read.ts';
import { type Conversion, ConversionRefused, traceFileToLog } from './to-log.ts';
import { checkConversion, formatAgreement } from './to-log-check.ts';

function summaryLine(file: string, conversion: Conversion, out: string | undefined): string {
  const partial =
    conversion.partial.length === 0 ? '' : `, ${conversion.partial.length} partial uses created or skipped`;
  return `${file}: ${conversion.events.length} events from ${conversion.traceLines} trace lines (driver ${conversion.driver}, ${conversion.mappings} map/unmap converted${partial})${out === undefined ? '' : ` written to ${out}`}`;
}

export async function runTraceToLog(input: ParsedCommand, io: CommandIo): Promise<number> {
  const file = input.operands[0]!;
  const out = input.string('out');
  const problem = inputProblem(file);
  if (problem !== undefined) {
    io.stderr(`trace to-log: cannot read ${file}: ${problem}`);
    return 2;
  }
  const progress = startProgress(io, 'trace to-log', {
    quiet: input.flag('quiet'),
    unit: 'lines',
    clockEvery: 1,
  });
  let conversion: Conversion;
  try {
    conversion = await traceFileToLog(file, { allowPartial: input.flag('allow-partial') }, (lines) =>
      progress.update(lines, lines),
    );
    progress.done();
  } catch (error) {
    progress.done();
    if (error instanceof ConversionRefused)
      io.stderr(`trace to-log: ${inputName(file)}: cannot convert: ${error.message}`);
    else {
      const why = error instanceof TraceInputError ? error.message : (error as Error).message;
      io.stderr(`trace to-log: cannot read ${file}: ${why}`);
    }
    return 2;
  }
  if (out !== undefined) {
    try {
      await writeFile(out, conversion.text);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error)) throw error;
      io.stderr(`trace to-log: cannot write ${out}: ${error.message}`);
      return 2;
    }
  }
  const summary = summaryLine(inputName(file), conversion, out);
  if (!input.flag('check')) {
    // The log itself is the output: the summary must not mix into it.
    if (out === undefined) io.stdout(conversion.text.trimEnd());
    (out === undefined ? io.stderr : io.stdout)(summary);
    return 0;
  }
  const report = checkConversion(conversion);
  io.stdout(summary);
  for (const line of formatAgreement(report, file)) io.stdout(line);
  return report.disagreements.length === 0 ? 0 : 1;
}
