// Commune completion (ARIA 1.2 combobox pattern) on the posting form's commune
// and the search's « Près de »: as a name or a postcode is typed, suggestions come
// from small static files drawn from the commune table. Without JavaScript the
// posting form still works: the function resolves names and postcodes itself.
// The search page asks the field itself what a typed text names
// (`input.lookUpCommune`, folding names with `input.foldName`), and reads the
// chosen commune's INSEE code from `input.dataset.insee`.
(() => {
  const input = document.getElementById('commune') || document.getElementById('pres');
  if (!input || !window.fetch) return;
  const SHOWN = 8;
  const list = document.createElement('ul');
  list.id = `${input.id}-suggestions`;
  list.className = 'suggestions';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Communes proposées');
  list.hidden = true;
  const status = document.createElement('p');
  status.className = 'visually-hidden';
  status.setAttribute('role', 'status');
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);
  // Said on screen too when the suggestions are guesses at a typo.
  const guess = document.createElement('p');
  guess.className = 'hint suggestions-guess';
  guess.textContent = "Aucune commune ne s'écrit ainsi. Vouliez-vous dire l'une de celles-ci ?";
  guess.hidden = true;
  input.parentElement.classList.add('has-suggestions');
  input.after(guess, list, status);

  // As the generator folds names: accents, case and punctuation ignored, « St »
  // and « Ste » read as « Saint » and « Sainte ».
  const fold = (text) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, ' ').trim()
    .replace(/\b(ste?)\b/g, (word) => (word === 'st' ? 'saint' : 'sainte'));
  // Levenshtein distance, for the names a typo comes closest to.
  const distance = (a, b) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
      const next = [i];
      for (let j = 1; j <= b.length; j += 1) {
        next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      row = next;
    }
    return row[b.length];
  };
  // As many typos as the server forgives (offers/src/communes.rs).
  const tolerance = (length) => (length <= 4 ? 0 : length <= 8 ? 1 : 2);
  const files = new Map();
  const load = (url) => {
    if (!files.has(url)) {
      files.set(url, fetch(url).then((r) => (r.ok ? r.json() : [])).catch(() => []));
    }
    return files.get(url);
  };

  // What a look-up found, and whether it is a guess at a typo.
  async function lookUp(text) {
    const query = fold(text);
    if (/^\d{3,5}$/.test(query)) {
      const entries = await load(`/communes/codes-postaux/${query.slice(0, 3)}.json`);
      return { entries: entries.filter((e) => e[2].startsWith(query)), guessed: false };
    }
    if (query.length < 2) return { entries: [], guessed: false };
    const prefixes = await load('/communes/noms/index.json');
    const prefix = prefixes.reduce(
      (best, p) => (query.startsWith(p) && p.length > best.length ? p : best), '');
    if (!prefix) return { entries: [], guessed: false };
    const entries = await load(`/communes/noms/${prefix.replace(/ /g, '-')}.json`);
    const found = entries.filter((e) => fold(e[0]).startsWith(query));
    if (found.length) return { entries: found, guessed: false };
    // Nothing starts so: the names of the file a typo comes closest to.
    const allowed = tolerance(query.length);
    const guesses = entries
      .map((e) => [distance(query, fold(e[0])), e])
      .filter(([d]) => d <= allowed)
      .sort((a, b) => a[0] - b[0])
      .map(([, e]) => e);
    return { entries: guesses, guessed: true };
  }

  let options = [];
  let active = -1;
  let latest = 0;

  function close() {
    list.hidden = true;
    guess.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index) {
    options.forEach((option, i) => option.setAttribute('aria-selected', String(i === index)));
    active = index;
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', options[index].id);
      options[index].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function choose(option) {
    input.value = option.dataset.value;
    input.dataset.insee = option.dataset.insee;
    close();
    status.textContent = `${option.dataset.value} choisie.`;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function show({ entries, guessed }) {
    list.replaceChildren();
    options = entries.slice(0, SHOWN).map(([name, department, postcode, insee], i) => {
      const option = document.createElement('li');
      option.id = `${input.id}-option-${i}`;
      option.setAttribute('role', 'option');
      option.setAttribute('aria-selected', 'false');
      option.dataset.value = `${name} (${department})`;
      option.dataset.insee = insee;
      option.textContent = `${name} (${department}) · ${postcode}`;
      option.addEventListener('mousedown', (event) => event.preventDefault());
      option.addEventListener('click', () => choose(option));
      list.append(option);
      return option;
    });
    active = -1;
    list.hidden = options.length === 0;
    guess.hidden = list.hidden || !guessed;
    input.setAttribute('aria-expanded', String(!list.hidden));
    const proposed = options.length === 1 ? '1 commune proposée' : `${options.length} communes proposées`;
    status.textContent = options.length === 0 ? 'Aucune commune trouvée.'
      : guessed ? `Aucune commune ne s'écrit ainsi ; ${options.length === 1 ? '1 commune proche proposée' : `${options.length} communes proches proposées`}.`
        : `${proposed}.`;
  }

  input.lookUpCommune = lookUp;
  input.foldName = fold;
  input.addEventListener('input', async () => {
    delete input.dataset.insee;
    const asked = ++latest;
    const found = await lookUp(input.value);
    if (asked === latest) {
      if (fold(input.value).length < 2) close(); else show(found);
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (list.hidden) return;
      event.preventDefault();
      const count = options.length;
      highlight(event.key === 'ArrowDown' ? (active + 1) % count
        : (active <= 0 ? count - 1 : active - 1));
    } else if (event.key === 'Enter' && !list.hidden && active >= 0) {
      event.preventDefault();
      choose(options[active]);
    } else if (event.key === 'Escape' && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener('blur', close);
})();
