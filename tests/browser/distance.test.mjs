// The distance search (« Près de » on /recherche/), in headless Chromium against
// `entraide serve`, compared with a brute-force haversine over the listed offers
// of the open data and the commune positions the site publishes:
//
//   SITE_URL=<server> npm test --prefix tests/browser
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, LAUNCH_ARGS, recordCspViolations } from './common.mjs';

const SITE_URL = (process.env.SITE_URL || '').replace(/\/$/, '');
const RADII = [5, 10, 20, 50, 100];

const getJson = async (path) => {
  const response = await fetch(`${SITE_URL}${path}`);
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.json();
};

function kilometres(a, b) {
  const radians = Math.PI / 180;
  const half = (x) => Math.sin((x * radians) / 2) ** 2;
  const h = half(b.lat - a.lat) + Math.cos(a.lat * radians) * Math.cos(b.lat * radians) * half(b.lon - a.lon);
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

describe('distance search on /recherche/', { concurrency: 1, skip: !SITE_URL && 'SITE_URL is not set' }, () => {
  let browser;
  let page;
  const errors = [];
  // INSEE code → { slug, name, lat, lon, department }, for every commune.
  const communes = new Map();
  let listed = [];

  before(async () => {
    const bounds = await getJson('/communes/positions/index.json');
    for (const department of Object.keys(bounds)) {
      const file = `/communes/positions/${department.toLowerCase()}`;
      const names = new Map((await getJson(`${file}-noms.json`)).map(([insee, slug, name]) => [insee, { slug, name }]));
      for (const [insee, lat, lon] of await getJson(`${file}.json`)) {
        communes.set(insee, { insee, ...names.get(insee), lat, lon, department });
      }
    }
    listed = await getJson('/donnees/annonces.json');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    recordCspViolations(page, errors);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
  });

  // What the brute force expects: every listed offer whose commune is within
  // `radius` of `centre`, nearest first.
  const expected = (centre, radius) => listed
    .filter((offer) => offer.commune)
    .map((offer) => ({ offer, km: kilometres(centre, communes.get(offer.commune)) }))
    .filter(({ km }) => km <= radius)
    .sort((a, b) => a.km - b.km);

  const settled = () => page.waitForFunction(() => {
    const text = document.getElementById('statut').textContent;
    return text !== '' && text !== 'Recherche…';
  }, null, { timeout: 20_000 });

  // Every result of a search: older periods read and every page shown.
  async function everything(query) {
    await page.goto(`${SITE_URL}/recherche/?${query}`, { waitUntil: 'load' });
    await settled();
    for (;;) {
      const more = page.locator('#plus');
      // The button is disabled while older periods load; it then shows or hides.
      await page.waitForFunction(() => {
        const button = document.getElementById('plus');
        return button.hidden || !button.disabled;
      }, null, { timeout: 20_000 });
      if (!(await more.isVisible())) break;
      const before = await page.locator('#statut').textContent();
      await more.click();
      await page.waitForFunction((text) => {
        const now = document.getElementById('statut').textContent;
        return now !== text && now !== 'Recherche…';
      }, before, { timeout: 20_000 });
    }
    assert.deepEqual(errors, [], 'no script error');
    const found = await page.locator('#resultats li').evaluateAll((items) => items.map((li) => ({
      url: li.querySelector('a').getAttribute('href'),
      meta: li.querySelector('.meta').textContent,
    })));
    return { found, status: await page.locator('#statut').textContent() };
  }

  async function compare(centre, radius) {
    const wanted = expected(centre, radius);
    const { found, status } = await everything(new URLSearchParams({ pres: centre.slug, rayon: String(radius) }));
    const label = `${centre.name} (${centre.department}), ${radius} km`;
    assert.deepEqual(
      found.map((r) => r.url).sort(),
      wanted.map(({ offer }) => `/annonces/${offer.id}/`).sort(),
      `${label}: every offer within the radius, none beyond`,
    );
    if (wanted.length) {
      assert.match(status, new RegExp(`^${wanted.length} annonces? trouvées? à moins de ${radius} km de `), label);
    } else {
      assert.match(status, /^Aucune annonce/, label);
    }
    // Nearest first, each with its distance as the brute force measures it.
    const distances = found.map((r) => {
      const shown = /^à (moins d'1|\d+) km · /.exec(r.meta);
      assert.ok(shown, `${label}: no distance in « ${r.meta} »`);
      const offer = listed.find((o) => r.url === `/annonces/${o.id}/`);
      const km = kilometres(centre, communes.get(offer.commune));
      assert.equal(shown[1], km < 1 ? "moins d'1" : String(Math.round(km)), `${label}: ${r.url}`);
      return km;
    });
    assert.deepEqual(distances, [...distances].sort((a, b) => a - b), `${label}: nearest first`);
    return wanted;
  }

  test('finds every offer within the radius and none beyond, nearest first', async () => {
    const brest = communes.get('29019');
    const paris = communes.get('75056');
    let total = 0;
    for (const [centre, radius] of [[brest, 20], [brest, 100], [paris, 10], [paris, 50]]) {
      total += (await compare(centre, radius)).length;
    }
    assert.ok(total > 0, 'the demo site has offers near Brest or Paris');
  });

  test('crosses department borders, and works in Corsica and overseas', async () => {
    // Two listed offers of different departments close to each other: centred on
    // one, the smallest radius that reaches the other.
    const placed = listed.filter((o) => o.commune).map((o) => ({ o, at: communes.get(o.commune) }));
    let border = null;
    for (const a of placed) {
      for (const b of placed) {
        const km = kilometres(a.at, b.at);
        if (a.at.department !== b.at.department && km <= 50 && (!border || km < border.km)) border = { a, b, km };
      }
    }
    assert.ok(border, 'the demo site has offers on both sides of a border');
    const radius = RADII.find((r) => r >= border.km);
    const wanted = await compare(border.a.at, radius);
    assert.ok(wanted.some(({ offer }) => offer.id === border.b.o.id), 'the offer across the border');

    const far = placed.find(({ at }) => /^(2A|2B|97)/.test(at.department));
    const island = far ? far.at : communes.get('2A004');
    const found = await compare(island, 50);
    if (far) assert.ok(found.length > 0, `${island.name}: its own offer`);
  });

  test('combines with a keyword, a filter and offers given at a distance', async () => {
    const paris = communes.get('75056');
    const near = expected(paris, 100);
    assert.ok(near.length > 0, 'offers within 100 km of Paris');
    const { offer } = near[0];
    const { found } = await everything(new URLSearchParams({ pres: paris.slug, rayon: '100', domaine: offer.domain }));
    assert.deepEqual(
      found.map((r) => r.url).sort(),
      near.filter((n) => n.offer.domain === offer.domain).map((n) => `/annonces/${n.offer.id}/`).sort(),
      'a domain narrows the offers within reach',
    );
    const word = offer.title.split(/\s+/).find((w) => w.length > 5) || offer.title;
    const keyword = await everything(new URLSearchParams({ q: word, pres: paris.slug, rayon: '100' }));
    assert.ok(keyword.found.some((r) => r.url === `/annonces/${offer.id}/`), `« ${word} » near Paris`);
    const within = new Set(near.map((n) => `/annonces/${n.offer.id}/`));
    assert.ok(keyword.found.every((r) => within.has(r.url)), 'nothing beyond the radius');

    const remote = listed.filter((o) => o.remote);
    const withRemote = await everything(new URLSearchParams({ pres: paris.slug, rayon: '100', 'a-distance': 'oui' }));
    assert.equal(withRemote.found.length, near.length + remote.length, withRemote.status);
    assert.ok(withRemote.found.slice(near.length).every((r) => r.meta.startsWith('à distance · ')),
      'offers given at a distance come last, said so');
  });

  test('the « Près de » field takes a commune typed or chosen, and says when it knows none', async () => {
    await page.goto(`${SITE_URL}/recherche/`, { waitUntil: 'load' });
    await page.fill('#pres', 'Ploudalm');
    await page.locator('#pres-suggestions li').first().waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await settled();
    await page.waitForFunction(() => new URLSearchParams(window.location.search).get('pres') === 'ploudalmezeau-29');
    assert.equal(await page.inputValue('#pres'), 'Ploudalmézeau (29)');
    assert.match(await page.locator('#statut').textContent(), /à moins de 20 km de Ploudalmézeau/);
    await page.selectOption('#rayon', '50');
    await page.waitForFunction(() => new URLSearchParams(window.location.search).get('rayon') === '50');
    await settled();
    assert.match(await page.locator('#statut').textContent(), /à moins de 50 km de Ploudalmézeau/);
    await page.goBack();
    await page.waitForFunction(() => document.getElementById('rayon').value === '20');

    await page.fill('#pres', 'Nullepartville');
    await page.press('#pres', 'Enter');
    await page.waitForFunction(() => document.getElementById('statut').textContent.startsWith('Commune introuvable'));
    assert.deepEqual(errors, [], 'no script error');
  });

  test('an offer page shows other offers of its domain and kind nearby, nearest first', async () => {
    // The offer with the most offers of its domain and kind within 100 km.
    const placed = listed.filter((o) => o.commune);
    const peers = (offer) => placed.filter((o) => o.id !== offer.id && o.domain === offer.domain
      && o.kind === offer.kind && kilometres(communes.get(offer.commune), communes.get(o.commune)) <= 100);
    const offer = placed.reduce((best, o) => (peers(o).length > peers(best).length ? o : best));
    assert.ok(peers(offer).length > 0, 'the demo site has neighbours of one kind');
    await page.goto(`${SITE_URL}/annonces/${offer.id}/`, { waitUntil: 'load' });
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.locator('#a-proximite').waitFor({ state: 'visible', timeout: 20_000 });
    const shown = await page.locator('#a-proximite li').evaluateAll((items) => items.map((li) => ({
      url: li.querySelector('a').getAttribute('href'),
      meta: li.querySelector('.meta').textContent,
    })));
    assert.ok(shown.length >= 1 && shown.length <= 6, JSON.stringify(shown));
    const centre = communes.get(offer.commune);
    const distances = shown.map((item) => {
      assert.notEqual(item.url, `/annonces/${offer.id}/`, 'not the offer itself');
      const other = listed.find((o) => item.url === `/annonces/${o.id}/`);
      assert.ok(other, `${item.url} is listed`);
      assert.deepEqual([other.domain, other.kind], [offer.domain, offer.kind], item.url);
      const km = kilometres(centre, communes.get(other.commune));
      assert.ok(item.meta.startsWith(km < 1 ? "à moins d'1 km · " : `à ${Math.round(km)} km · `), item.meta);
      return km;
    });
    assert.deepEqual(distances, [...distances].sort((a, b) => a - b), 'nearest first');
    assert.deepEqual(errors, [], 'no script error');
  });

  test('commune, department and offer pages lead to the search around them', async () => {
    const offer = listed.find((o) => o.commune);
    const commune = communes.get(offer.commune);
    const link = `/recherche/?pres=${commune.slug}&rayon=20`;
    for (const path of [`/villes/${commune.slug}/`, `/annonces/${offer.id}/`]) {
      const html = await (await fetch(`${SITE_URL}${path}`)).text();
      assert.ok(html.includes(link.replace('&', '&amp;')), `${path} links ${link}`);
    }
    const department = await (await fetch(`${SITE_URL}/departements/29-finistere/`)).text();
    assert.ok(department.includes('/recherche/?pres=brest-29&amp;rayon=20'), 'Finistère: around Brest');
  });
});
