/**
 * SVG from DOT, offline: Graphviz compiled to WebAssembly (`@viz-js/viz`), so rendering needs no
 * system `dot` binary and no network, and gives the same layout on every machine.
 *
 * The WebAssembly instance takes a while to start, so one is made lazily and shared.
 */
import { instance, type Viz } from '@viz-js/viz';
import { machineToDot } from './machines-dot.ts';
import type { AnyDefinedMachine } from './machines-model.ts';

let shared: Promise<Viz> | undefined;

function viz(): Promise<Viz> {
  shared ??= instance();
  return shared;
}

/** Renders DOT to an SVG document; a DOT syntax error is a bug in the generator, so it throws. */
export async function renderSvg(dot: string): Promise<string> {
  const result = (await viz()).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const messages = result.errors.map((error) => `${error.level ?? 'error'}: ${error.message}`).join('; ');
    throw new Error(`Graphviz could not render the generated DOT (${messages}); fix src/viz/machines-dot.ts`);
  }
  return result.output;
}

export async function machineToSvg(defined: AnyDefinedMachine): Promise<string> {
  return renderSvg(machineToDot(defined));
}
