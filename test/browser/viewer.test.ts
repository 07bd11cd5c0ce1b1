/**
 * The HTML replay viewer in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded). The page is opened from disk through file://, stepped
 * with its own buttons, slider and arrow keys to the failing event of a log whose `expect` is wrong,
 * and checked: the failure is highlighted, an object instance's statechart state is highlighted in
 * its diagram, nothing but the page itself is fetched and no script error occurs. A screenshot is
 * kept at test/output/viewer.png (git-ignored; CI keeps it as test output). Every chart label is
 * measured: inside its node's box, not overlapping another label, drawn in the embedded Arimo at
 * no less than MIN_FONT_PX. A kept counterexample is opened at its failing step, its two PASID
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
import { renderCounterexample } from '../../src/viz/counterexample.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const fixture = join(root, 'test', 'viz', 'fixtures', 'wrong-expect.jsonl');
// A kept counterexample whose failing invariant names two PASID entries that differ in one field.
const kept = join(root, 'test', 'logs', 'vtd-upstream-stale-replace.jsonl');
const keptScreenshot = join(root, 'test', 'output', 'viewer-kept-failure.png');
// The smallest label size a chart may be drawn at, in CSS pixels.
const MIN_FONT_PX = 9;
const outDir = join(root, 'test', 'output');
const screenshot = join(outDir, 'viewer.png');

let context: BrowserContext | undefined;
let profile: string | undefined;
let page: Page;
let keptPage: Page;
let keptHtml: string;
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
}, 60_000);

interface LabelReport {
  /** Node labels whose text box leaves the node's shape (id: machine/state "text"). */
  readonly outside: string[];
  /** Pairs of edge or graph labels whose text boxes overlap. */
  readonly overlapping: string[];
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
  for (const chart of document.querySelectorAll('.machine')) {
    const id = chart.dataset.machine;
    const free = [];
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
      } else free.push({ name: id + ': "' + text.textContent + '"', box });
    }
    for (let i = 0; i < free.length; i++)
      for (let j = i + 1; j < free.length; j++)
        if (overlap(free[i].box, free[j].box)) overlapping.push(free[i].name + ' / ' + free[j].name);
  }
  return { outside, overlapping, labels, smallestPx, fonts: [...fonts] };
})()`;

function measureLabels(target: Page): Promise<LabelReport> {
  return target.evaluate(MEASURE_LABELS) as Promise<LabelReport>;
}

afterAll(async () => {
  await context?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
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
    expect(report.smallestPx).toBeGreaterThanOrEqual(MIN_FONT_PX);
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
    expect(report.smallestPx).toBeGreaterThanOrEqual(MIN_FONT_PX);
    expect(await keptPage.locator('.machine g.node.active').count()).toBeGreaterThan(0);
    await keptPage.screenshot({ path: keptScreenshot });
    expect(existsSync(keptScreenshot)).toBe(true);
    expect(errors).toEqual([]);
  });
});
