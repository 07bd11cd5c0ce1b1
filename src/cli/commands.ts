/**
 * Every command of `viommu-model`, in the order `--help` lists them. Adding a command is one line
 * here: its CommandSpec (words, operands, options, run) gets help, usage errors and dispatch from
 * command.ts and main.ts. Specs are light files whose `run` imports the command's module when it
 * runs, so `--version` and `--help` load no model.
 */
import { traceCheckCommandSpec } from '../trace/check-spec.ts';
import { traceToLogCommandSpec } from '../trace/to-log-spec.ts';
import { vizMachinesCommandSpec } from '../viz/viz-machines-spec.ts';
import { vizReplayCommandSpec } from '../viz/viz-replay-spec.ts';
import type { CommandSpec } from './command.ts';
import { exploreCommandSpec } from './explore-spec.ts';
import { replayCommandSpec } from './replay-spec.ts';

export const COMMANDS: readonly CommandSpec[] = [
  replayCommandSpec,
  traceCheckCommandSpec,
  traceToLogCommandSpec,
  vizMachinesCommandSpec,
  vizReplayCommandSpec,
  exploreCommandSpec,
];
