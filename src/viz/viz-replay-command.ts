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
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import type { ParsedCommand } from '../cli/command.ts';
import { type CommandIo, UsageError } from '../cli/io.ts';
import { inputName, inputProblem, STDIN } from '../log/input.ts';
import { exitCodeOf, type ReplayStep, type ReplaySummary } from '../replay.ts';
import type { PredictedLine } from '../trace/differential.ts';
import { readTracedHostOps } from '../trace/differential-file.ts';
import { type ExpectedTrace, expectedTrace } from './expected-trace.ts';
import { collectReplay, logName, readLogItems } from './replay-collect.ts';
import { VIZ_REPLAY_FORMATS, type VizReplayFormat } from './replay-formats.ts';
import { replayToHtml } from './replay-html.ts';
import { replayToMermaid } from './replay-mermaid.ts';
import { streamTextTimeline } from './replay-text.ts';
import { MAX_FRAMES } from './step-window.ts';

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
  const name = logName(file);
  const toStdout = out === undefined || out === '-';
  // The file is opened before the replay, so a path that cannot be written costs nothing.
  let sink: FileSink | undefined;
  if (!toStdout) {
    try {
      sink = new FileSink(out);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error)) throw error;
      io.stderr(`viz replay: cannot write ${out}: ${error.message}`);
      return 2;
    }
  }
  const opened = sink;
  const write = opened === undefined ? io.stdout : (line: string) => opened.line(line);
  try {
    // --expect-trace: the trace lines each step printed, as replay --expect-trace collects them.
    const predicted: PredictedLine[] = [];
    const collect = (step: ReplayStep) => {
      for (const text of step.outcome.trace ?? []) predicted.push({ logLine: step.line, text });
    };
    // Only the window of steps the renderers show is kept (a text timeline streams instead).
    const needsWindow = format !== 'text' || traceFile !== undefined;
    let record = needsWindow
      ? collectReplay(items, name, MAX_FRAMES, traceFile === undefined ? undefined : collect)
      : undefined;
    const empty = (summary: ReplaySummary) => summary.inputError === undefined && summary.events === 0;
    if (record !== undefined && empty(record.summary)) return nothingChecked(file, io);
    let expected: ExpectedTrace | undefined;
    if (record !== undefined && traceFile !== undefined && record.summary.inputError === undefined) {
      const traced = await readTracedHostOps(traceFile);
      if (!Array.isArray(traced)) {
        io.stderr(traced.error);
        return 2;
      }
      expected = expectedTrace(predicted, traced, traceFile, record.steps.at(-1)?.line ?? 0);
      record = { ...record, expected };
    }
    let summary: ReplaySummary;
    if (format === 'text') {
      const timeline = streamTextTimeline(items, name, write, expected);
      if (empty(timeline.summary)) return nothingChecked(file, io);
      timeline.end();
      summary = timeline.summary;
    } else {
      const shown = record!;
      const rendered = format === 'html' ? await replayToHtml(items, name, shown) : replayToMermaid(shown);
      write(rendered.replace(/\n$/, ''));
      summary = shown.summary;
    }
    sink?.close();
    sink = undefined;
    if (!toStdout) io.stdout(`wrote ${out}`);
    if (summary.inputError !== undefined)
      io.stderr(`${file}: bad input at line ${summary.inputError.line}: ${summary.inputError.message}`);
    const differs = expected?.result.difference !== undefined;
    // The rendering may be on stdout: the differential's report goes to stderr then, as a difference always does.
    for (const line of expected?.report ?? []) (differs || toStdout ? io.stderr : io.stdout)(line);
    return Math.max(exitCodeOf(summary), differs ? 1 : 0);
  } finally {
    // Still open: the command gave up before its rendering was whole, so no file is left behind.
    if (sink !== undefined && out !== undefined) {
      sink.close();
      rmSync(out, { force: true });
    }
  }
}

function nothingChecked(file: string, io: CommandIo): number {
  io.stderr(`${inputName(file)}: no events: nothing was checked (a log needs at least one event line)`);
  return 2;
}

/** Lines written to a file in 64 KiB writes, synchronously (the timeline streams from a sync replay). */
class FileSink {
  private readonly fd: number;
  private pending: string[] = [];
  private bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  line(text: string): void {
    this.pending.push(text);
    this.bytes += text.length + 1;
    if (this.bytes >= 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, `${this.pending.join('\n')}\n`);
    this.pending = [];
    this.bytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
