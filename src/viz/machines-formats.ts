/**
 * The export formats of `viz machines`: their names, file extensions, comment syntax, and one
 * function that renders any registered machine in any of them.
 *
 * Adding a format means adding it to `MACHINE_FORMATS`; the compiler then points at every switch
 * that must learn it (`satisfies never`).
 */

import { machineToDot } from './machines-dot.ts';
import { machineToMermaid } from './machines-mermaid.ts';
import type { AnyDefinedMachine } from './machines-model.ts';
import { machineToJson } from './machines-model.ts';
import { machineToSvg } from './svg.ts';

export const MACHINE_FORMATS = ['mermaid', 'dot', 'svg', 'json'] as const;
export type MachineFormat = (typeof MACHINE_FORMATS)[number];

export function isMachineFormat(name: string): name is MachineFormat {
  return (MACHINE_FORMATS as readonly string[]).includes(name);
}

export function formatExtension(format: MachineFormat): string {
  switch (format) {
    case 'mermaid':
      return 'mmd';
    case 'dot':
      return 'dot';
    case 'svg':
      return 'svg';
    case 'json':
      return 'json';
    default:
      return format satisfies never;
  }
}

/** The line that names a machine on stdout, in the format's own comment syntax (none for JSON/SVG). */
export function machineHeaderComment(format: MachineFormat, id: string): string | null {
  switch (format) {
    case 'mermaid':
      return `%% machine: ${id}`;
    case 'dot':
      return `// machine: ${id}`;
    case 'svg':
    case 'json':
      return null;
    default:
      return format satisfies never;
  }
}

export async function renderMachine(defined: AnyDefinedMachine, format: MachineFormat): Promise<string> {
  switch (format) {
    case 'mermaid':
      return machineToMermaid(defined);
    case 'dot':
      return machineToDot(defined);
    case 'svg':
      return machineToSvg(defined);
    case 'json':
      return machineToJson(defined);
    default:
      return format satisfies never;
  }
}
