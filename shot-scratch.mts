import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(pathToFileURL(process.argv[2]!).href);
await page.evaluate('document.fonts.ready');
await page.locator(`.machine[data-machine="${process.argv[3]}"] svg`).screenshot({ path: process.argv[4]! });
await browser.close();
