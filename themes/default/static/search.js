// The search page, on Pagefind's JavaScript API. The index is split by period
// (see /pagefind/buckets.json, newest first): a search reads the newest periods
// and merges older ones while it needs more results, within the few the
// generator allows (older ones on request), so a first query stays small.
// Results come newest period first, by publication date within a period, and
// once found keep their place. The URL carries the query and the filters.
// Without JavaScript the page keeps its browsing links. Choosing a region narrows
// the departments; a search that finds nothing suggests the wider ones that would
// find something; on a phone the filters fold behind « Filtres (n) ».
// « Près de » a commune (`?pres=SLUG&rayon=KM`): the communes within the radius
// come from /communes/positions/, the index counts the matches of each (its
// `commune` filter), and results come nearest commune first, newest first within
// a commune, each with its distance.
const PAGE = 10;
const RADII = [5, 10, 20, 50, 100];
const DEFAULT_RADIUS = 20;
// Where communes are, distances, the index's periods: shared with offer pages.
const near = await import(document.querySelector('script[data-near]').dataset.near);
const { UnknownPlace, communeOfInsee, communeOfSlug, communesWithin, distanceLabel } = near;
const FILTERS = ['domaine', 'region', 'departement', 'type', 'engagement', 'du', 'au', 'distance'];
// Months an offer can be available in ahead of today (an end date is at most a
// year ahead).
const MONTHS_AHEAD = 13;
const form = document.getElementById('recherche');
const filtersZone = document.getElementById('filtres');
const activeCount = document.getElementById('filtres-actifs');
const clear = document.getElementById('effacer');
const suggestions = document.getElementById('suggestions');
const narrow = window.matchMedia('(max-width: 40rem)');
const zone = document.getElementById('resultats-zone');
const status = document.getElementById('statut');
const list = document.getElementById('resultats');
const more = document.getElementById('plus');
const browse = document.getElementById('parcourir');
const placeInput = form.elements.pres;
// « Créer une alerte » saves the search on screen.
const alertQuery = document.querySelector('#alerte input[name="recherche"]');

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
  const index = await near.openIndex();
  ({ buckets, automatic, placeholder } = index);
  pagefind = index.pagefind;
}

