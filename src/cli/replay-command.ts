/**
 * `viommu-model replay LOG [--check] [--json] [--trace]`: a step listing (with `--trace`, the QEMU trace
 * lines of each step; `--json` always carries them in `outcome.trace`) or JSON lines, and a summary.
 * Exit 0 when every expectation and invariant holds, 1 when one fails (naming the line), 2 on bad
 * input (naming line and field; nothing after it is applied).
 */
import { existsSync, statSync } from 'node:fs';
import { writeItfOfLogFile } from '../explore/itf-file.ts';
import { readLogFileBatches } from '../log/read.ts';
import { exitCodeOf, type ReplayStep, replayBatches } from '../replay.ts';
import type { PredictedLine } from '../trace/differential.ts';
import { expectTraceReport } from '../trace/differential-file.ts';
import { defaultCounterexampleDir, renderCounterexample } from '../viz/counterexample.ts';
import { formatStepText, formatSummaryText, stepJson } from './format-step.ts';
import { type CommandIo, parseArgs } from './io.ts';

export const REPLAY_USAGE =
  'usage: viommu-model replay LOG [--check] [--json] [--quiet] [--trace] [--expect-trace QEMU_TRACE] [--itf FILE]';

export async function replayCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { positionals, flags } = parseArgs(
    args,
    ['--check', '--json', '--quiet', '--trace'],
    ['--expect-trace', '--itf'],
  );
  if (positionals.length !== 1) {
    io.stderr(REPLAY_USAGE);
    return 2;
  }
  const file = positionals[0]!;
  if (!existsSync(file) || !statSync(file).isFile()) {
    io.stderr(`${file}: no such log file`);
    return 2;
  }
  const json = flags.has('--json');
  const quiet = flags.has('--quiet');
  const trace = flags.has('--trace');
  // --expect-trace: the host operations predicted by each step, compared with a real trace at the end.
  const expectTrace = flags.get('--expect-trace');
  const predicted: PredictedLine[] = [];
  const onStep = (step: ReplayStep) => {
    if (typeof expectTrace === 'string')
      for (const text of step.outcome.trace ?? []) predicted.push({ logLine: step.line, text });
    if (json) io.stdout(JSON.stringify(stepJson(step)));
    else if (!quiet || step.expectationFailure !== undefined || step.violations.length > 0) {
      for (const line of formatStepText(step, { trace })) io.stdout(line);
    }
  };
  const { summary } = await replayBatches(readLogFileBatches(file), {
    stopAtFirstFailure: flags.has('--check'),
    onStep,
  });
  if (json) io.stdout(JSON.stringify({ summary: { file, exit: exitCodeOf(summary), ...summary } }));
  else
    for (const line of formatSummaryText(file, summary)) (summary.inputError ? io.stderr : io.stdout)(line);
  const itf = flags.get('--itf');
  if (typeof itf === 'string' && summary.inputError === undefined) {
    await writeItfOfLogFile(file, itf);
    io.stderr(`ITF trace: ${itf}`);
  }
  if (flags.has('--check') && exitCodeOf(summary) === 1) {
    // A failed check comes with its counterexample drawn (on stderr, so --json output stays JSON).
    const rendered = await renderCounterexample(file, defaultCounterexampleDir());
    io.stderr(`rendered: ${rendered.html} ${rendered.mermaid}`);
  }
  if (typeof expectTrace === 'string' && summary.inputError === undefined) {
    const differential = await expectTraceReport(predicted, expectTrace);
    for (const line of differential.lines) (differential.status === 0 && !json ? io.stdout : io.stderr)(line);
    return Math.max(exitCodeOf(summary), differential.status);
  }
  return exitCodeOf(summary);
}
