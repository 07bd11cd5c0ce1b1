/** The `viommu-model` command line: dispatches to one command module per verb. */
import { pathToFileURL } from 'node:url';
import { traceCheckCommand } from '../trace/check-command.ts';
import { traceToLogCommand } from '../trace/to-log-command.ts';
import { vizMachinesCommand } from '../viz/viz-machines-command.ts';
import { VIZ_REPLAY_USAGE, vizReplayCommand } from '../viz/viz-replay-command.ts';
import { EXPLORE_USAGE, exploreCommand } from './explore-command.ts';
import { type CommandIo, processIo, UsageError } from './io.ts';
import { REPLAY_USAGE, replayCommand } from './replay-command.ts';

const USAGE = [
  'viommu-model: an executable model of QEMU vIOMMUs driving Linux iommufd',
  '',
  `  ${REPLAY_USAGE.replace('usage: viommu-model ', 'viommu-model ')}`,
  '  viommu-model trace check FILE [--json]',
  '  viommu-model trace to-log FILE [--out LOG] [--check] [--allow-partial]',
  '  viommu-model viz machines [--format mermaid|dot|svg|json] [--out DIR] [--machine ID]',
  `  ${VIZ_REPLAY_USAGE.replace('usage: viommu-model ', 'viommu-model ')}`,
  `  ${EXPLORE_USAGE.replace('usage: viommu-model ', 'viommu-model ')}`,
  '',
  'Exit codes: 0 all holds, 1 an invariant or expectation failed, 2 bad input or usage.',
].join('\n');

async function vizCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'machines') return vizMachinesCommand(rest, io);
  if (what === 'replay') return vizReplayCommand(rest, io);
  io.stderr(`unknown viz target "${what ?? ''}"; expected: viz machines, viz replay`);
  return 2;
}

async function traceCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'check') return traceCheckCommand(rest, io);
  if (what === 'to-log') return traceToLogCommand(rest, io);
  io.stderr(
    `unknown trace command "${what ?? ''}"; expected: trace check FILE [--json] or trace to-log FILE`,
  );
  return 2;
}

export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } finally {
    io.flush?.();
  }
}

async function dispatch(argv: readonly string[], io: CommandIo): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'replay':
        return await replayCommand(rest, io);
      case 'viz':
        return await vizCommand(rest, io);
      case 'trace':
        return await traceCommand(rest, io);
      case 'explore':
        return await exploreCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return verb === undefined ? 2 : 0;
      default:
        io.stderr(`unknown command "${verb}"\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