function mergeNext() {
  const position = merged;
  merged += 1;
  return near.mergePeriod(pagefind, buckets, position);
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

// « décembre 2026 », for the month selects; values are `YYYY-MM`.
const monthName = new Intl.DateTimeFormat('fr-FR', { month: 'long', year: 'numeric', timeZone: 'UTC' });
function monthsFrom(first, count) {
  const [year, month] = first.split('-').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(Date.UTC(year, month - 1 + i, 1));
    return date.toISOString().slice(0, 7);
  });
}
// The visitor's own month (not UTC's, which starts a month early at night on the 1st).
const today = new Date();
const thisMonth = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}`;
for (const name of ['du', 'au']) {
  for (const value of monthsFrom(thisMonth, MONTHS_AHEAD)) {
    form.elements[name].append(new Option(monthName.format(new Date(`${value}-01T00:00:00Z`)), value));
  }
}

// The months a visitor's period covers, matched against the months each offer
// is available in (the index's `mois` filter).
function monthsOf(params) {
  const from = params.get('du') || thisMonth;
  const to = params.get('au') || monthsFrom(thisMonth, MONTHS_AHEAD).at(-1);
  return monthsFrom(from, MONTHS_AHEAD + 1).filter((month) => month <= to);
}

// A region narrows the departments to its own; a department brings its region.
// Options are taken out of the list rather than hidden (iOS shows hidden ones).
const departmentGroups = [...form.elements.departement.querySelectorAll('optgroup')];
function narrowDepartments() {
  const region = form.elements.region.value;
  const select = form.elements.departement;
  const chosen = select.value;
  const kept = departmentGroups.filter((group) => !region || group.dataset.region === region);
  select.replaceChildren(select.options[0], ...kept);
  select.value = kept.some((group) => group.querySelector(`option[value="${chosen}"]`)) ? chosen : '';
}

// « Jusqu'en » never before « à partir de ».
function orderMonths() {
  const from = form.elements.du.value;
  for (const option of form.elements.au.options) {
    option.disabled = Boolean(from && option.value && option.value < from);
  }
  if (from && form.elements.au.value && form.elements.au.value < from) form.elements.au.value = '';
}

function showActiveFilters(params) {
  // A department's region comes with it: one filter, not two.
  const implied = params.has('departement') ? 1 : 0;
  const count = FILTERS.filter((name) => params.has(name)).length - (params.has('region') ? implied : 0);
  activeCount.textContent = count ? ` (${count})` : '';
  clear.hidden = count === 0;
}

function fromUrl() {
  const params = new URLSearchParams(window.location.search);
  form.elements.q.value = params.get('q') || '';
  // The commune's name comes once its slug is read (see `run`).
  const slug = params.get('pres') || '';
  if (slug !== placeInput.dataset.slug) placeInput.value = slug;
  delete placeInput.dataset.insee;
  placeInput.dataset.slug = slug;
  placeInput.dataset.label = placeInput.value;
  const radius = params.get('rayon');
  form.elements.rayon.value = RADII.map(String).includes(radius) ? radius : String(DEFAULT_RADIUS);
  form.elements['a-distance'].checked = params.get('a-distance') === 'oui';
  for (const name of FILTERS) {
    const field = form.elements[name];
    const value = params.get(name) || '';
    if (field.type === 'checkbox') field.checked = value === field.value;
    else field.value = [...field.options].some((o) => o.value === value) ? value : '';
  }
  // A department alone in the URL brings its region (for the wider suggestions).
  const department = form.elements.departement.selectedOptions[0];
  if (department && department.value && !form.elements.region.value) {
    form.elements.region.value = department.dataset.region;
  }
  narrowDepartments();
  orderMonths();
}

async function toParams() {
  const params = new URLSearchParams();
  const q = form.elements.q.value.trim();
  if (q) params.set('q', q);
  if (placeInput.value.trim()) {
    params.set('pres', (await typedPlace()).slug);
    params.set('rayon', form.elements.rayon.value);
    if (form.elements['a-distance'].checked) params.set('a-distance', 'oui');
  }
  for (const name of FILTERS) {
    const field = form.elements[name];
    if (field.type === 'checkbox' ? field.checked : field.value) params.set(name, field.value);
  }
  return params;
}

function pagefindOptions(params, extra = {}) {
  const filters = {};
  for (const name of FILTERS) {
    if (params.has(name) && name !== 'du' && name !== 'au') filters[name] = params.get(name);
  }
  if (params.has('du') || params.has('au')) filters.mois = { any: monthsOf(params) };
  return { filters: { ...filters, ...extra }, sort: { date: 'desc' } };
}

// What the « Près de » field names: the commune chosen in its list, « Nom (29) »,
// a name written in full, or a postcode (its most populous commune).
async function typedPlace() {
  const text = placeInput.value.trim();
  if (placeInput.dataset.insee) return communeOfInsee(placeInput.dataset.insee);
  if (placeInput.dataset.slug && placeInput.dataset.label === text) return communeOfSlug(placeInput.dataset.slug);
  if (!placeInput.lookUpCommune) throw new UnknownPlace(text);
  const named = /^(.*\S)\s*\(([0-9AB]{2,3})\)$/i.exec(text);
  const query = named ? named[1] : text;
  const { entries, guessed } = await placeInput.lookUpCommune(query);
  const fold = placeInput.foldName;
  const matching = entries.filter((e) => (!named || e[1].toUpperCase() === named[2].toUpperCase())
    && (/^\d+$/.test(query) || fold(e[0]) === fold(query)));
  if (guessed || !matching.length) throw new UnknownPlace(text);
  return communeOfInsee(matching[0][3]);
}

async function placeOf(params) {
  const centre = await communeOfSlug(params.get('pres'));
  const asked = Number(params.get('rayon'));
  const radius = RADII.includes(asked) ? asked : DEFAULT_RADIUS;
  return { centre, radius, remote: params.get('a-distance') === 'oui', within: await communesWithin(centre, radius) };
}


const plural = (n, one, many) => `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;

