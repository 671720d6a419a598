// « À proximité » on an offer's page: up to six other listed offers of the same
// domain and kind, nearest first (newest first within a commune), each with its
// distance. Read from the search index when the block comes near the screen, so
// that a page never redrawn for its neighbours stays true (docs/design.md).
// Without JavaScript the block stays hidden; the page's link to the distance
// search remains.
const section = document.getElementById('a-proximite');
const SHOWN = 6;
// Radii tried in turn until six offers are found.
const REACH = [20, 50, 100];

async function fill() {
  const script = document.querySelector('script[data-near]');
  const near = await import(script.dataset.near);
  const { pagefind, buckets, automatic, placeholder } = await near.openIndex();
  // The periods a search reads by itself: a first look stays small.
  await Promise.all(Array.from({ length: Math.min(automatic, buckets.length) },
    (_, position) => near.mergePeriod(pagefind, buckets, position)));
  const { commune, domaine, type, offer } = section.dataset;
  const centre = await near.communeOfInsee(commune);
  const options = (extra) => ({ filters: { domaine, type, ...extra }, sort: { date: 'desc' } });
  let groups = [];
  for (const radius of REACH) {
    const within = await near.communesWithin(centre, radius);
    groups = await near.communesHolding(pagefind, null, options, within);
    // This offer is among them: one more than shown.
    if (groups.reduce((sum, group) => sum + group.n, 0) > SHOWN) break;
  }
  const found = [];
  for (const group of groups) {
    if (found.length >= SHOWN) break;
    const response = await pagefind.search(null, group.options);
    const results = response.results.filter((r) => !placeholder.has(r.id));
    for (const data of await Promise.all(results.slice(0, SHOWN + 1).map((r) => r.data()))) {
      if (data.url !== offer && found.length < SHOWN) found.push({ data, km: group.km });
    }
  }
  if (!found.length) return;
  const list = section.querySelector('ol');
  list.replaceChildren(...found.map(({ data, km }) => {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = data.url;
    link.textContent = data.meta.title;
    const details = document.createElement('p');
    details.className = 'meta';
    details.textContent = [near.distanceLabel(km), data.meta.lieu, data.meta.dates, `publiée le ${data.meta.date}`]
      .filter(Boolean).join(' · ');
    li.append(link, details);
    return li;
  }));
  section.hidden = false;
}

if (section && window.IntersectionObserver) {
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    observer.disconnect();
    // The block is a bonus: a failure leaves it hidden.
    fill().catch(() => {});
  }, { rootMargin: '600px 0px' });
  // The hidden block has no box: watch what comes before it.
  observer.observe(section.previousElementSibling || document.body);
}
