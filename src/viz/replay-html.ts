/**
 * The replay viewer: one self-contained HTML file (inline CSS, inline script, inline SVG, the step
 * data as a JSON block) that works from disk through file:// and fetches nothing. It shows the event
 * list, a slider with step buttons and arrow keys, every statechart next to the list (drawn offline
 * by Graphviz from the machine DOT, labelled in the embedded Arimo font of html-font.ts) with the
 * states its instances are in and the transitions just taken highlighted, the World after the
 * chosen step, and the first failure with a button that jumps to it. With `--expect-trace` each
 * event also shows the model's host operations next to the real trace's (expected-trace.ts), and
 * the page opens at the first difference.
 */
import { allMachines } from '../../machines/index.ts';
import type { LogItem } from '../log/read.ts';
import { chartFontCss } from './html-font.ts';
import { VIEWER_SCRIPT } from './html-script.ts';
import { VIEWER_CSS } from './html-style.ts';
import { collectReplay, type ReplayRecord } from './replay-collect.ts';
import { buildViewerData, MAX_FRAMES, type ViewerData } from './replay-frames.ts';
import { machineToSvg } from './svg.ts';

const ENT: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ENT[ch] ?? ch);
}

/** JSON that can sit inside a `<script>` element: no `<` survives, so `</script>` cannot occur. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Graphviz's SVG document made fit to inline in HTML: no XML declaration, doctype or comments, and
 * no namespace URLs (the HTML parser puts `<svg>` in the SVG namespace by itself).
 */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>/g, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s+xmlns(?::\w+)?="[^"]*"/g, '')
    .trim();
}

async function machinePanels(): Promise<string> {
  const panels: string[] = [];
  for (const defined of allMachines) {
    const id = escapeHtml(defined.spec.id);
    const svg = inlineSvg(await machineToSvg(defined));
    panels.push(
      `<div class="machine" data-machine="${id}"><h3>${id}</h3><div class="taken-list"></div>${svg}<ul></ul></div>`,
    );
  }
  return panels.join('\n');
}

/** `--expect-trace`: the differential's report, marked when the trace and the model disagree. */
function expectedHeader(data: ViewerData): string {
  if (data.expected === null) return '';
  const differs = data.expected.report.length > 1 || /first difference/.test(data.expected.report[0] ?? '');
  const lines = data.expected.report.map((line) => `<div>${escapeHtml(line)}</div>`).join('');
  return `<div id="expect-trace" class="${differs ? 'differs' : 'matches'}">${lines}</div>`;
}

function page(data: ViewerData, machines: string): string {
  const failed = data.failure >= 0 || /first failure|bad input/.test(data.summary);
  const first = data.failure >= 0 ? data.frames[data.failure] : undefined;
  const firstText =
    first === undefined
      ? ''
      : `First failure: event ${data.start + data.failure + 1}, line ${first.l}: ${(first.f ?? []).join('; ')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${data.name}: replay`)}</title>
<style>${chartFontCss()}
${VIEWER_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.name)}</h1>
<div class="meta">${escapeHtml(data.platform)}</div>
<div class="summary${failed ? ' failed' : ''}">${escapeHtml(data.summary)}</div>
<div id="first-failure">${escapeHtml(firstText)}</div>
${data.note === null ? '' : `<div class="note">${escapeHtml(data.note)}</div>`}
${expectedHeader(data)}
</header>
<div id="controls">
<button id="first" title="first event (Home)">|&#x25C0;</button>
<button id="prev" title="previous event (Left arrow)">&#x25C0;</button>
<input id="slider" type="range" min="0" max="0" value="0" aria-label="step">
<button id="next" title="next event (Right arrow)">&#x25B6;</button>
<button id="last" title="last event (End)">&#x25B6;|</button>
<button id="jump" title="jump to the first failure (f)">jump to first failure</button>
${data.expected === null ? '' : '<button id="jump-trace" title="jump to the first difference from the trace (d)">jump to first trace difference</button>'}
<span id="position"></span>
</div>
<main>
<ol id="events"></ol>
<section id="charts">
<h2>Statecharts</h2>
<ul id="other-instances"></ul>
<div class="machines">
${machines}
</div>
</section>
<section id="detail">
<h2>Event</h2>
<pre id="step-event"></pre>
<div>outcome: <span id="step-outcome" class="mono"></span></div>
<div id="step-ops"></div>
<div id="step-failures" hidden></div>
<div id="step-expected" hidden></div>
<h2>World after this event</h2>
<div id="kernel" class="muted"></div>
<table><thead><tr><th>ID</th><th>type</th><th>names</th><th>state</th><th>users</th><th>references</th><th>attachments</th><th>fields</th></tr></thead><tbody id="objects"></tbody></table>
<div id="deleted" class="muted"></div>
<h2>Attachments per device and PASID</h2>
<table><thead><tr><th>device</th><th>DEVICE</th><th>PASID</th><th>HWPT</th></tr></thead><tbody id="attachments"></tbody></table>
<details id="vmm-section" open hidden>
<summary><h2>QEMU (world.vmm)</h2></summary>
<table><tbody id="vmm"></tbody></table>
</details>
</section>
</main>
<script type="application/json" id="viewer-data">${scriptJson(data)}</script>
<script>${VIEWER_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * The viewer page for a log's items (iterated twice: once to replay, once to snapshot Worlds).
 * `record` may be passed when the caller has already replayed the same items.
 */
export async function replayToHtml(
  items: Iterable<LogItem>,
  name: string,
  record: ReplayRecord = collectReplay(items, name),
  cap: number = MAX_FRAMES,
): Promise<string> {
  return page(buildViewerData(items, record, cap), await machinePanels());
}
