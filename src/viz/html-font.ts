/**
 * The statecharts' font, embedded in the page: Arimo (the Latin subset of @fontsource/arimo, SIL
 * OFL 1.1), which has the metrics of Arial/Helvetica. Graphviz lays labels out with Helvetica's
 * widths (machines-dot.ts), so drawing them in a metric-compatible font keeps every label inside
 * its box on any machine, whatever fonts it has installed (DejaVu, the usual fallback, is wider).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHART_FONT = 'Arimo';

function woff2(weight: 400 | 700): string {
  const url = import.meta.resolve(`@fontsource/arimo/files/arimo-latin-${weight}-normal.woff2`);
  return readFileSync(fileURLToPath(url)).toString('base64');
}

let css: string | undefined;

/** `@font-face` rules for Arimo regular and bold, as data: URLs (about 30 KB of CSS). */
export function chartFontCss(): string {
  css ??= ([400, 700] as const)
    .map(
      (weight) =>
        `@font-face { font-family: "${CHART_FONT}"; font-weight: ${weight}; font-style: normal; ` +
        `src: url(data:font/woff2;base64,${woff2(weight)}) format("woff2"); }`,
    )
    .join('\n');
  return css;
}