function describe(search) {
  const n = search.place ? search.total : search.order.length;
  const complete = merged === buckets.length;
  const since = complete ? '' : ` depuis le ${buckets[merged - 1].since}`;
  const place = search.place;
  const where = place
    ? ` à moins de ${place.radius} km de ${place.centre.name}${place.remote ? ' ou à distance' : ''}` : '';
  if (n === 0) return `Aucune annonce${since && ` publiée${since}`}${where} ne correspond à cette recherche.`;
  const found = plural(n, 'annonce trouvée', 'annonces trouvées');
  const scope = complete ? '' : ` parmi les annonces publiées${since}`;
  const order = place ? 'les plus proches d\'abord' : 'les plus récentes d\'abord';
  return `${found}${where}${scope}, ${order} ; ${plural(search.shown, 'affichée', 'affichées')}.`;
}

function item(data, km) {
  const li = document.createElement('li');
  const heading = document.createElement('h2');
  const link = document.createElement('a');
  link.href = data.url;
  link.textContent = data.meta.title;
  heading.append(link);
  // Whether it asks for help or offers it, as the listings say.
  const tags = document.createElement('p');
  tags.className = 'tags';
  const tag = (text, kind) => {
    const span = document.createElement('span');
    span.className = kind ? `tag tag-${kind}` : 'tag';
    span.textContent = text;
    return span;
  };
  tags.append(tag(data.meta.type_label, data.meta.type), ' ', tag(data.meta.engagement));
  const details = document.createElement('p');
  details.className = 'meta';
  const distance = km === undefined ? null : distanceLabel(km);
  details.textContent = [distance, data.meta.lieu, data.meta.domaine, data.meta.dates, `publiée le ${data.meta.date}`]
    .filter(Boolean).join(' · ');
  li.append(heading, tags, details);
  return li;
}

// Wider searches than one that found nothing, each with what it would find:
// without the keyword, the whole region or all of France, all domains, without
// the other filters, the keyword alone.
async function suggest(search, params) {
  const without = (...names) => {
    const wider = new URLSearchParams(params);
    for (const name of names) wider.delete(name);
    return wider;
  };
  const region = form.elements.region.selectedOptions[0];
  const regionHolds = region && region.value
    && departmentGroups.find((group) => group.dataset.region === region.value)?.children.length > 1;
  const candidates = [];
  if (params.has('q')) candidates.push([without('q'), `Sans le mot-clé « ${params.get('q')} »`]);
  if (params.has('departement') && regionHolds) {
    candidates.push([without('departement'), `Dans toute la région ${region.textContent}`]);
  }
  if (params.has('departement') || params.has('region')) {
    candidates.push([without('departement', 'region'), 'Dans toute la France']);
  }
  if (params.has('pres')) {
    for (const radius of RADII.filter((r) => r > Number(params.get('rayon')))) {
      const wider = new URLSearchParams(params);
      wider.set('rayon', String(radius));
      candidates.push([wider, `Dans un rayon de ${radius} km`]);
    }
    candidates.push([without('pres', 'rayon', 'a-distance'), 'Sans le lieu']);
  }
  if (params.has('domaine')) candidates.push([without('domaine'), 'Dans tous les domaines']);
  const others = ['type', 'engagement', 'distance', 'du', 'au'].filter((name) => params.has(name));
  if (others.length) candidates.push([without(...others), 'Sans les filtres de type, d\'engagement, de distance ni de dates']);
  if (params.has('q') && FILTERS.some((name) => params.has(name))) {
    candidates.push([without(...FILTERS), `Le mot-clé « ${params.get('q')} » sans aucun filtre`]);
  }
  const found = [];
  for (const [wider, label] of candidates) {
    const count = await countOf(wider);
    // A newer search, or this one reading older periods: the suggestions are stale.
    if (search !== current || search.shown > 0 || search.widened) return;
    if (count) found.push([wider, `${label} : ${plural(count, 'annonce', 'annonces')}`]);
  }
  if (!found.length) return;
  suggestions.replaceChildren(...found.map(([wider, text]) => {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = `?${wider}`;
    link.textContent = text;
    li.append(link);
    return li;
  }));
  suggestions.hidden = false;
  status.textContent += ' D\'autres recherches trouvent des annonces : voyez ci-dessous.';
}

