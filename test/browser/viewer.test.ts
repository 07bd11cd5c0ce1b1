/**
 * The HTML replay viewer in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded). The page is opened from disk through file://, stepped
 * with its own buttons, slider and arrow keys to the failing event of a log whose `expect` is wrong,
 * and checked: the failure is highlighted, an object instance's statechart state is highlighted in
 * its diagram, nothing but the page itself is fetched and no script error occurs. A screenshot is
 * kept at test/output/viewer.png (git-ignored; CI keeps it as test output).
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
const outDir = join(root, 'test', 'output');
const screenshot = join(outDir, 'viewer.png');

let context: BrowserContext | undefined;
let profile: string | undefined;
let page: Page;
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
}, 60_000);

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

  it('jumps back to the first failure with its button', async () => {
    await page.keyboard.press('End');
    expect(await page.locator('#position').textContent()).toBe('event 10 of 10 (line 13)');
    expect(await page.locator('.machine[data-machine="hwpt"]').getAttribute('class')).toContain('idle');
    await page.click('#jump');
    expect(await page.locator('#position').textContent()).toBe('event 6 of 10 (line 9)');
    expect(errors).toEqual([]);
  });
});
