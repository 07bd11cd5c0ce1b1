/**
 * `viommu-model viz replay LOG [--format text|mermaid|html] [--out FILE]`
 *
 * Renders a replay: a text timeline (the default), a Mermaid sequence diagram, or the HTML step
 * viewer (which needs `--out`: it is a page to open, not text to read). Without `--out` the text
 * goes to stdout. The log is replayed to its end, past failures, so the rendering shows them all.
 * Exit codes follow `replay`: 0 all holds, 1 an expectation or invariant failed (the rendering is
 * still written: that is when it is wanted most), 2 bad usage, a missing file or bad input.
 */
import { writeFile } from 'node:fs/promises';
import type { ParsedCommand } from '../cli/command.ts';
import { type CommandIo, UsageError } from '../cli/io.ts';
import { inputProblem } from '../log/input.ts';
import { exitCodeOf } from '../replay.ts';
import { collectReplay, logName, readLogItems } from './replay-collect.ts';
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
  if (!isFormat(format))
    throw new UsageError(`unknown format "${format}"; valid formats: ${VIZ_REPLAY_FORMATS.join(', ')}`);
  if (format === 'html' && out === undefined)
    throw new UsageError('--format html needs --out FILE (one self-contained page)');
  const file = input.operands[0]!;
  const problem = inputProblem(file);
  if (problem !== undefined) {
    io.stderr(`${file}: ${problem}`);
    return 2;
  }
  const items = readLogItems(file);
  const record = collectReplay(items, logName(file));
  const rendered =
    format === 'html'
      ? await replayToHtml(items, record.name, record)
      : format === 'mermaid'
        ? replayToMermaid(record)
        : replayToText(record);
  if (out === undefined) io.stdout(rendered.replace(/\n$/, ''));
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
  if (record.summary.inputError !== undefined)
    io.stderr(
      `${file}: bad input at line ${record.summary.inputError.line}: ${record.summary.inputError.message}`,
    );
  return exitCodeOf(record.summary);
}
