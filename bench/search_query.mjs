// Search in headless Chromium against a running site (`entraide serve`): the
// bytes of index a first query downloads, and how long queries take, cold (new
// browser context) and warm (the next queries on the same page). Medians.
//
//   node bench/search_query.mjs http://127.0.0.1:8080 [RUNS]
//
// Needs the npm packages of tests/browser (`npm ci --prefix tests/browser`).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('tests/browser/package.json'));
const { chromium } = require('playwright-core');
const site = (process.argv[2] || 'http://127.0.0.1:8080').replace(/\/$/, '');
const runs = Number.parseInt(process.argv[3] || '5', 10);
const QUERIES = [
  'q=aide',
  'q=infirmier',
  'domaine=medical',
  'q=infirmier&departement=29',
  'q=maraichage&region=53&engagement=paid',
  'q=zythologue',
  // The distance search (issue « Near me »): a dense city, the widest radius,
  // a rural place, with a keyword.
  'pres=paris-75&rayon=20',
  'pres=paris-75&rayon=100',
  'pres=ploudalmezeau-29&rayon=20',
  'q=infirmier&pres=lyon-69&rayon=50',
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
});

// Bytes on the wire (encoded bodies and headers) of the responses under
// /pagefind/, the worker's fetches included, and of the commune positions a
// distance search reads.
function withTransfer(page) {
  const sizes = [];
  page.on('requestfinished', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/pagefind/') || pathname.startsWith('/communes/positions/')) {
      sizes.push(request.sizes());
    }
  });
  return async () => {
    const all = await Promise.all(sizes);
    return all.reduce((sum, s) => sum + s.responseBodySize + s.responseHeadersSize, 0);
  };
}

const settled = (page) => page.waitForFunction(() => {
  const text = document.getElementById('statut').textContent;
  return text !== '' && text !== 'Recherche…';
}, null, { timeout: 60_000 });

// A query typed into a page that already searched: time from submit to results.
async function warm(page, query) {
  return page.evaluate(async (query) => {
    const form = document.getElementById('recherche');
    const params = new URLSearchParams(query);
    for (const field of form.elements) {
      if (!field.name) continue;
      if (field.type === 'checkbox') field.checked = params.has(field.name);
      else field.value = params.get(field.name) || (field.name === 'rayon' ? '20' : '');
    }
    // « Près de » as the URL would give it: a commune's slug.
    const place = form.elements.pres;
    delete place.dataset.insee;
    place.dataset.slug = place.value;
    place.dataset.label = place.value;
    const status = document.getElementById('statut');
    status.textContent = 'Recherche…';
    const start = performance.now();
    form.requestSubmit();
    await new Promise((resolve) => {
      // run() says « Recherche… » as soon as the form is sent, until results show.
      const check = () => (status.textContent !== 'Recherche…' ? resolve() : requestAnimationFrame(check));
      requestAnimationFrame(check);
    });
    return performance.now() - start;
  }, query);
}

console.log(`query                                    first-query KB  cold ms  warm ms  (medians of ${runs})`);
for (const query of QUERIES) {
  const cold = [];
  const warmTimes = [];
  const kilobytes = [];
  for (let run = 0; run < runs; run += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const transferred = withTransfer(page);
    const start = Date.now();
    await page.goto(`${site}/recherche/?${query}`, { waitUntil: 'load' });
    await settled(page);
    cold.push(Date.now() - start);
    kilobytes.push((await transferred()) / 1024);
    await warm(page, 'q=benevole'); // another query, so that the next one is not a repeat
    warmTimes.push(await warm(page, query));
    await context.close();
  }
  console.log(`${query.padEnd(40)} ${median(kilobytes).toFixed(0).padStart(14)} ${String(median(cold)).padStart(8)} ${median(warmTimes).toFixed(0).padStart(8)}`);
}
await browser.close();
