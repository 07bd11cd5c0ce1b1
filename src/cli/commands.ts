/**
 * Every command of `viommu-model`, in the order `--help` lists them. Adding a command is one line
 * here: its CommandSpec (words, operands, options, run) gets help, usage errors and dispatch from
 * command.ts and main.ts.
 */
import { traceCheckCommandSpec } from '../trace/check-command.ts';
import { traceToLogCommandSpec } from '../trace/to-log-command.ts';
import { vizMachinesCommandSpec } from '../viz/viz-machines-command.ts';
import { vizReplayCommandSpec } from '../viz/viz-replay-command.ts';
import type { CommandSpec } from './command.ts';
import { replayCommandSpec } from './replay-command.ts';

export const COMMANDS: readonly CommandSpec[] = [
  replayCommandSpec,
  traceCheckCommandSpec,
  traceToLogCommandSpec,
  vizMachinesCommandSpec,
  vizReplayCommandSpec,
];
