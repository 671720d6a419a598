// The search page (themes/default/static/search.js on the Pagefind index the
// generator builds), in headless Chromium against `entraide serve`:
//
//   SITE_URL=<server> OUTBOX=<its file outbox> npm test --prefix tests/browser
//
// The site should be built with a small `search_bucket_size` so that searches
// merge several buckets (scripts/test.sh uses 100).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, LAUNCH_ARGS, assertAccessible, linkInOutbox, recordCspViolations } from './common.mjs';

const SITE_URL = (process.env.SITE_URL || '').replace(/\/$/, '');
const OUTBOX = process.env.OUTBOX || '';
const UNIQUE = 'zythologue';

describe('search on /recherche/', { concurrency: 1, skip: !SITE_URL && 'SITE_URL is not set' }, () => {
  let browser;
  let page;
  let pagefindBytes = 0;
  const errors = [];

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    recordCspViolations(page, errors);
    page.on('response', async (response) => {
      if (new URL(response.url()).pathname.startsWith('/pagefind/')) {
        pagefindBytes += (await response.body().catch(() => Buffer.alloc(0))).length;
      }
    });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
  });

  const status = () => page.locator('#statut');
  const settled = () => page.waitForFunction(() => {
    const text = document.getElementById('statut').textContent;
    return text !== '' && text !== 'Recherche…';
  }, null, { timeout: 20_000 });
  const results = async () => page.locator('#resultats li').evaluateAll((items) => items.map((li) => ({
    title: li.querySelector('a').textContent,
    url: li.querySelector('a').getAttribute('href'),
    meta: li.querySelector('.meta').textContent,
  })));
  async function search(query) {
    await page.goto(`${SITE_URL}/recherche/?${query}`, { waitUntil: 'load' });
    await settled();
    assert.deepEqual(errors, [], 'no script error');
    return results();
  }
  // The index follows the pages a moment after a change (`entraide serve` answers
  // once the pages are written): search again until it shows the change.
  async function searchUntil(query, done) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = await search(query);
      if (done(found) || Date.now() > deadline) return found;
      await page.waitForTimeout(200);
    }
  }

  test('a query finds the newest offer by its title, and a first query stays small', async () => {
    const offers = await (await fetch(`${SITE_URL}/donnees/annonces.json`)).json();
    const newest = offers.reduce((a, b) => (a.published > b.published ? a : b));
    pagefindBytes = 0;
    const found = await search(new URLSearchParams({ q: newest.title }).toString());
    assert.ok(found.some((r) => r.url === `/annonces/${newest.id}/`),
      `${newest.title} not in ${JSON.stringify(found.map((r) => r.title))}`);
    assert.ok(pagefindBytes < 300_000, `a first query read ${pagefindBytes} bytes of index`);
  });

  test('a filter narrows the results, through the form and the URL', async () => {
    const all = await search('domaine=medical');
    assert.equal(all.length, 10);
    assert.ok(all.every((r) => r.meta.includes('Médical')), JSON.stringify(all));
    await page.selectOption('#type', 'request');
    await page.waitForURL(/type=request/);
    await settled();
    const narrowed = await results();
    assert.ok(narrowed.length > 0);
    for (const result of narrowed) {
      const offer = await (await fetch(`${SITE_URL}${result.url}`)).text();
      assert.match(offer, /tag-request/, result.url);
    }
    assert.match(page.url(), /domaine=medical/);
  });

  test('the URL carries query and filters, and the back button restores them', async () => {
    await search('q=aide&departement=29');
    assert.equal(await page.inputValue('#q'), 'aide');
    assert.equal(await page.inputValue('#departement'), '29');
    const first = await results();
    assert.ok(first.every((r) => r.meta.includes('(29)')), JSON.stringify(first));
    await page.fill('#q', 'bénévole');
    await page.press('#q', 'Enter');
    await page.waitForURL(/q=b%C3%A9n%C3%A9vole/);
    await settled();
    await page.goBack();
    await page.waitForURL(/q=aide/);
    await settled();
    assert.equal(await page.inputValue('#q'), 'aide');
    assert.equal(await page.inputValue('#departement'), '29');
    assert.deepEqual(await results(), first);
  });

  test('more results come from older periods, keyboard focus on the first new one', async () => {
    const first = await search('q=aide');
    assert.equal(first.length, 10);
    await page.focus('#plus');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('#resultats li').length > 10);
    const focused = await page.evaluate(() => document.activeElement.getAttribute('href'));
    const all = await results();
    assert.equal(focused, all[10].url);
    assert.equal(new Set(all.map((r) => r.url)).size, all.length, 'no result twice');
    assert.match(await status().textContent(), /annonces trouvées/);
  });

  test('a word found nowhere reads older periods only when asked', async () => {
    const none = await search('q=zzzquasiabsent');
    assert.deepEqual(none, []);
    assert.match(await status().textContent(), /^Aucune annonce publiée depuis le \d/);
    assert.equal(await page.textContent('#plus'), 'Chercher dans les annonces plus anciennes');
    await page.click('#plus');
    await page.waitForFunction(() => document.getElementById('plus').hidden, null, { timeout: 20_000 });
    assert.equal(await status().textContent(), 'Aucune annonce ne correspond à cette recherche.');
  });

  test('axe-core finds no violation with results and filters shown', async () => {
    await search('q=aide&domaine=medical');
    await assertAccessible(page, '/recherche/?q=aide&domaine=medical');
  });

  test('an offer posted, edited, then deleted appears, changes and leaves the results',
    { skip: !OUTBOX && 'OUTBOX is not set' }, async () => {
      await page.goto(`${SITE_URL}/publier/`, { waitUntil: 'load' });
      await page.check('input[name="kind"][value="offer"]');
      await page.selectOption('#author_kind', 'individual');
      await page.fill('#author_name', 'Camille');
      await page.check('input[name="engagement"][value="volunteer"]');
      await page.selectOption('#domain', 'associatif');
      await page.fill('#title', `Jeune ${UNIQUE} propose des ateliers de dégustation`);
      await page.fill('#description', `Passionnée de bière artisanale, ${UNIQUE} diplômée, je propose d'animer des ateliers pour les associations de quartier.`);
      await page.fill('#commune', 'Ploudalmézeau (29)');
      await page.fill('#email', 'camille.recherche@exemple.org');
      await page.check('#consent');
      await page.waitForTimeout(3_500); // the form's minimum fill time
      await page.click('#form button[type="submit"]');
      await page.waitForLoadState('load');
      assert.match(page.url(), /\/publier\/merci\//, await page.locator('main').innerText());
      await page.goto(linkInOutbox(`${SITE_URL}/api/offers/confirm?token=`));
      await Promise.all([page.waitForURL(/\/annonces\//), page.click('main form button[type="submit"]')]);
      const posted = await searchUntil(`q=${UNIQUE}`, (found) => found.length > 0);
      assert.equal(posted.length, 1, JSON.stringify(posted));
      assert.match(posted[0].title, /ateliers de dégustation/);
      assert.match(posted[0].meta, /Ploudalmézeau \(29\)/);

      await page.goto(linkInOutbox(`${SITE_URL}/api/offers/manage?token=`));
      await page.fill('#title', `Jeune ${UNIQUE} propose des visites de brasseries`);
      await page.click('#form button[type="submit"]');
      await page.waitForURL(/fait=edit/);
      const edited = await searchUntil(`q=${UNIQUE}`, (found) => /visites/.test(found[0]?.title));
      assert.equal(edited.length, 1, JSON.stringify(edited));
      assert.match(edited[0].title, /visites de brasseries/);

      await page.goto(linkInOutbox(`${SITE_URL}/api/offers/manage?token=`));
      await page.check('#confirm-delete');
      await page.click('form:has(input[name="action"][value="delete"]) button');
      await page.waitForLoadState('load');
      assert.deepEqual(await searchUntil(`q=${UNIQUE}`, (found) => found.length === 0), []);
      assert.match(await status().textContent(), /^Aucune annonce( publiée depuis le .*)? ne correspond à cette recherche\./);
    });
});
