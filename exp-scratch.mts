import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { allMachines } from './machines/index.ts';
import { machineToDot } from './src/viz/machines-dot.ts';
import { renderSvg } from './src/viz/svg.ts';
import { inlineSvg } from './src/viz/replay-html.ts';
const src = readFileSync('test/browser/viewer.test.ts', 'utf8');
const code = /const MEASURE_LABELS = `([\s\S]*?)`;/.exec(src)![1]!;
const variants: Record<string, (d: string) => string> = JSON.parse('{}');
const tweaks = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
for (const tweak of tweaks) {
  let body = '';
  for (const m of allMachines) {
    let dot = machineToDot(m);
    if (tweak !== 'none') dot = dot.replace(/\n  graph \[/, `\n  graph [${tweak}, `);
    body += `<div class="machine" data-machine="${m.spec.id}">${inlineSvg(await renderSvg(dot))}</div>`;
  }
  writeFileSync('/tmp/i14/e.html', `<!DOCTYPE html><html><body>${body}</body></html>`);
  await page.goto('file:///tmp/i14/e.html');
  const r: any = await page.evaluate(code);
  const per: Record<string, number> = {};
  for (const x of [...r.crossedByEdges, ...r.onNodes, ...r.overlapping, ...r.outside]) { const k = x.split(':')[0]; per[k] = (per[k] ?? 0) + 1; }
  console.log(tweak, 'crossed', r.crossedByEdges.length, 'onNodes', r.onNodes.length, 'overlap', r.overlapping.length, 'outside', r.outside.length, JSON.stringify(per));
}
await browser.close();
