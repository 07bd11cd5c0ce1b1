/**
 * `viommu-model viz replay LOG [--format text|mermaid|html] [--out FILE] [--expect-trace TRACE]`
 *
 * Renders a replay: a text timeline (the default), a Mermaid sequence diagram, or the HTML step
 * viewer (which needs `--out`: it is a page to open, not text to read; `--out -` is stdout). The
 * log is replayed to its end, past failures, so the rendering shows them all. `--expect-trace`
 * adds the replay differential of `replay --expect-trace` per event (expected-trace.ts).
 * Exit codes follow `replay`: 0 all holds, 1 an expectation or invariant failed or the trace
 * differs (the rendering is still written: that is when it is wanted most), 2 bad usage, a missing
 * file, bad input, or a log with no events (nothing was checked, so nothing is rendered).
 */
import { writeFile } from 'node:fs/promises';
import type { ParsedCommand } from '../cli/command.ts';
import { type CommandIo, UsageError } from '../cli/io.ts';
import { inputName, inputProblem, STDIN } from '../log/input.ts';
import { exitCodeOf } from '../replay.ts';
import type { PredictedLine } from '../trace/differential.ts';
import { readTracedHostOps } from '../trace/differential-file.ts';
import { type ExpectedTrace, expectedTrace } from './expected-trace.ts';
import { logName, readLogItems, replayForView } from './replay-collect.ts';
import { VIZ_REPLAY_FORMATS, type VizReplayFormat } from './replay-formats.ts';
import { replayToHtml } from './replay-html.ts';
import { replayToMermaid } from './replay-mermaid.ts';
import { replayToText } from './replay-text.ts';

function isFormat(name: string): name is VizReplayFormat {
  return (VIZ_REPLAY_FORMATS as readonly string[]).includes(name);
}

export async function runVizReplay(input: ParsedCommand, io: CommandIo): Promise<number> {
  const format = input.string('format') ?? 'text';
  const out = input.string('out');
  const traceFile = input.string('expect-trace');
  const file = input.operands[0]!;
  if (!isFormat(format))
    throw new UsageError(`unknown format "${format}"; valid formats: ${VIZ_REPLAY_FORMATS.join(', ')}`);
  if (format === 'html' && out === undefined)
    throw new UsageError('--format html needs --out FILE (one self-contained page; --out - for stdout)');
  if (file === STDIN && traceFile === STDIN)
    throw new UsageError('stdin cannot be both the log and the trace: give LOG or --expect-trace as a file');
  for (const path of traceFile === undefined ? [file] : [file, traceFile]) {
    const problem = inputProblem(path);
    if (problem !== undefined) {
      io.stderr(`${path}: ${problem}`);
      return 2;
    }
  }
  const items = readLogItems(file);
  // --expect-trace: the trace lines each step printed, as replay --expect-trace collects them.
  const predicted: PredictedLine[] = [];
  const { summary, platform, steps } = replayForView(
    items,
    traceFile === undefined
      ? undefined
      : (step) => {
          for (const text of step.outcome.trace ?? []) predicted.push({ logLine: step.line, text });
        },
  );
  if (summary.inputError === undefined && summary.events === 0) {
    io.stderr(`${inputName(file)}: no events: nothing was checked (a log needs at least one event line)`);
    return 2;
  }
  let expected: ExpectedTrace | undefined;
  if (traceFile !== undefined && summary.inputError === undefined) {
    const traced = await readTracedHostOps(traceFile);
    if (!Array.isArray(traced)) {
      io.stderr(traced.error);
      return 2;
    }
    expected = expectedTrace(predicted, traced, traceFile, steps.at(-1)?.line ?? 0);
  }
  const record = { name: logName(file), platform, steps, summary, ...(expected ? { expected } : {}) };
  const rendered =
    format === 'html'
      ? await replayToHtml(items, record.name, record)
      : format === 'mermaid'
        ? replayToMermaid(record)
        : replayToText(record);
  if (out === undefined || out === '-') io.stdout(rendered.replace(/\n$/, ''));
  else {
    try {
      await writeFile(out, rendered);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error)) throw error;
      io.stderr(`viz replay: cannot write ${out}: ${error.message}`);
      return 2;
    }
    io.stdout(`wrote ${out}`);
  }
  if (summary.inputError !== undefined)
    io.stderr(`${file}: bad input at line ${summary.inputError.line}: ${summary.inputError.message}`);
  const differs = expected?.result.difference !== undefined;
  // The rendering may be on stdout: the differential's report goes to stderr then, as a difference always does.
  for (const line of expected?.report ?? [])
    (differs || out === undefined || out === '-' ? io.stderr : io.stdout)(line);
  return Math.max(exitCodeOf(summary), differs ? 1 : 0);
}
