/**
 * The HTML replay viewer in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded). The page is opened from disk through file://, stepped
 * with its own buttons, slider and arrow keys to the failing event of a log whose `expect` is wrong,
 * and checked: the failure is highlighted, an object instance's statechart state is highlighted in
 * its diagram, nothing but the page itself is fetched and no script error occurs. A screenshot is
 * kept at test/output/viewer.png (git-ignored; CI keeps it as test output). Every chart label is
 * measured: inside its node's box, not overlapping another label, an edge label neither on a node
 * nor crossed by another edge's line, drawn in the embedded Arimo at no less than MIN_FONT_PX. A kept counterexample is opened at its failing step, its two PASID
 * entries checked side by side, and screenshotted (test/output/viewer-kept-failure.png).
 *
 * No Chromium is a failure, not a skip: run `bash scripts/ensure-chromium.sh`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { renderCounterexample } from '../../src/viz/counterexample.ts';
import { type TraceFiles, traceFilesOf } from '../helpers/expect-trace-files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const fixture = join(root, 'test', 'viz', 'fixtures', 'wrong-expect.jsonl');
// A kept counterexample whose failing invariant names two PASID entries that differ in one field.
const kept = join(root, 'test', 'logs', 'vtd-upstream-stale-replace.jsonl');
const keptScreenshot = join(root, 'test', 'output', 'viewer-kept-failure.png');
// The smallest label size a chart may be drawn at, in CSS pixels.
const MIN_FONT_PX = 9;
const outDir = join(root, 'test', 'output');
// viz replay --expect-trace against the model's own trace with one alloc_hwpt result changed.
const traceLog = join(root, 'examples', 'vtd-hot-unplug.jsonl');
const traceScreenshot = join(outDir, 'viewer-expect-trace.png');
const screenshot = join(outDir, 'viewer.png');

let context: BrowserContext | undefined;
let profile: string | undefined;
let page: Page;
let keptPage: Page;
let keptHtml: string;
let tracePage: Page;
let traceFiles: TraceFiles | undefined;
const errors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: run \`bash scripts/ensure-chromium.sh\` to install Debian's chromium`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  const { html } = await renderCounterexample(fixture, outDir, 'viewer-wrong-expect');
  keptHtml = (await renderCounterexample(kept, outDir, 'viewer-kept')).html;
  traceFiles = await traceFilesOf(traceLog, 2);
  const traceHtml = join(outDir, 'viewer-expect-trace.html');
  const quiet = { stdout: () => {}, stderr: () => {} };
  const args = [
    'viz',
    'replay',
    traceLog,
    '--format',
    'html',
    '--out',
    traceHtml,
    '--expect-trace',
    traceFiles.changed,
  ];
  if ((await main(args, quiet)) !== 1)
    throw new Error('viz replay --expect-trace should find the difference');
  profile = mkdtempSync(join(tmpdir(), 'viewer-chromium-'));
  // A fresh profile each run; playwright passes it as --user-data-dir (it refuses the flag in args).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(html).href);
  keptPage = await context.newPage();
  keptPage.on('pageerror', (error) => errors.push(error.message));
  await keptPage.goto(pathToFileURL(keptHtml).href);
  tracePage = await context.newPage();
  tracePage.on('pageerror', (error) => errors.push(error.message));
  await tracePage.goto(pathToFileURL(traceHtml).href);
}, 60_000);

interface LabelReport {
  /** Node labels whose text box leaves the node's shape (id: machine/state "text"). */
  readonly outside: string[];
  /** Pairs of edge or graph labels whose text boxes overlap. */
  readonly overlapping: string[];
  /** Edge or graph labels whose text box overlaps a node's shape. */
  readonly onNodes: string[];
  /** Edge or graph labels that another edge's line runs through. */
  readonly crossedByEdges: string[];
  /** How many edge lines were sampled (so a chart without edges cannot pass unseen). */
  readonly edgesSampled: number;
  readonly labels: number;
  readonly smallestPx: number;
  readonly fonts: string[];
}

/**
 * Measures every label of every chart in the page: its box against its node's, and its size on
 * screen. Plain browser JavaScript (this project's types know no DOM), run by page.evaluate.
 */
