/** `viommu-model viz replay`: its words and options (light: the renderers load only when it runs, see viz-replay-command.ts). */
import { type CommandSpec, usageLine } from '../cli/command.ts';
import { VIZ_REPLAY_FORMATS } from './replay-formats.ts';

export const vizReplayCommandSpec: CommandSpec = {
  path: ['viz', 'replay'],
  summary: 'render a replay: a text timeline, a Mermaid sequence diagram or the HTML step viewer',
  operands: ['LOG'],
  options: {
    format: { type: 'string', value: VIZ_REPLAY_FORMATS.join('|'), help: 'what to render (default: text)' },
    out: { type: 'string', value: 'FILE', help: 'write it there (required for html; - or default: stdout)' },
    'expect-trace': {
      type: 'string',
      value: 'QEMU_TRACE',
      help: "show each event's host operations next to a real QEMU trace's, the first difference marked",
    },
  },
  details: `LOG is an event log; - reads it from stdin (then QEMU_TRACE must be a file: stdin is read once).
The log is replayed to its end, past failures.
Exit status follows replay: 0 all holds, 1 a failure or a difference from the trace (the rendering is
still written), 2 bad usage or input, or a log with no events (nothing was checked: nothing is rendered).`,
  run: async (input, io) => (await import('./viz-replay-command.ts')).runVizReplay(input, io),
};

export const VIZ_REPLAY_USAGE = usageLine(vizReplayCommandSpec);
