/**
 * `viommu-model viz replay LOG [--format text|mermaid|html] [--out FILE]`
 *
 * Renders a replay: a text timeline (the default), a Mermaid sequence diagram, or the HTML step
 * viewer (which needs `--out`: it is a page to open, not text to read). Without `--out` the text
 * goes to stdout. The log is replayed to its end, past failures, so the rendering shows them all.
 * Exit codes follow `replay`: 0 all holds, 1 an expectation or invariant failed (the rendering is
 * still written: that is when it is wanted most), 2 bad usage, a missing file or bad input.
 */
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type CommandIo, parseArgs, UsageError } from '../cli/io.ts';
import { exitCodeOf } from '../replay.ts';
import { collectReplay, logName, readLogItems } from './replay-collect.ts';
import { replayToHtml } from './replay-html.ts';
import { replayToMermaid } from './replay-mermaid.ts';
import { replayToText } from './replay-text.ts';

export const VIZ_REPLAY_FORMATS = ['text', 'mermaid', 'html'] as const;
export type VizReplayFormat = (typeof VIZ_REPLAY_FORMATS)[number];

export const VIZ_REPLAY_USAGE = `usage: viommu-model viz replay LOG [--format ${VIZ_REPLAY_FORMATS.join('|')}] [--out FILE]`;

function isFormat(name: string): name is VizReplayFormat {
  return (VIZ_REPLAY_FORMATS as readonly string[]).includes(name);
}

/** Runs `viz replay`; `args` are the words after `viz replay`. Returns the exit code. */
export async function vizReplayCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(args, [], ['--format', '--out']);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`viz replay: ${error.message}\n${VIZ_REPLAY_USAGE}`);
    return 2;
  }
  const { positionals, flags } = parsed;
  const format = flags.get('--format') ?? 'text';
  const out = flags.get('--out');
  if (positionals.length !== 1 || typeof format !== 'string' || out === true) {
    io.stderr(VIZ_REPLAY_USAGE);
    return 2;
  }
  if (!isFormat(format)) {
    io.stderr(`viz replay: unknown format "${format}"; valid formats: ${VIZ_REPLAY_FORMATS.join(', ')}`);
    return 2;
  }
  if (format === 'html' && out === undefined) {
    io.stderr(`viz replay: --format html needs --out FILE (one self-contained page)\n${VIZ_REPLAY_USAGE}`);
    return 2;
  }
  const file = positionals[0]!;
  if (!existsSync(file) || !statSync(file).isFile()) {
    io.stderr(`${file}: no such log file`);
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
