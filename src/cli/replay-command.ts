/**
 * `viommu-model replay LOG [--check] [--json]`: a step listing (or JSON lines) and a summary.
 * Exit 0 when every expectation and invariant holds, 1 when one fails (naming the line), 2 on bad
 * input (naming line and field; nothing after it is applied).
 */
import { existsSync, statSync } from 'node:fs';
import { readLogFile } from '../log/read.ts';
import { exitCodeOf, type ReplayStep, replayStream } from '../replay.ts';
import { formatStepText, formatSummaryText, stepJson } from './format-step.ts';
import { type CommandIo, parseArgs } from './io.ts';

export const REPLAY_USAGE = 'usage: viommu-model replay LOG [--check] [--json] [--quiet]';

export async function replayCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { positionals, flags } = parseArgs(args, ['--check', '--json', '--quiet']);
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
  const onStep = (step: ReplayStep) => {
    if (json) io.stdout(JSON.stringify(stepJson(step)));
    else if (!quiet || step.expectationFailure !== undefined || step.violations.length > 0) {
      for (const line of formatStepText(step)) io.stdout(line);
    }
  };
  const { summary } = await replayStream(readLogFile(file), {
    stopAtFirstFailure: flags.has('--check'),
    onStep,
  });
  if (json) io.stdout(JSON.stringify({ summary: { file, exit: exitCodeOf(summary), ...summary } }));
  else
    for (const line of formatSummaryText(file, summary)) (summary.inputError ? io.stderr : io.stdout)(line);
  return exitCodeOf(summary);
}
