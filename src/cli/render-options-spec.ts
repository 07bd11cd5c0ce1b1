/** The options of a command that renders a failed check (`replay --check`; rendering: render-options.ts). */
import type { OptionSpec } from './command.ts';

export const RENDER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'no-render': { type: 'boolean', help: 'with --check: do not render a failure' },
  'render-dir': {
    type: 'string',
    value: 'DIR',
    help: 'with --check: render a failure into DIR (default: a fresh temporary directory)',
  },
};