const MEASURE_LABELS = `(() => {
  const outside = [];
  const overlapping = [];
  let labels = 0;
  let smallestPx = Infinity;
  const fonts = new Set();
  const inside = (a, b) => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 &&
    a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;
  const overlap = (a, b) => a.x + 0.5 < b.x + b.width && b.x + 0.5 < a.x + a.width &&
    a.y + 0.5 < b.y + b.height && b.y + 0.5 < a.y + a.height;
  const onNodes = [];
  const crossedByEdges = [];
  let edgesSampled = 0;
  // A label is crossed when a point of another edge's line lies inside its box (shrunk by half a
  // pixel, so a line that only grazes the box does not count); lines are sampled every 2 px.
  const strictlyInside = (p, b) => p.x > b.x + 0.5 && p.x < b.x + b.width - 0.5 && p.y > b.y + 0.5 && p.y < b.y + b.height - 0.5;
  for (const chart of document.querySelectorAll('.machine')) {
    const id = chart.dataset.machine;
    const free = [];
    const shapes = [];
    for (const node of chart.querySelectorAll('g.node')) {
      const shape = node.querySelector('path, polygon, ellipse');
      if (shape) shapes.push({ name: node.querySelector('title').textContent, box: shape.getBBox() });
    }
    const lines = [];
    for (const edge of chart.querySelectorAll('g.edge')) {
      const points = [];
      for (const path of edge.querySelectorAll('path')) {
        const length = path.getTotalLength();
        for (let at = 0; at <= length; at += 2) points.push(path.getPointAtLength(at));
      }
      edgesSampled += 1;
      lines.push({ edge, name: edge.querySelector('title').textContent, points });
    }
    for (const text of chart.querySelectorAll('svg text')) {
      labels += 1;
      const box = text.getBBox();
      const style = getComputedStyle(text);
      smallestPx = Math.min(smallestPx, parseFloat(style.fontSize) * text.getScreenCTM().a);
      fonts.add(style.fontFamily);
      const node = text.closest('g.node');
      const shape = node && node.querySelector('path, polygon, ellipse');
      if (shape) {
        if (!inside(box, shape.getBBox()))
          outside.push(id + '/' + node.querySelector('title').textContent + ': "' + text.textContent + '"');
      } else {
        // A label's own lines: its edge, or for a label drawn as a node the two halves through it
        // (they share its transition class, 'from->to').
        const holder = text.closest('g.edge, g.node');
        const transitions = holder ? [...holder.classList].filter((c) => c.includes('->')) : [];
        free.push({ name: id + ': "' + text.textContent + '"', box, holder, transitions });
      }
    }
    for (let i = 0; i < free.length; i++)
      for (let j = i + 1; j < free.length; j++)
        if (overlap(free[i].box, free[j].box)) overlapping.push(free[i].name + ' / ' + free[j].name);
    for (const label of free) {
      for (const shape of shapes)
        if (overlap(label.box, shape.box)) onNodes.push(label.name + ' / node ' + shape.name);
      for (const line of lines)
        if (line.edge !== label.holder && !label.transitions.some((t) => line.edge.classList.contains(t)) &&
            line.points.some((p) => strictlyInside(p, label.box)))
          crossedByEdges.push(label.name + ' / edge ' + line.name);
    }
  }
  return { outside, overlapping, onNodes, crossedByEdges, edgesSampled, labels, smallestPx, fonts: [...fonts] };
})()`;

function measureLabels(target: Page): Promise<LabelReport> {
  return target.evaluate(MEASURE_LABELS) as Promise<LabelReport>;
}

afterAll(async () => {
  await context?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  if (traceFiles !== undefined) rmSync(traceFiles.dir, { recursive: true, force: true });
});

