/**
 * `viommu-model trace to-log FILE [--out LOG] [--check] [--allow-partial]`: converts a QEMU trace to
 * an event log (to-log.ts) and, with --check, replays it and reports where the model and the traced
 * kernel disagree (to-log-check.ts). Without --out the log goes to stdout and the summary to stderr.
 * Exit: 0 converted (and, with --check, agreeing); 1 a disagreement; 2 bad usage, unreadable input,
 * or a trace that cannot be converted faithfully (several iommufd contexts, a partial log).
 */
import { stat, writeFile } from 'node:fs/promises';
import type { CommandIo } from '../cli/io.ts';
import { TraceInputError } from './read.ts';
import { type Conversion, ConversionRefused, traceFileToLog } from './to-log.ts';
import { checkConversion, formatAgreement } from './to-log-check.ts';

export const TRACE_TO_LOG_USAGE = `usage: viommu-model trace to-log FILE [--out LOG] [--check] [--allow-partial]
  Converts a QEMU trace (-trace 'iommufd*' ...) of one iommufd context into an event log of
  kernel-level events, each after a "# line N:" comment with its trace line.
  --out LOG        write the log there (default: stdout, unless --check)
  --check          replay the log through the kernel model in memory and report every disagreement
                   with the trace, naming the trace line and the log line
  --allow-partial  convert a trace that starts mid-run, skipping events on objects it never allocates
  Exit status: 0 converted (and agreeing), 1 a disagreement, 2 bad usage or unconvertible input.`;

interface Options {
  file: string;
  out: string | undefined;
  check: boolean;
  allowPartial: boolean;
}

function parse(args: readonly string[]): Options | string {
  const files: string[] = [];
  let out: string | undefined;
  let check = false;
  let allowPartial = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--check') check = true;
    else if (arg === '--allow-partial') allowPartial = true;
    else if (arg === '--out' || arg.startsWith('--out=')) {
      out = arg === '--out' ? args[++i] : arg.slice('--out='.length);
      if (out === undefined || out === '') return '--out needs a file name';
    } else if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
    else files.push(arg);
  }
  const file = files[0];
  if (file === undefined || files.length > 1) return `expected exactly one FILE, got ${files.length}`;
  return { file, out, check, allowPartial };
}

function summaryLine(file: string, conversion: Conversion, out: string | undefined): string {
  const partial =
    conversion.partial.length === 0 ? '' : `, ${conversion.partial.length} partial uses created or skipped`;
  return `${file}: ${conversion.events.length} events from ${conversion.traceLines} trace lines (driver ${conversion.driver}, ${conversion.mappings} map/unmap converted${partial})${out === undefined ? '' : ` written to ${out}`}`;
}

export async function traceToLogCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout(TRACE_TO_LOG_USAGE);
    return 0;
  }
  const options = parse(args);
  if (typeof options === 'string') {
    io.stderr(`trace to-log: ${options}\n${TRACE_TO_LOG_USAGE}`);
    return 2;
  }
  const { file, out } = options;
  let conversion: Conversion;
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
    conversion = await traceFileToLog(file, { allowPartial: options.allowPartial });
  } catch (error) {
    if (error instanceof ConversionRefused)
      io.stderr(`trace to-log: ${file}: cannot convert: ${error.message}`);
    else {
      const why = error instanceof TraceInputError ? error.message : (error as Error).message;
      io.stderr(`trace to-log: cannot read ${file}: ${why}`);
    }
    return 2;
  }
  if (out !== undefined) await writeFile(out, conversion.text);
  const summary = summaryLine(file, conversion, out);
  if (!options.check) {
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