// How many offers a search finds in the periods read.
const matches = (term, options) => pagefind.search(term, options)
  .then((response) => response.results.filter((r) => !placeholder.has(r.id)).length);

async function countOf(params) {
  const term = params.get('q') || null;
  const found = (options) => matches(term, options);
  if (!params.has('pres')) return found(pagefindOptions(params));
  const place = await placeOf(params);
  const near = place.within.size ? await found(pagefindOptions(params, { commune: { any: [...place.within.keys()] } })) : 0;
  return near + (place.remote ? await found(pagefindOptions(params, { distance: 'oui' })) : 0);
}

// A search near a place reads every period within `limit` before it shows
// anything (a period read later could hold nearer offers), counts the matches of
// each commune within reach, then reads them commune by commune, nearest first;
// offers given at a distance come last when asked for.
async function fillNear(search, wanted, limit) {
  const last = Math.min(buckets.length, limit);
  const exhausted = search.queue && search.next >= search.queue.length && search.order.length < wanted;
  if (!search.queue || (exhausted && merged < last)) {
    await Promise.all(Array.from({ length: last - merged }, mergeNext));
    if (search !== current) return;
    if (search.shown) {
      // Older periods can hold nearer offers: the list starts again, nearest first.
      Object.assign(search, { order: [], seen: new Set(), shown: 0, restarted: true });
    }
    const { within, remote } = search.place;
    const options = (extra) => pagefindOptions(search.params, extra);
    search.queue = await near.communesHolding(pagefind, search.term, options, within);
    if (remote) {
      const distant = options({ distance: 'oui' });
      const n = await matches(search.term, distant);
      if (n) search.queue.push({ km: null, n, options: distant });
    }
    search.total = search.queue.reduce((sum, group) => sum + group.n, 0);
    search.next = 0;
  }
  while (search === current && search.order.length < wanted && search.next < search.queue.length) {
    const group = search.queue[search.next];
    search.next += 1;
    const response = await pagefind.search(search.term, group.options);
    for (const result of response.results) {
      if (!placeholder.has(result.id) && !search.seen.has(result.id)) {
        search.seen.add(result.id);
        result.km = group.km;
        search.order.push(result);
      }
    }
  }
}

async function show(search, limit) {
  more.disabled = true;
  if (search.order.length === 0 && limit === Infinity) {
    search.widened = true;
    suggestions.hidden = true;
  }
  await (search.place ? fillNear : fill)(search, search.shown + PAGE + 1, limit);
  if (search !== current) return;
  const page = search.order.slice(search.shown, search.shown + PAGE);
  const items = (await Promise.all(page.map((r) => r.data()))).map((data, i) => item(data, page[i].km));
  if (search !== current) return;
  if (search.restarted) {
    list.replaceChildren();
    search.restarted = false;
  }
  const first = search.shown === 0;
  list.append(...items);
  search.shown += page.length;
  const loaded = search.shown < (search.place ? search.total : search.order.length);
  more.hidden = !loaded && merged === buckets.length;
  more.disabled = false;
  more.textContent = loaded ? 'Plus de résultats' : 'Chercher dans les annonces plus anciennes';
  status.textContent = describe(search);
  if (!first && items.length) items[0].querySelector('a').focus();
  if (first && search.order.length === 0) await suggest(search, search.params);
}

