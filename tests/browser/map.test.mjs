// The map of France on the home page and /departements/, in headless Chromium
// without JavaScript: each department a link named with its figure, the same
// figures as the table under the map, and the shades the legend explains.
//
//   SITE_URL=<server> npm test --prefix tests/browser
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, LAUNCH_ARGS } from './common.mjs';

const SITE_URL = (process.env.SITE_URL || '').replace(/\/$/, '');

describe('map of the departments', { concurrency: 1, skip: !SITE_URL && 'SITE_URL is not set' }, () => {
  let browser;
  let context;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
  });

  test('every department is a link named with its figure, as the table says', async () => {
    const page = await context.newPage();
    await page.goto(`${SITE_URL}/departements/`);
    const table = new Map(await page.locator('table.figures tbody tr').evaluateAll((rows) => rows.map((row) => [
      row.querySelector('a').getAttribute('href'), row.querySelector('td').textContent])));
    const links = await page.locator('svg.france-map a').evaluateAll((items) => items.map((a) => ({
      url: a.getAttribute('href'),
      name: a.getAttribute('aria-label'),
      shade: a.querySelector('path').getAttribute('class'),
      box: a.getBoundingClientRect().width > 0,
    })));
    assert.equal(links.length, 101, 'the 96 mainland and 5 overseas departments');
    for (const link of links) {
      assert.ok(link.box, `${link.name} is drawn`);
      const figure = table.get(link.url);
      assert.ok(figure, `${link.url} is in the table`);
      assert.ok(link.name.endsWith(` : ${figure}`), `${link.name} says ${figure}`);
      if (figure.startsWith('0 ')) assert.equal(link.shade, 'shade-0', link.name);
      else assert.notEqual(link.shade, 'shade-0', link.name);
    }
    // A department's name leads to its page, by the keyboard too.
    const finistere = page.getByRole('link', { name: /^Finistère : / });
    await finistere.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/departements\/29-finistere\/$/);
    // The legend names every shade drawn.
    await page.goto(`${SITE_URL}/`);
    const drawn = new Set(await page.locator('svg.france-map path').evaluateAll((paths) => paths.map((p) => p.getAttribute('class'))));
    const legend = new Set(await page.locator('.map-legend .swatch').evaluateAll((items) => items.map((s) => s.classList[1])));
    for (const shade of drawn) assert.ok(legend.has(shade), `${shade} is in the legend`);
  });
});
