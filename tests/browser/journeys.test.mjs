// The three journeys of the platform's people, walked in headless Chromium
// against `entraide serve`, on a phone and on a desktop:
//
// - a nurse in Brest looks for a structure that needs help, and writes to it;
// - a small association in Plouguerneau posts a request, confirms it, edits it,
//   marks it filled, changes its mind, then deletes it;
// - a visitor on a phone browses departments, a commune, the listings, then
//   the search.
//
//   SITE_URL=<server> SITE_DIR=<its output> OUTBOX=<its file outbox> npm test --prefix tests/browser
//
// SCREENSHOTS=<folder> keeps a screenshot of every step, for a person to look at.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHROMIUM, LAUNCH_ARGS, linkInOutbox, outboxMails, recordCspViolations } from './common.mjs';

const SITE_URL = (process.env.SITE_URL || '').replace(/\/$/, '');
const SITE_DIR = process.env.SITE_DIR ? path.resolve(process.env.SITE_DIR) : '';
const SCREENSHOTS = process.env.SCREENSHOTS || '';
const VIEWPORTS = [
  ['phone', { width: 375, height: 740 }, true],
  ['desktop', { width: 1280, height: 900 }, false],
];

// Every element carrying `hidden` that is nonetheless drawn.
const visibleHidden = (page) => page.$$eval('[hidden]', (elements) => elements
  .filter((element) => element.getClientRects().length > 0)
  .map((element) => element.id || element.outerHTML.slice(0, 80)));

