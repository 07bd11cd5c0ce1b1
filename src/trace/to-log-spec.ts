/** `viommu-model trace to-log`: its words and options (light: the converter loads only when it runs, see to-log-command.ts). */
import { type CommandSpec, usageLine } from '../cli/command.ts';

export const traceToLogCommandSpec: CommandSpec = {
  path: ['trace', 'to-log'],
  summary: 'convert a QEMU trace of one iommufd context into an event log',
  operands: ['FILE'],
  options: {
    out: { type: 'string', value: 'LOG', help: 'write the log there (default: stdout, unless --check)' },
    check: {
      type: 'boolean',
      help: 'replay the log through the kernel model and report every disagreement with the trace',
    },
    'allow-partial': {
      type: 'boolean',
      help: 'convert a trace that starts mid-run, skipping events on objects it never allocates',
    },
    quiet: { type: 'boolean', short: 'q', help: 'no progress line' },
  },
  details: `Converts a QEMU trace (-trace 'iommufd*' ...; - is stdin) of one iommufd context into an event log of
kernel-level events, each after a "# line N:" comment with its trace line.
Exit status: 0 converted (and agreeing), 1 a disagreement, 2 bad usage or unconvertible input.`,
  run: async (input, io) => (await import('./to-log-command.ts')).runTraceToLog(input, io),
};

export const TRACE_TO_LOG_USAGE = usageLine(traceToLogCommandSpec);
