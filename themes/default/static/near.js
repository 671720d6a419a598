// Shared by the search page and the « À proximité » block of offer pages:
// where communes are (/communes/positions/), distances, and the Pagefind index
// split by period (/pagefind/buckets.json). Loaded by the pages' own modules,
// which find this one's published name in their script tag's `data-near`.
const EARTH_RADIUS_KM = 6371.0088;

// Where communes are: one file per department, and every department's bounding
// box to know which files a circle needs.
const fetched = new Map();
export function json(url) {
  if (!fetched.has(url)) {
    fetched.set(url, fetch(url).then((response) => {
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      return response.json();
    }));
  }
  return fetched.get(url);
}
// `[INSEE, latitude, longitude]` of a department's communes, and `[INSEE, slug,
// name]` in a file apart, read only for the commune a search is centred on.
export const positionsOf = (department) => json(`/communes/positions/${department.toLowerCase()}.json`);
export const namesOf = (department) => json(`/communes/positions/${department.toLowerCase()}-noms.json`);

export class UnknownPlace extends Error {}

async function communeFrom([insee, slug, name], department) {
  const [, lat, lon] = (await positionsOf(department)).find((e) => e[0] === insee) || [];
  if (lat === undefined) throw new UnknownPlace(name);
  return { insee, slug, name, lat, lon, label: `${name} (${department})` };
}

// The department of an INSEE code: 2 characters, 3 overseas (97x, 98x).
export const departmentOf = (insee) => insee.slice(0, /^9[78]/.test(insee) ? 3 : 2);

export async function communeOfInsee(insee) {
  const department = departmentOf(insee);
  const entry = (await namesOf(department)).find((e) => e[0] === insee);
  if (!entry) throw new UnknownPlace(insee);
  return communeFrom(entry, department);
}

// A slug ends with its department (`brest-29`), or for homonyms with its INSEE
// code (`saint-pierre-97416`).
export async function communeOfSlug(slug) {
  const last = slug.slice(slug.lastIndexOf('-') + 1).toUpperCase();
  const department = /^(\d{5}|2[AB]\d{3})$/.test(last) ? departmentOf(last) : last;
  const entries = await namesOf(department).catch(() => []);
  const entry = entries.find((e) => e[1] === slug);
  if (!entry) throw new UnknownPlace(slug);
  return communeFrom(entry, department);
}

export function kilometres(a, b) {
  const radians = Math.PI / 180;
  const half = (x) => Math.sin((x * radians) / 2) ** 2;
  const h = half(b.lat - a.lat) + Math.cos(a.lat * radians) * Math.cos(b.lat * radians) * half(b.lon - a.lon);
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}

// The communes within `radius` km of `centre`, with their distances, read from
// the departments whose box comes within reach.
export async function communesWithin(centre, radius) {
  const boxes = await json('/communes/positions/index.json');
  const reached = Object.entries(boxes).filter(([, [south, west, north, east]]) => {
    const nearest = {
      lat: Math.min(Math.max(centre.lat, south), north),
      lon: Math.min(Math.max(centre.lon, west), east),
    };
    // A box's nearest point is found by clamping, a close guess on a sphere: a
    // margin of a kilometre.
    return kilometres(centre, nearest) <= radius + 1;
  });
  // The departments' files are fetched together, not one after the other.
  const lists = await Promise.all(reached.map(([department]) => positionsOf(department)));
  const within = new Map();
  for (const [insee, lat, lon] of lists.flat()) {
    const km = kilometres(centre, { lat, lon });
    if (km <= radius) within.set(insee, km);
  }
  return within;
}

export const distanceLabel = (km) => (km === null ? 'à distance' : km < 1 ? "à moins d'1 km" : `à ${Math.round(km)} km`);

// The index: the list of periods, Pagefind's module, and the ids of the root
// index's placeholder record (never shown).
export async function openIndex() {
  const response = await fetch('/pagefind/buckets.json', { cache: 'no-cache' });
  if (!response.ok) throw new Error('index absent');
  const index = await response.json();
  const pagefind = await import('/pagefind/pagefind.js');
  await pagefind.options({ basePath: '/pagefind/', metaCacheTag: index.root });
  await pagefind.init();
  const found = await pagefind.search(index.placeholder);
  return { pagefind, buckets: index.buckets, automatic: index.automatic, placeholder: new Set(found.results.map((r) => r.id)) };
}

// Pagefind ranks merged indexes together by score (with a sort, a record's rank
// in its own period): each older period's scores are scaled down a million
// times so that periods merged together keep their order (past 50 periods the
// weights bottom out; a period's oldest match, scored 0, may come after the
// next period's).
const weight = (position) => Math.max(1e-6 ** position, 1e-300);
export function mergePeriod(pagefind, buckets, position) {
  const bucket = buckets[position];
  return pagefind.mergeIndex(bucket.path, { metaCacheTag: bucket.tag, indexWeight: weight(position) });
}

// The communes `within` reach that hold matches of `term` with `options(extra)`,
// nearest first, each with its count and the options that read it alone.
export async function communesHolding(pagefind, term, options, within) {
  if (!within.size) return [];
  const counted = await pagefind.search(term, options({ commune: { any: [...within.keys()] } }));
  return Object.entries(counted.filters.commune || {})
    .filter(([insee, n]) => n > 0 && within.has(insee))
    .map(([insee, n]) => ({ km: within.get(insee), n, options: options({ commune: insee }) }))
    .sort((a, b) => a.km - b.km);
}