for (const [device, viewport, phone] of VIEWPORTS) {
  describe(`journeys on a ${device}`, { concurrency: 1, skip: !SITE_URL && 'SITE_URL is not set' }, () => {
    let browser;
    let page;
    const problems = [];
    let step = 0;

    before(async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
      page = await browser.newPage({ viewport, isMobile: phone, hasTouch: phone });
      page.on('pageerror', (error) => problems.push(error.message));
      recordCspViolations(page, problems);
      if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    });

    after(async () => {
      if (browser) await browser.close().catch(() => {});
    });

    async function shot(name) {
      step += 1;
      if (SCREENSHOTS) {
        const file = `${device}-${String(step).padStart(2, '0')}-${name}.png`;
        await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: false });
      }
      assert.deepEqual(problems, [], 'no script error and no CSP violation');
    }

    async function settled() {
      await page.waitForFunction(() => {
        const text = document.getElementById('statut').textContent;
        return text !== '' && text !== 'Recherche…';
      }, null, { timeout: 20_000 });
    }

    test('a nurse looks for a structure that needs help, and writes to it', async () => {
      await page.goto(`${SITE_URL}/recherche/`, { waitUntil: 'load' });
      assert.deepEqual(await visibleHidden(page), [], 'no hidden control is shown before a search');
      const filters = page.locator('#filtres');
      assert.equal(await filters.evaluate((details) => details.open), !phone,
        'the filters fold away on a phone only');
      await shot('recherche');
      if (phone) await page.click('#filtres > summary');
      await page.selectOption('#domaine', 'medical');
      await settled();
      await page.selectOption('#type', 'request');
      await settled();
      assert.match(await page.locator('#filtres > summary').textContent(), /Filtres \(2\)/);
      const results = page.locator('#resultats li');
      assert.ok(await results.count() > 0, 'a request for help is found');
      const labels = await results.evaluateAll((items) => items.map(
        (li) => [...li.querySelectorAll('.tag')].map((tag) => tag.textContent),
      ));
      for (const tags of labels) {
        assert.equal(tags[0], "Recherche de l'aide", 'whether it asks for help or offers it');
        assert.ok(['Bénévolat', 'Rémunéré'].includes(tags[1]), tags.join(', '));
      }
      if (phone) {
        const top = await page.locator('#statut').evaluate((status) => status.getBoundingClientRect().top);
        assert.ok(top >= 0 && top < viewport.height, `the result count is in view (top ${top})`);
      }
      assert.deepEqual(await visibleHidden(page), [], 'no hidden control is shown after a search');
      await shot('resultats');

      // A region narrows the departments; a department from elsewhere is dropped.
      await page.goto(`${SITE_URL}/recherche/?region=84&departement=29`, { waitUntil: 'load' });
      await settled();
      assert.equal(await page.inputValue('#departement'), '', 'Finistère is not in Auvergne-Rhône-Alpes');
      const offered = await page.locator('#departement option:not([disabled])').evaluateAll(
        (options) => options.map((option) => option.value).filter(Boolean),
      );
      assert.ok(offered.includes('69') && !offered.includes('29'), offered.join(' '));

      // Nothing found: the wider searches that would find something.
      await page.goto(`${SITE_URL}/recherche/?q=infirmier&domaine=impression-3d&departement=976`, { waitUntil: 'load' });
      await settled();
      const wider = page.locator('#suggestions a');
      await wider.first().waitFor();
      assert.match(await wider.first().textContent(), /: \d+ annonces?$/);
      await shot('aucun-resultat');
      if (phone) await page.click('#filtres > summary');
      await page.click('#effacer');
      await settled();
      assert.equal(await page.inputValue('#domaine'), '', 'the filters are cleared');

      // The nurse opens a request and writes to it.
      await page.goto(`${SITE_URL}/recherche/?domaine=medical&type=request`, { waitUntil: 'load' });
      await settled();
      await Promise.all([page.waitForURL(/\/annonces\/[0-9A-Z]+\/$/), page.locator('#resultats li a').first().click()]);
      const contact = page.locator('.contact-link a');
      assert.ok(await contact.isVisible(), 'a « Contacter » link near the top');
      await shot('annonce');
      await contact.click();
      await page.fill('#name', 'Nadia, infirmière');
      await page.fill('#email', 'nadia.infirmiere@exemple.org');
      assert.match(await page.locator('#message-hint').textContent(), /Entre 20 et 3 000 caractères/);
      await page.fill('#message', 'Bonjour, je suis infirmière à Brest et disponible ce week-end. Je peux venir samedi matin.');
      await page.waitForTimeout(3_500); // the form's minimum fill time
      await Promise.all([page.waitForURL(/\/contact\/merci\/$/), page.click('#form button[type="submit"]')]);
      await shot('message-envoye');
      const copy = outboxMails().find((mail) => mail.includes('To: nadia.infirmiere@exemple.org'));
      assert.ok(copy, 'the nurse keeps a trace of what she sent');
      assert.doesNotMatch(copy, /samedi matin/, 'a trace, not a relay of what anyone can type');
    });

    test('an association posts a request, confirms, edits, fills, unfills and deletes it', async () => {
      await page.goto(`${SITE_URL}/publier/`, { waitUntil: 'load' });
      const unique = `Plouguerneau ${device}`;
      await page.check('input[name="kind"][value="request"]');
      await page.selectOption('#author_kind', 'association');
      await page.fill('#author_name', 'Les Amis du Vieux Phare');
      await page.check('input[name="engagement"][value="volunteer"]');
      await page.selectOption('#domain', 'associatif');
      await page.fill('#title', `Bénévoles pour la fête du port de ${unique}`);
      await page.fill('#description', "Notre association prépare la fête du port et cherche des bénévoles pour l'accueil et la buvette.");
      // A misspelt commune: the completion guesses it.
      await page.locator('#commune').pressSequentially('Plouguernau', { delay: 20 });
      const guess = page.locator('#commune-suggestions [role="option"]').first();
      await guess.waitFor();
      assert.match(await guess.textContent(), /^Plouguerneau \(29\)/);
      assert.ok(await page.locator('.suggestions-guess').isVisible(), '« Vouliez-vous dire » is said');
      await shot('commune-devinee');
      await guess.click();
      assert.equal(await page.inputValue('#commune'), 'Plouguerneau (29)');
      await page.fill('#email', `amis.phare.${device}@exemple.org`);
      await page.check('#consent');
      await page.waitForTimeout(3_500);
      await Promise.all([page.waitForURL(/\/publier\/merci\/$/), page.click('#form button[type="submit"]')]);

      const confirmMail = outboxMails().find((mail) => mail.includes(unique));
      assert.match(confirmMail, /Lieu : Plouguerneau \(29\)/, 'the mail recalls which offer it is');
      await page.goto(linkInOutbox(`${SITE_URL}/api/offers/confirm?token=`), { waitUntil: 'load' });
      await shot('confirmer');
      await Promise.all([page.waitForURL(/\/annonces\/[0-9A-Z]+\//), page.click('main form button[type="submit"]')]);
      await page.locator('#publiee').waitFor();
      assert.ok(await page.locator('.contact').isHidden(), 'no contact form addressed to oneself');
      assert.ok(!page.url().includes('#publiee'), 'the mark leaves the address: a shared link is the usual page');
      await shot('annonce-publiee');
      await page.reload({ waitUntil: 'load' });
      assert.ok(await page.locator('#publiee').isHidden(), 'once only');
      assert.ok(await page.locator('.contact').isVisible());

      await page.goto(linkInOutbox(`${SITE_URL}/api/offers/manage?token=`), { waitUntil: 'load' });
      assert.equal(await page.inputValue('#commune'), 'Plouguerneau (29)', 'the commune by its name');
      assert.match(await page.locator('main > p').first().textContent(), /: en ligne jusqu'au \d/);
      await shot('gerer');
      await page.fill('#title', `Bénévoles pour la grande fête du port de ${unique}`);
      await Promise.all([page.waitForURL(/fait=edit/), page.click('#form button[type="submit"]')]);
      await Promise.all([
        page.waitForURL(/fait=fill/),
        page.click('form:has(input[name="action"][value="fill"]) button'),
      ]);
      await Promise.all([
        page.waitForURL(/fait=unfill/),
        page.click('form:has(input[name="action"][value="unfill"]) button'),
      ]);
      assert.match(await page.locator('main > p').nth(1).textContent(), /en ligne jusqu'au/);

      // Deleting asks for a confirmation that works without JavaScript.
      const remove = page.locator('form:has(input[name="action"][value="delete"]) button');
      assert.match(await remove.getAttribute('class'), /danger/);
      await remove.click();
      assert.match(page.url(), /fait=unfill/, 'nothing happens without the confirmation');
      await shot('supprimer');
      await page.check('#confirm-delete');
      await remove.click();
      await page.locator('h1', { hasText: 'Annonce supprimée' }).waitFor();
    });

    test('a visitor browses departments, a commune, the listings, then the search', async () => {
      await page.goto(`${SITE_URL}/departements/`, { waitUntil: 'load' });
      const headings = await page.locator('main h2').allTextContents();
      const finistere = await page.locator('main a', { hasText: 'Finistère (29)' }).first();
      assert.ok(headings.indexOf('Bretagne') < headings.indexOf('Guadeloupe'), headings.join(' / '));
      assert.ok(headings.indexOf('Corse') < headings.indexOf('Guadeloupe'), 'Corsica before overseas');
      assert.ok(headings[0] !== 'Guadeloupe', 'the mainland first');
      await shot('departements');
      await Promise.all([page.waitForURL(/\/departements\/29-finistere\/$/), finistere.click()]);
      const order = await page.locator('main section').evaluateAll((sections) => sections.map((s) => s.className));
      assert.equal(order[0], 'results', `the offers come first (${order.join(' ')})`);
      await shot('finistere');

      // A commune whose offers are all closed keeps its page, and says so.
      const quiet = readdirSync(path.join(SITE_DIR, 'villes'))
        .find((slug) => readFileSync(path.join(SITE_DIR, 'villes', slug, 'index.html'), 'utf8')
          .includes('Aucune annonce en cours à'));
      assert.ok(quiet, 'a commune with no offer left');
      const response = await page.goto(`${SITE_URL}/villes/${quiet}/`, { waitUntil: 'load' });
      assert.equal(response.status(), 200);
      assert.match(await page.locator('.empty').textContent(), /Aucune annonce en cours à/);
      assert.ok(await page.locator('main a[href^="/departements/"]').count() > 0, 'a link to its department');
      await shot('commune-sans-annonce');

      // The listings read from the newest: 1, 2, 3… and plus anciennes.
      await page.goto(`${SITE_URL}/annonces/`, { waitUntil: 'load' });
      const numbers = await page.locator('.pagination a:not([rel])').allTextContents();
      assert.deepEqual(numbers.slice(0, 3).map((n) => n.replace('Page ', '').trim()), ['1', '2', '3']);
      assert.ok(await page.locator('.pagination a[rel="next"]', { hasText: 'plus anciennes' }).count() === 1);
      await shot('annonces');
      await page.goto(`${SITE_URL}/recherche/?departement=29`, { waitUntil: 'load' });
      await settled();
      assert.equal(await page.inputValue('#region'), '53', 'the department brings its region');
      await shot('recherche-finistere');
    });
  });
}
