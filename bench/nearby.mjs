// « À proximité » on offer pages, in headless Chromium against a running site
// (`entraide serve`): bytes on the wire the block reads (the index under
// /pagefind/, commune positions, its two scripts) and the time from the page's
// load to the block shown, on a first offer page (cold: new browser context) and
// on a second one in the same context (warm: the browser's cache). Medians.
//
//   node bench/nearby.mjs http://127.0.0.1:8080 [RUNS]
//
// Needs the npm packages of tests/browser (`npm ci --prefix tests/browser`).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('tests/browser/package.json'));
const { chromium } = require('playwright-core');
const site = (process.argv[2] || 'http://127.0.0.1:8080').replace(/\/$/, '');
const runs = Number.parseInt(process.argv[3] || '5', 10);
// Offers in a dense city, a city, a village: the first listed one of each.
const PLACES = [['Paris', '75056'], ['Brest', '29019'], ['Ploudalmézeau', '29178']];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const offers = await (await fetch(`${site}/donnees/annonces.json`)).json();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
});

async function visit(page, offer) {
  const sizes = [];
  const listener = (request) => {
    const { pathname } = new URL(request.url());
    if (/^\/(pagefind|communes\/positions)\/|^\/assets\/(near|nearby)\./.test(pathname)) sizes.push(request.sizes());
  };
  page.on('requestfinished', listener);
  await page.goto(`${site}/annonces/${offer.id}/`, { waitUntil: 'load' });
  const start = Date.now();
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.locator('#a-proximite').waitFor({ state: 'visible', timeout: 60_000 });
  const ms = Date.now() - start;
  page.off('requestfinished', listener);
  const bytes = (await Promise.all(sizes)).reduce((sum, s) => sum + s.responseBodySize + s.responseHeadersSize, 0);
  return { ms, kb: bytes / 1024, shown: await page.locator('#a-proximite li').count() };
}

console.log(`offer in          shown  cold KB  cold ms  warm KB  warm ms  (medians of ${runs})`);
for (const [name, insee] of PLACES) {
  const here = offers.filter((o) => o.commune === insee);
  if (here.length < 2) continue;
  const cold = [];
  const warm = [];
  let shown = 0;
  for (let run = 0; run < runs; run += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    cold.push(await visit(page, here[0]));
    const second = await visit(page, here[1]);
    warm.push(second);
    shown = second.shown;
    await context.close();
  }
  const col = (values, key) => median(values.map((v) => v[key])).toFixed(0).padStart(8);
  console.log(`${name.padEnd(17)} ${String(shown).padStart(5)} ${col(cold, 'kb')} ${col(cold, 'ms')} ${col(warm, 'kb')} ${col(warm, 'ms')}`);
}
await browser.close();
