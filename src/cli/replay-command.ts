/**
 * `viommu-model replay LOG [--check] [--json] [--quiet] [--trace] [--itf FILE]`: a step listing (with `--trace`, the
 * QEMU trace lines of each step; `--json` always carries them in `outcome.trace`) or JSON lines, and a
 * summary. Exit 0 when every expectation and invariant holds, 1 when one fails (naming the line), 2 on
 * bad input (naming line and field; nothing after it is applied) or a log with no events (nothing was
 * checked). `-` reads the log from stdin.
 */
import { writeItfOfLogFile } from '../explore/itf-file.ts';
import type { KernelRevision } from '../log/fields.ts';
import { inputName, inputProblem, STDIN } from '../log/input.ts';
import type { LogItem } from '../log/read.ts';
import type { Platform } from '../log/schema.ts';
import { readLogBatches } from '../log/worker-batches.ts';
import { exitCodeOf, type ReplayStep, replayBatches } from '../replay.ts';
import type { PredictedLine } from '../trace/differential.ts';
import { expectTraceReport } from '../trace/differential-file.ts';
import { qemuProgram } from '../vmm/frontends.ts';
import type { ParsedCommand } from './command.ts';
import { formatStepText, formatSummaryText, stepJson } from './format-step.ts';
import { type CommandIo, UsageError } from './io.ts';
import { jsonEnvelope } from './json-envelope.ts';
import { startProgress } from './progress.ts';
import { renderFailure } from './render-options.ts';
import { paint } from './style.ts';

export async function runReplay(input: ParsedCommand, io: CommandIo): Promise<number> {
  const file = input.operands[0]!;
  const problem = inputProblem(file);
  if (problem !== undefined) {
    io.stderr(`${file}: ${problem}`);
    return 2;
  }
  const json = input.flag('json');
  const quiet = input.flag('quiet');
  const trace = input.flag('trace');
  const check = input.flag('check');
  // --expect-trace: the host operations predicted by each step, compared with a real trace at the end.
  const expectTrace = input.string('expect-trace');
  if (file === STDIN && expectTrace === STDIN)
    throw new UsageError('stdin cannot be both the log and the trace: give LOG or --expect-trace as a file');
  const predicted: PredictedLine[] = [];
  const progress = startProgress(io, 'replay', { quiet });
  let events = 0;
  const failure = (text: string) => paint(text, 'red', io.colour?.stdout);
  const onStep = (step: ReplayStep) => {
    progress.update(++events, step.line);
    if (expectTrace !== undefined)
      for (const text of step.outcome.trace ?? []) predicted.push({ logLine: step.line, text });
    if (json) io.stdout(JSON.stringify(stepJson(step)));
    else if (step.expectationFailure !== undefined || step.violations.length > 0) {
      for (const line of formatStepText(step, { trace, program: qemuProgram(seen.platform) }))
        io.stdout(failure(line));
    } else if (!quiet)
      for (const line of formatStepText(step, { trace, program: qemuProgram(seen.platform) }))
        io.stdout(line);
  };
  // stdin can be read once: its items are kept for the rendering of a failure.
  const kept: LogItem[] | undefined = file === STDIN ? [] : undefined;
  const seen: Seen = { platform: undefined };
  // A large file is parsed on a worker thread, so this thread only steps.
  const batches = watchItems(readLogBatches(file), seen, kept);
  const { summary } = await replayBatches(batches, { stopAtFirstFailure: check, onStep });
  progress.done();
  const name = inputName(file);
  const nothingChecked = summary.inputError === undefined && summary.events === 0;
  const exit = nothingChecked ? 2 : exitCodeOf(summary);
  if (json)
    io.stdout(
      JSON.stringify({ ...jsonEnvelope(seen.platform, seen.kernel), summary: { file, exit, ...summary } }),
    );
  if (nothingChecked) {
    io.stderr(`${name}: no events: nothing was checked (a log needs at least one event line)`);
    return 2;
  }
  if (!json)
    for (const line of formatSummaryText(name, summary)) (summary.inputError ? io.stderr : io.stdout)(line);
  const itf = input.string('itf');
  if (itf !== undefined && summary.inputError === undefined) {
    await writeItfOfLogFile(file, itf, kept);
    io.stderr(`ITF trace: ${itf}`);
  }
  if (check && exitCodeOf(summary) === 1) await renderFailure(input, kept ?? file, io);
  if (expectTrace !== undefined && summary.inputError === undefined) {
    const differential = await expectTraceReport(predicted, expectTrace);
    for (const line of differential.lines) (differential.status === 0 && !json ? io.stdout : io.stderr)(line);
    return Math.max(exitCodeOf(summary), differential.status);
  }
  return exitCodeOf(summary);
}

interface Seen {
  platform: Platform | undefined;
  kernel?: KernelRevision;
}

/** Notes the header's platform (for the JSON baselines) and keeps stdin's items. */
async function* watchItems(
  batches: AsyncIterable<LogItem[]>,
  seen: Seen,
  kept: LogItem[] | undefined,
): AsyncGenerator<LogItem[]> {
  for await (const batch of batches) {
    // A header without a platform is VT-d, as initialWorld reads it.
    for (const item of batch)
      if (item.kind === 'header') {
        seen.platform = item.header.platform ?? { viommu: 'intel-iommu' };
        seen.kernel = item.header.kernel; // the JSON baselines name the revision the log follows
      }
    kept?.push(...batch);
    yield batch;
  }
}