describe('replay viewer in headless Chromium', () => {
  it('opens at the first event and fetches nothing but itself', async () => {
    await expect.poll(() => page.locator('#position').textContent()).toBe('event 1 of 10 (line 4)');
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(await page.locator('#first-failure').textContent()).toContain(
      'line 9: expectation: expected ok, got EBUSY',
    );
  });

  it('steps with the buttons and shows each instance in its statechart state', async () => {
    for (let i = 0; i < 4; i++) await page.click('#next');
    expect(await page.locator('#position').textContent()).toBe('event 5 of 10 (line 8)');
    expect(await page.locator('#step-event').textContent()).toContain('iommufd.viommu_alloc');
    const viommuRow = page.locator('#objects tr[data-id="4"]');
    expect(await viommuRow.locator('td').nth(1).textContent()).toBe('VIOMMU');
    expect(await viommuRow.locator('td.state').textContent()).toContain('live');
    expect(await viommuRow.getAttribute('class')).toBe('changed');
    const viommu = page.locator('.machine[data-machine="viommu"]');
    expect(await viommu.locator('g.node.active title').allTextContents()).toEqual(['live']);
    expect(await viommu.locator('ul').textContent()).toBe('live: VIOMMU 4 ($viommu)');
    const device = page.locator('.machine[data-machine="device"]');
    expect(await device.locator('g.node.active title').allTextContents()).toEqual(['bound']);
    expect(await page.locator('#attachments').textContent()).toContain('dev0');
    expect(await page.locator('#step-failures').isHidden()).toBe(true);
  });

  it('steps to the failing event with the slider and the arrow keys and highlights the failure', async () => {
    await page.locator('#slider').fill('3');
    expect(await page.locator('#position').textContent()).toBe('event 4 of 10 (line 7)');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('#position').textContent()).toBe('event 6 of 10 (line 9)');
    const failures = page.locator('#step-failures');
    expect(await failures.isVisible()).toBe(true);
    expect(await failures.textContent()).toContain('first failure');
    expect(await failures.textContent()).toContain('expectation: expected ok, got EBUSY');
    const current = page.locator('#events li.current');
    expect(await current.getAttribute('class')).toContain('first-fail');
    expect(await page.locator('#step-outcome').textContent()).toBe('EBUSY');
    // The IOAS survived the failed DESTROY: still live, pinned by the HWPT.
    expect(await page.locator('#objects tr[data-id="2"] td.state').textContent()).toContain('live');
    await page.screenshot({ path: screenshot });
    expect(existsSync(screenshot)).toBe(true);
  });

  it('highlights the transition just taken on its chart', async () => {
    await page.click('#first');
    for (let i = 0; i < 4; i++) await page.click('#next');
    const viommu = page.locator('.machine[data-machine="viommu"]');
    expect(await viommu.locator('g.edge.taken title').allTextContents()).toEqual(['__initial->live']);
    expect(await viommu.locator('.taken-list').textContent()).toBe('just taken: new \u2192 live');
    await page.click('#next');
    expect(await viommu.locator('g.edge.taken').count()).toBe(0);
  });

  it('puts the charts next to the event list, in view without scrolling', async () => {
    const list = await page.locator('#events').boundingBox();
    const charts = await page.locator('#charts').boundingBox();
    const detail = await page.locator('#detail').boundingBox();
    expect(charts!.x).toBeGreaterThanOrEqual(list!.x + list!.width - 1);
    expect(detail!.x).toBeGreaterThanOrEqual(charts!.x + charts!.width - 1);
    const active = await page.locator('.machine:not(.idle)').first().boundingBox();
    expect(active!.y).toBeLessThan(1000);
  });

  it('draws every label inside its box, in the embedded font, at a readable size', async () => {
    await page.evaluate('document.fonts.ready');
    expect(await page.evaluate("document.fonts.check('11px Arimo')")).toBe(true);
    const report = await measureLabels(page);
    expect(report.labels).toBeGreaterThan(100);
    expect(report.fonts).toEqual(['Arimo, sans-serif']);
    expect(report.outside).toEqual([]);
    expect(report.overlapping).toEqual([]);
    expect(report.edgesSampled).toBeGreaterThan(50);
    expect(report.onNodes).toEqual([]);
    expect(report.crossedByEdges).toEqual([]);
    expect(report.smallestPx).toBeGreaterThanOrEqual(MIN_FONT_PX);
  });

  it('highlights a transition of a dense chart, drawn through its label node, on both halves and the label', async () => {
    // smmuStream draws its labels as nodes (machines-dot.ts); the class from->to ties the pieces.
    const stream = page.locator('.machine[data-machine="smmuStream"]');
    expect(await stream.locator('g.node.transition-label').count()).toBeGreaterThan(10);
    const halves = await page.evaluate(`(() => {
      const chart = document.querySelector('.machine[data-machine="smmuStream"]');
      const label = chart.querySelector('g.node.transition-label');
      const name = [...label.classList].find((c) => c.includes('->'));
      return [...chart.querySelectorAll('g.edge')].filter((e) => e.classList.contains(name)).length;
    })()`);
    expect(halves).toBe(2);
  });

  it('jumps back to the first failure with its button', async () => {
    await page.keyboard.press('End');
    expect(await page.locator('#position').textContent()).toBe('event 10 of 10 (line 13)');
    expect(await page.locator('.machine[data-machine="hwpt"]').getAttribute('class')).toContain('idle');
    await page.click('#jump');
    expect(await page.locator('#position').textContent()).toBe('event 6 of 10 (line 9)');
    expect(errors).toEqual([]);
  });
});

