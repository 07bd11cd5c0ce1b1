/** `viommu-model trace check`: its words and options (light: the checker loads only when it runs, see check-command.ts). */
import { type CommandSpec, runCommand, usageLine } from '../cli/command.ts';
import type { CommandIo } from '../cli/io.ts';

export const traceCheckCommandSpec: CommandSpec = {
  path: ['trace', 'check'],
  summary: 'check the iommufd object lifecycle a QEMU trace log shows',
  operands: ['FILE'],
  options: {
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress line' },
  },
  details: `Reads a QEMU trace log (-trace 'iommufd*' -trace 'vtd_*' -trace 'smmuv3*' -D FILE; - is stdin)
and checks the iommufd object lifecycle it shows.
Exit status: 0 no error/warning findings, 1 some, 2 bad usage, unreadable input, or no trace
line this project models (nothing was checked).`,
  run: async (input, io) => (await import('./check-command.ts')).runTraceCheck(input, io),
};

export const TRACE_CHECK_USAGE = usageLine(traceCheckCommandSpec);

/** `trace check` with the words after it (kept for callers that run it alone). */
export function traceCheckCommand(args: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(traceCheckCommandSpec, args, io);
}