// After a failure (a deploy replaced the index under an open page, the network),
// the next search starts afresh.
async function reset() {
  const module = pagefind;
  pagefind = null;
  merged = 0;
  if (module) await module.destroy().catch(() => {});
}

async function run(params, reveal = false) {
  if (alertQuery) alertQuery.value = params.toString();
  list.replaceChildren();
  more.hidden = true;
  suggestions.hidden = true;
  suggestions.replaceChildren();
  showActiveFilters(params);
  const active = params.has('q') || params.has('pres') || FILTERS.some((name) => params.has(name));
  browse.hidden = active;
  zone.classList.toggle('active', active);
  if (!active) {
    status.textContent = '';
    current = null;
    return;
  }
  status.textContent = 'Recherche…';
  const search = {
    params,
    term: params.get('q') || null,
    options: pagefindOptions(params),
    order: [],
    seen: new Set(),
    shown: 0,
  };
  current = search;
  try {
    await start();
    if (params.has('pres')) {
      search.place = await placeOf(params);
      if (search !== current) return;
      // The field shows the commune's name, not its slug.
      placeInput.value = search.place.centre.label;
      placeInput.dataset.label = placeInput.value;
    } else {
      await collect(search);
    }
    await show(search, automatic);
    // On a phone the results sit below the filters: bring the count into view.
    if (reveal && narrow.matches && search === current) status.scrollIntoView({ block: 'start' });
  } catch (error) {
    if (error instanceof UnknownPlace) {
      if (search === current) status.textContent = `Commune introuvable : « ${error.message} ». Choisissez-la dans la liste.`;
      return;
    }
    await reset();
    if (search !== current) return;
    status.textContent = "La recherche n'est pas disponible pour le moment. Réessayez, ou parcourez les annonces ci-dessous.";
    browse.hidden = false;
  }
}

// The form's state as URL parameters, or nothing when the « Près de » field names
// no commune (said in the status line).
async function formParams() {
  try {
    return await toParams();
  } catch (error) {
    if (!(error instanceof UnknownPlace)) throw error;
    current = null;
    list.replaceChildren();
    more.hidden = true;
    zone.classList.add('active');
    status.textContent = `Commune introuvable : « ${placeInput.value.trim()} ». Choisissez-la dans la liste des communes proposées.`;
    return null;
  }
}

// What the URL asks for (on load, back/forward, a suggestion followed).
async function runFromUrl(reveal = false) {
  fromUrl();
  const params = await formParams();
  if (params) run(params, reveal);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const params = await formParams();
  if (!params) {
    placeInput.focus();
    return;
  }
  const query = params.toString();
  // The same search again (a commune chosen, then the field left): nothing to do.
  if (current && `?${query}` === window.location.search) return;
  history.pushState(null, '', query ? `?${query}` : window.location.pathname);
  run(params, true);
});
form.addEventListener('change', (event) => {
  if (event.target.name === 'region') narrowDepartments();
  if (event.target.name === 'du') orderMonths();
  if (event.target.name === 'departement' && event.target.value) {
    form.elements.region.value = event.target.selectedOptions[0].dataset.region;
    narrowDepartments();
  }
  if (event.target.name !== 'q') form.requestSubmit();
});
// A suggestion runs in place: the periods already read stay, so it finds what
// its count said.
suggestions.addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (!link) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  runFromUrl(true);
});
clear.addEventListener('click', () => {
  for (const name of FILTERS) {
    const field = form.elements[name];
    if (field.type === 'checkbox') field.checked = false;
    else field.value = '';
  }
  narrowDepartments();
  orderMonths();
  form.requestSubmit();
  form.elements.q.focus();
});
more.addEventListener('click', () => {
  const search = current;
  if (!search || more.disabled) return;
  show(search, Infinity).catch(async () => {
    await reset();
    if (search === current) status.textContent = "La recherche n'est pas disponible pour le moment. Réessayez.";
  });
});
window.addEventListener('popstate', () => runFromUrl());

// On a phone the filters fold away until asked for.
if (narrow.matches) filtersZone.open = false;
runFromUrl();
