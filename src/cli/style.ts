/**
 * Colour for failures, only on a terminal and never when NO_COLOR is set (https://no-color.org);
 * FORCE_COLOR turns it on for a pipe. The decision is made here per stream (stdout and stderr may
 * differ), so util.styleText is told not to check process.stdout itself.
 */
import { styleText } from 'node:util';

export type Colour = 'red' | 'yellow' | 'green' | 'bold';

/** Whether text written to `stream` should carry colour. */
export function colourWanted(stream: { readonly isTTY?: boolean }, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function paint(text: string, colour: Colour, enabled: boolean | undefined): string {
  return enabled === true ? styleText(colour, text, { validateStream: false }) : text;
}
