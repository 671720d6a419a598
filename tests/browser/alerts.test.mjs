// « Créer une alerte » in headless Chromium against `entraide serve`: the form
// of a listing saves the listing's scope, the search page's saves the search
// on screen; the form asks the functions for its token only once opened; a
// subscription from the page is confirmed from the outbox, and the confirmation
// page is accessible.
//
//   SITE_URL=<entraide serve> OUTBOX=<its file outbox> npm test --prefix tests/browser
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, LAUNCH_ARGS, assertAccessible, linkInOutbox, recordCspViolations } from './common.mjs';

const SITE_URL = (process.env.SITE_URL || '').replace(/\/$/, '');
const OUTBOX = process.env.OUTBOX || '';

describe('alerts', { concurrency: 1, skip: !(SITE_URL && OUTBOX) && 'SITE_URL or OUTBOX is not set' }, () => {
  let browser;
  let page;
  const problems = [];

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    recordCspViolations(page, problems);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
  });

  test('a listing saves its scope, and asks for a form token only once the form is opened', async () => {
    const tokens = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/form-token')) tokens.push(request.url());
    });
    await page.goto(`${SITE_URL}/departements/29-finistere/`, { waitUntil: 'load' });
    assert.equal(await page.inputValue('#alerte input[name="recherche"]'), 'departement=29');
    assert.deepEqual(tokens, [], 'a page view costs the functions nothing');
    await page.click('#alerte summary');
    await page.waitForFunction(() => document.querySelector('#alerte input[name="form_token"]').value !== '');
    assert.equal(tokens.length, 1);
    await assertAccessible(page, 'a listing with its alert form open');
  });

  test('the search page saves the search on screen, and the alert is confirmed from the outbox', async () => {
    await page.goto(`${SITE_URL}/recherche/?q=aide&departement=29`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('#alerte input[name="recherche"]').value !== '');
    const saved = new URLSearchParams(await page.inputValue('#alerte input[name="recherche"]'));
    assert.equal(saved.get('q'), 'aide');
    assert.equal(saved.get('departement'), '29');
    await page.click('#alerte summary');
    await page.fill('#alerte-email', 'navigateur.alerte@exemple.org');
    await page.check('#alerte input[value="weekly"]');
    // A person takes a few seconds (min_fill_seconds).
    await page.waitForTimeout(3_200);
    await page.click('#alerte button[type="submit"]');
    await page.waitForSelector('h1');
    assert.match(await page.textContent('h1'), /Vérifiez votre messagerie/);
    const confirm = linkInOutbox(`${SITE_URL}/api/alerts/confirm?token=`);
    await page.goto(confirm);
    await page.click('button[type="submit"]');
    await page.waitForSelector('h1');
    assert.match(await page.textContent('h1'), /Votre alerte est active/);
    await page.click('a:has-text("Voir ou modifier")');
    await page.waitForSelector('form#form');
    assert.equal(await page.inputValue('#q'), 'aide');
    assert.equal(await page.inputValue('#departement'), '29');
    await assertAccessible(page, "an alert's private page");
    assert.deepEqual(problems, [], 'no script error, no CSP violation');
  });
});
