// The commune completion of the posting form (themes/default/static/commune.js),
// driven with the keyboard in headless Chromium against the built site.
//
//   SITE_DIR=<built site> npm test --prefix tests/browser   (or SITE_URL=<server>)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStaticServer } from './static-server.mjs';
import { CHROMIUM, LAUNCH_ARGS, assertAccessible } from './common.mjs';

const SITE_DIR = process.env.SITE_DIR ? path.resolve(process.env.SITE_DIR) : '';

describe('commune completion on /publier/', { concurrency: 1 }, () => {
  let browser;
  let site;
  let page;
  let completionBytes = 0;

  before(async () => {
    site = process.env.SITE_URL
      ? { origin: process.env.SITE_URL.replace(/\/$/, ''), stop: async () => {} }
      : await startStaticServer(SITE_DIR);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on('response', async (response) => {
      if (new URL(response.url()).pathname.startsWith('/communes/')) {
        completionBytes += (await response.body().catch(() => Buffer.alloc(0))).length;
      }
    });
    await page.goto(`${site.origin}/publier/`, { waitUntil: 'load' });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (site) await site.stop();
  });

  const input = () => page.locator('#commune');
  const options = () => page.locator('#commune-suggestions [role="option"]');

  test('a name picked with the keyboard fills the field', async () => {
    await input().fill('');
    await input().pressSequentially('ploudal', { delay: 20 });
    await options().first().waitFor();
    assert.equal(await input().getAttribute('aria-expanded'), 'true');
    await input().press('ArrowDown');
    const active = await input().getAttribute('aria-activedescendant');
    assert.equal(await page.locator(`#${active}`).getAttribute('aria-selected'), 'true');
    assert.match(await page.locator(`#${active}`).textContent(), /^Ploudalmézeau \(29\)/);
    await input().press('Enter');
    assert.equal(await input().inputValue(), 'Ploudalmézeau (29)');
    assert.equal(await input().getAttribute('aria-expanded'), 'false');
    assert.ok(completionBytes < 40_000, `a look-up downloaded ${completionBytes} bytes`);
  });

  test('a postcode lists its communes, Escape closes the list', async () => {
    await input().fill('');
    await input().pressSequentially('29830', { delay: 20 });
    await options().first().waitFor();
    const names = await options().allTextContents();
    assert.ok(names.some((name) => name.startsWith('Ploudalmézeau (29) · 29830')), names.join(' / '));
    assert.match(await page.locator('[role="status"]').textContent(), /communes? proposées?\./);
    await input().press('Escape');
    assert.equal(await input().getAttribute('aria-expanded'), 'false');
    assert.ok(await page.locator('#commune-suggestions').isHidden());
  });

  test('« St » reads as « Saint », and a typo gets the names it comes closest to', async () => {
    await input().fill('');
    await input().pressSequentially('St Pabu', { delay: 20 });
    await options().first().waitFor();
    assert.match(await options().first().textContent(), /^Saint-Pabu \(29\)/);
    assert.ok(await page.locator('.suggestions-guess').isHidden(), 'no guess when the name is found');
    await input().fill('');
    await input().pressSequentially('Plouguernau', { delay: 20 });
    await options().first().waitFor();
    assert.match(await options().first().textContent(), /^Plouguerneau \(29\)/);
    assert.ok(await page.locator('.suggestions-guess').isVisible(), '« Vouliez-vous dire » is shown');
    assert.match(await page.locator('[role="status"]').textContent(), /proches? proposées?/);
    await input().press('Escape');
  });

  test('axe-core finds no violation with the suggestions open', async () => {
    await input().fill('');
    await input().pressSequentially('saint', { delay: 20 });
    await options().first().waitFor();
    await input().press('ArrowDown');
    await assertAccessible(page, '/publier/');
  });
});
