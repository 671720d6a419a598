// The search page, on Pagefind's JavaScript API. The index is split by period
// (see /pagefind/buckets.json, newest first): a search reads the newest periods
// and merges older ones while it needs more results, within the few the
// generator allows (older ones on request), so a first query stays small.
// Results come newest period first, by publication date within a period, and
// once found keep their place. The URL carries the query and the filters.
// Without JavaScript the page keeps its browsing links.
const PAGE = 10;
const FILTERS = ['domaine', 'region', 'departement', 'type', 'engagement', 'distance'];
const form = document.getElementById('recherche');
const zone = document.getElementById('resultats-zone');
const status = document.getElementById('statut');
const list = document.getElementById('resultats');
const more = document.getElementById('plus');
const browse = document.getElementById('parcourir');

let pagefind = null;
let buckets = [];
// Periods a search reads by itself (the generator sets it so that a first query
// stays under 300 KB); older ones on request.
let automatic = 1;
let merged = 0;
// Ids of the root index's placeholder record, never shown.
let placeholder = new Set();
// The current search: its words, options, results in display order, how many shown.
let current = null;

async function start() {
  if (pagefind) return;
  const response = await fetch('/pagefind/buckets.json', { cache: 'no-cache' });
  if (!response.ok) throw new Error('index absent');
  const index = await response.json();
  buckets = index.buckets;
  automatic = index.automatic;
  const module = await import('/pagefind/pagefind.js');
  await module.options({ basePath: '/pagefind/', metaCacheTag: index.root });
  await module.init();
  const found = await module.search(index.placeholder);
  placeholder = new Set(found.results.map((r) => r.id));
  pagefind = module;
}

// Pagefind ranks merged indexes together by score (with a sort, a record's rank
// in its own period): each older period's scores are scaled down a million
// times so that periods merged together keep their order (past 50 periods the
// weights bottom out; a period's oldest match, scored 0, may come after the
// next period's).
const weight = (position) => Math.max(1e-6 ** position, 1e-300);

function mergeNext() {
  const position = merged;
  merged += 1;
  const bucket = buckets[position];
  return pagefind.mergeIndex(bucket.path, { metaCacheTag: bucket.tag, indexWeight: weight(position) });
}

// Results not seen before belong to the periods merged last: appended, so that
// what is shown never moves.
async function collect(search) {
  const response = await pagefind.search(search.term, search.options);
  for (const result of response.results) {
    if (!placeholder.has(result.id) && !search.seen.has(result.id)) {
      search.seen.add(result.id);
      search.order.push(result);
    }
  }
}

// Merges older periods until `wanted` results are known, every period is read
// or `limit` periods are merged; a newer search stops an older one's merging.
async function fill(search, wanted, limit) {
  const last = Math.min(buckets.length, limit);
  while (search === current && search.order.length < wanted && merged < last) {
    // One period, then two at once, then four…: a rare word reaches old periods
    // in a few round trips.
    const batch = Math.min(Math.max(merged, 1), last - merged);
    await Promise.all(Array.from({ length: batch }, mergeNext));
    await collect(search);
  }
}

function fromUrl() {
  const params = new URLSearchParams(window.location.search);
  form.elements.q.value = params.get('q') || '';
  for (const name of FILTERS) {
    const field = form.elements[name];
    const value = params.get(name) || '';
    if (field.type === 'checkbox') field.checked = value === field.value;
    else field.value = [...field.options].some((o) => o.value === value) ? value : '';
  }
}

function toParams() {
  const params = new URLSearchParams();
  const q = form.elements.q.value.trim();
  if (q) params.set('q', q);
  for (const name of FILTERS) {
    const field = form.elements[name];
    if (field.type === 'checkbox' ? field.checked : field.value) params.set(name, field.value);
  }
  return params;
}

function pagefindOptions(params) {
  const filters = {};
  for (const name of FILTERS) {
    if (params.has(name)) filters[name] = params.get(name);
  }
  return { filters, sort: { date: 'desc' } };
}

const plural = (n, one, many) => `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;

function describe(search) {
  const n = search.order.length;
  const complete = merged === buckets.length;
  const since = complete ? '' : ` depuis le ${buckets[merged - 1].since}`;
  if (n === 0) return `Aucune annonce${since && ` publiée${since}`} ne correspond à cette recherche.`;
  const found = plural(n, 'annonce trouvée', 'annonces trouvées');
  const scope = complete ? '' : ` parmi les annonces publiées${since}`;
  return `${found}${scope}, les plus récentes d'abord ; ${plural(search.shown, 'affichée', 'affichées')}.`;
}

function item(data) {
  const li = document.createElement('li');
  const heading = document.createElement('h2');
  const link = document.createElement('a');
  link.href = data.url;
  link.textContent = data.meta.title;
  heading.append(link);
  const details = document.createElement('p');
  details.className = 'meta';
  details.textContent = [data.meta.lieu, data.meta.domaine, `publiée le ${data.meta.date}`]
    .filter(Boolean).join(' · ');
  li.append(heading, details);
  return li;
}

async function show(search, limit) {
  more.disabled = true;
  await fill(search, search.shown + PAGE + 1, limit);
  if (search !== current) return;
  const page = search.order.slice(search.shown, search.shown + PAGE);
  const items = (await Promise.all(page.map((r) => r.data()))).map(item);
  if (search !== current) return;
  const first = search.shown === 0;
  list.append(...items);
  search.shown += page.length;
  const loaded = search.shown < search.order.length;
  more.hidden = !loaded && merged === buckets.length;
  more.disabled = false;
  more.textContent = loaded ? 'Plus de résultats' : 'Chercher dans les annonces plus anciennes';
  status.textContent = describe(search);
  if (!first && items.length) items[0].querySelector('a').focus();
}

// After a failure (a deploy replaced the index under an open page, the network),
// the next search starts afresh.
async function reset() {
  const module = pagefind;
  pagefind = null;
  merged = 0;
  if (module) await module.destroy().catch(() => {});
}

async function run(params) {
  list.replaceChildren();
  more.hidden = true;
  const active = params.has('q') || FILTERS.some((name) => params.has(name));
  browse.hidden = active;
  zone.classList.toggle('active', active);
  if (!active) {
    status.textContent = '';
    current = null;
    return;
  }
  status.textContent = 'Recherche…';
  const search = {
    term: params.get('q') || null,
    options: pagefindOptions(params),
    order: [],
    seen: new Set(),
    shown: 0,
  };
  current = search;
  try {
    await start();
    await collect(search);
    await show(search, automatic);
  } catch (error) {
    await reset();
    if (search !== current) return;
    status.textContent = "La recherche n'est pas disponible pour le moment. Réessayez, ou parcourez les annonces ci-dessous.";
    browse.hidden = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const params = toParams();
  const query = params.toString();
  history.pushState(null, '', query ? `?${query}` : window.location.pathname);
  run(params);
});
form.addEventListener('change', (event) => {
  if (event.target.name !== 'q') form.requestSubmit();
});
more.addEventListener('click', () => {
  const search = current;
  if (!search || more.disabled) return;
  show(search, Infinity).catch(async () => {
    await reset();
    if (search === current) status.textContent = "La recherche n'est pas disponible pour le moment. Réessayez.";
  });
});
window.addEventListener('popstate', () => {
  fromUrl();
  run(toParams());
});

fromUrl();
run(toParams());
