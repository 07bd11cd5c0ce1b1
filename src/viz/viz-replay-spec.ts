/** `viommu-model viz replay`: its words and options (light: the renderers load only when it runs, see viz-replay-command.ts). */
import { type CommandSpec, usageLine } from '../cli/command.ts';
import { VIZ_REPLAY_FORMATS } from './replay-formats.ts';

export const vizReplayCommandSpec: CommandSpec = {
  path: ['viz', 'replay'],
  summary: 'render a replay: a text timeline, a Mermaid sequence diagram or the HTML step viewer',
  operands: ['LOG'],
  options: {
    format: { type: 'string', value: VIZ_REPLAY_FORMATS.join('|'), help: 'what to render (default: text)' },
    out: { type: 'string', value: 'FILE', help: 'write it there (required for html; default: stdout)' },
  },
  details: `LOG is an event log; - reads it from stdin. The log is replayed to its end, past failures.
Exit status follows replay: 0 all holds, 1 a failure (the rendering is still written), 2 bad usage or input.`,
  run: async (input, io) => (await import('./viz-replay-command.ts')).runVizReplay(input, io),
};

export const VIZ_REPLAY_USAGE = usageLine(vizReplayCommandSpec);
