/**
 * Attacks on the viewer's page that found something, in Chromium: each test fails while the flaw
 * is there and passes once it is fixed. The static build (dist/viewer) on a plain static server.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/io.ts';
import { ensureViewerBuilt } from '../../src/viewer/build.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';
import { serveStatic, type PageGlobals } from './viewerPage.ts';

let browser: Browser;
let site: Awaited<ReturnType<typeof serveStatic>> | null = null;

beforeAll(async () => {
  if (!CHROMIUM) return;
  site = await serveStatic(await ensureViewerBuilt(bufferIo()));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  site?.server.close();
});

describe.skipIf(!CHROMIUM)('the viewer page under attack', () => {
  // A link to the static site is enough: `set=` paths are walked with plain property access.
  for (const query of ['set=__proto__.polluted=1', 'set=constructor.prototype.polluted=1']) {
    it(`a link with ?${query} does not pollute Object.prototype`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${site!.url}?mode=in-page&${query}`);
        // The query is read before the page names its source; 'connecting…' until then.
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('mode')?.textContent !== 'connecting…', null, { polling: 50, timeout: 30_000 });
        const polluted = await page.evaluate(() => ({} as Record<string, unknown>).polluted);
        expect(polluted).toBeUndefined();
      } finally {
        await page.close();
      }
    });
  }
});
