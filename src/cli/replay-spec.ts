/** `viommu-model replay`: its words and options (light: the model loads only when it runs, see replay-command.ts). */
import type { CommandSpec } from './command.ts';
import { usageLine } from './command.ts';
import { RENDER_OPTIONS } from './render-options-spec.ts';

export const replayCommandSpec: CommandSpec = {
  path: ['replay'],
  summary: 'replay an event log through the model, checking every invariant and expectation',
  operands: ['LOG'],
  options: {
    check: { type: 'boolean', help: 'stop at the first failure and render it (HTML viewer + Mermaid)' },
    json: { type: 'boolean', help: 'one JSON object per step, then a summary object' },
    quiet: { type: 'boolean', short: 'q', help: 'print only failures and the summary; no progress line' },
    trace: { type: 'boolean', help: 'print the QEMU trace lines each step produced' },
    'expect-trace': {
      type: 'string',
      value: 'QEMU_TRACE',
      help: 'compare the host operations the model predicts with a real QEMU trace',
    },
    itf: { type: 'string', value: 'FILE', help: 'also write the replay as an Apalache/Quint ITF trace' },
    ...RENDER_OPTIONS,
  },
  details: `LOG is a JSONL event log (docs/log-format.md); - reads it from stdin.
Exit status: 0 all holds, 1 an invariant or expectation failed, 2 bad input or usage, or a log
with no events (nothing was checked).`,
  run: async (input, io) => (await import('./replay-command.ts')).runReplay(input, io),
};

export const REPLAY_USAGE = usageLine(replayCommandSpec);