describe('a kept counterexample at its failing step', () => {
  it('shows the two PASID entries side by side with the differing field marked, and screenshots it', async () => {
    await keptPage.click('#jump');
    const failures = keptPage.locator('#step-failures');
    expect(await failures.isVisible()).toBe(true);
    expect(await failures.textContent()).toContain('vmm-cache-follows-guest');
    const sides = failures.locator('table.sides');
    expect(await sides.locator('thead th').allTextContents()).toEqual([
      '',
      'the PASID cache of nic0 holds',
      "but the guest's entry is",
    ]);
    const differing = await sides.locator('tr.differs th').allTextContents();
    expect(differing).toEqual(['FSPTPTR']);
    expect(await sides.locator('tr.differs td').allTextContents()).toEqual(['0x1000', '0x3000']);
    expect(await sides.locator('tbody tr').count()).toBeGreaterThan(5);
    const report = await measureLabels(keptPage);
    expect(report.outside).toEqual([]);
    expect(report.overlapping).toEqual([]);
    expect(report.onNodes).toEqual([]);
    expect(report.crossedByEdges).toEqual([]);
    expect(report.smallestPx).toBeGreaterThanOrEqual(MIN_FONT_PX);
    expect(await keptPage.locator('.machine g.node.active').count()).toBeGreaterThan(0);
    await keptPage.screenshot({ path: keptScreenshot });
    expect(existsSync(keptScreenshot)).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('expected vs actual host operations (viz replay --expect-trace)', () => {
  it('opens at the first difference, scrolled to it, with both sides and the differing field marked', async () => {
    await expect.poll(() => tracePage.locator('#position').textContent()).toBe('event 10 of 17 (line 16)');
    expect(await tracePage.locator('#expect-trace').getAttribute('class')).toBe('differs');
    const current = tracePage.locator('#events li.current');
    expect(await current.getAttribute('class')).toContain('trace-diff');
    const list = await tracePage.locator('#events').boundingBox();
    const item = await current.boundingBox();
    expect(item!.y).toBeGreaterThanOrEqual(list!.y - 1);
    expect(item!.y + item!.height).toBeLessThanOrEqual(list!.y + list!.height + 1);
    const sides = tracePage.locator('#step-expected');
    expect(await sides.isVisible()).toBe(true);
    expect(await sides.getAttribute('class')).toBe('first-difference');
    expect(await sides.locator('thead th').allTextContents()).toEqual([
      'model predicts',
      'line',
      'QEMU traced',
    ]);
    const differing = sides.locator('tr.differs td');
    expect(await differing.count()).toBe(3);
    expect(await differing.nth(0).textContent()).toContain('out_hwpt=7');
    expect(await differing.nth(1).textContent()).toBe(`L${traceFiles!.changedLine}`);
    expect(await differing.nth(2).textContent()).toContain('out_hwpt=8');
    expect(await sides.locator('tr.why').textContent()).toBe('out_hwpt: predicted 7, traced 8');
    await tracePage.screenshot({ path: traceScreenshot });
    expect(existsSync(traceScreenshot)).toBe(true);
  });

  it('shows matching events as such, and jumps back to the difference with its button and key', async () => {
    await tracePage.click('#first');
    await tracePage.click('#next');
    const sides = tracePage.locator('#step-expected');
    expect(await sides.getAttribute('class')).toBe('match');
    expect(await sides.locator('tr.differs').count()).toBe(0);
    await tracePage.click('#jump-trace');
    expect(await tracePage.locator('#position').textContent()).toBe('event 10 of 17 (line 16)');
    await tracePage.keyboard.press('End');
    expect(await sides.getAttribute('class')).toBe('after');
    await tracePage.locator('body').click({ position: { x: 5, y: 5 } });
    await tracePage.keyboard.press('d');
    expect(await tracePage.locator('#position').textContent()).toBe('event 10 of 17 (line 16)');
    expect(errors).toEqual([]);
  });
});
