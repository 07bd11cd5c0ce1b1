/** `viommu-model viz machines`: its words and options (light: the machines load only when it runs, see viz-machines-command.ts). */
import { type CommandSpec, runCommand } from '../cli/command.ts';
import type { CommandIo } from '../cli/io.ts';

export const vizMachinesCommandSpec: CommandSpec = {
  path: ['viz', 'machines'],
  summary: 'export the registered statecharts as Mermaid, DOT, SVG or JSON',
  operands: [],
  options: {
    format: {
      type: 'string',
      // MACHINE_FORMATS (machines-formats.ts) spelled out: that module loads the renderers.
      value: 'mermaid|dot|svg|json',
      help: 'one format (default: mermaid on stdout, all formats with --out)',
    },
    out: {
      type: 'string',
      value: 'DIR',
      help: 'write DIR/<id>.<ext> per machine, creating DIR (required for svg)',
    },
    machine: {
      type: 'string',
      value: 'ID',
      multiple: true,
      help: 'only this machine; repeat for several (default: every registered machine)',
    },
  },
  run: async (input, io) => (await import('./viz-machines-command.ts')).runVizMachines(input, io),
};

/** Runs `viz machines`; `args` are the words after `viz machines`. Returns the exit code. */
export function vizMachinesCommand(args: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(vizMachinesCommandSpec, args, io);
}
