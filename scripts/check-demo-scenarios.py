#!/usr/bin/env python3
"""Checks offers/data/demo-scenarios.json, the coherent scenarios behind the demo offers.

Each demo offer is drawn from ONE scenario (title, author, description paragraphs,
details and skills that agree with each other), so this script checks the shape of
the file, the bounds the platform enforces on a published offer (offers/src/validate.rs),
the coverage the demo needs, and a few consistency rules that catch incoherent texts.

Usage:
    python3 scripts/check-demo-scenarios.py [FILE]       check, print a summary
    python3 scripts/check-demo-scenarios.py --sample N   also print N rendered offers

Standard library only. Exit status 1 when an error is found.
"""

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "offers" / "data" / "demo-scenarios.json"
COMMUNES_FILE = ROOT / "offers" / "data" / "communes.tsv"

DOMAINS = ["agricole", "associatif", "commercial", "medical", "transport",
           "socio-educatif", "impression-3d"]
KINDS = ["request", "offer"]
ENGAGEMENTS = ["volunteer", "paid"]
AUTHOR_KINDS = ["individual", "association", "company", "public_body"]

TOP_KEYS = ["source", "individual_names", "closing_lines", "request_closings",
            "offer_closings", "scenarios"]
SCENARIO_KEYS = ["domain", "kind", "engagement", "author_kind", "authors", "titles",
                 "paragraphs", "details", "skills"]

# Bounds of a published offer (offers/src/validate.rs) and of this corpus.
TITLE_CHARS = (10, 120)
AUTHOR_NAME_CHARS = (2, 80)
DESCRIPTION_CHARS = (30, 5000)
SKILL_CHARS = (2, 40)
MAX_SKILLS = 10
PARAGRAPH_CHARS = (150, 450)
SCENARIO_SKILLS = (3, 8)
MIN_REQUESTS_PER_DOMAIN = 6
MIN_OFFERS_PER_DOMAIN = 5

PLACEHOLDER = "{commune}"
# The brief's stand-in for a commune name: 25 characters.
COMMUNE_25 = "Bourg-" + "x" * 19
assert len(COMMUNE_25) == 25

# --- Heuristics on the French text -------------------------------------------------

# Words that show that a job is paid (contract, pay, invoice...).
PAID_WORDS = re.compile(
    r"rémunér|salaire|salarié|\bsmic\b|\bcdd\b|\bcdi\b|contrat|\bpayée?s?\b|payant|"
    r"\bpaie\b|factur|devis|tarif|recrut|emploi|intérim|vacation|honoraires|"
    r"rétrocession|\bjobs?\b|prestat|forfait|\bpostes?\b|€",
    re.IGNORECASE)
# Words that promise pay: never in a volunteer scenario.
PAY_PROMISE_WORDS = re.compile(
    r"rémunér|salaire|salarié|\bsmic\b|\bcdd\b|\bcdi\b|intérim|recrut|\bpayée?s?\b|"
    r"factur|devis|honoraires|tarif|\bjobs?\b|€",
    re.IGNORECASE)
# Words that show that help is given for free.
VOLUNTEER_WORDS = re.compile(
    r"bénévol|gratuit|offert|\bdons?\b|\bdonne|contrepartie|entraide|covoiturage|"
    r"rien en retour|rien pour mon temps",
    re.IGNORECASE)
FIRST_PERSON_SINGULAR = re.compile(r"\b(?:je|moi|mon|ma|mes)\b|\bj['’]|\bm['’]", re.IGNORECASE)
FIRST_PERSON_PLURAL_POSSESSIVE = re.compile(r"\b(?:notre|nos)\b", re.IGNORECASE)
FIRST_PERSON_ANY = re.compile(r"\b(?:je|moi|mon|ma|mes|nous|notre|nos)\b|\bj['’]", re.IGNORECASE)
# « je suis X »: X must not be a gendered adjective or noun, since an individual
# scenario may be signed by any name of individual_names.
SELF_DESCRIPTION = re.compile(
    r"\b(?:je suis|j['’]étais|je reste|je serai)\s+(?:très\s+|bien\s+|plutôt\s+|déjà\s+|"
    r"toujours\s+|encore\s+)?([^\W\d_]+)", re.IGNORECASE)
NEUTRAL_AFTER_JE_SUIS = {
    "à", "a", "en", "au", "aux", "de", "du", "des", "dans", "sur", "sous", "chez", "là",
    "ici", "un", "une", "le", "la", "les", "disponible", "autonome", "capable",
    "responsable", "libre", "mobile", "joignable", "titulaire", "bénévole", "membre",
    "maker", "graphiste", "psychologue", "céramiste", "parent", "juste", "calme",
    "sensible", "fiable", "habile",
}
GENDERED_ENDING = re.compile(
    r"(?:é|ée|és|ées|eur|euse|if|ive|ien|ienne|ant|ante|ier|ière|ère|el|elle|eux|"
    r"ais|aise|in|ine|ot|otte|et|ette|u|ue|ard|arde|ois|oise|ent|ente|seul|seule|"
    r"prêt|prête)$", re.IGNORECASE)
GENDERED_TITLE_START = re.compile(
    r"^(?:Jeune\s+)?(?:Retraitée?|Étudiante?|Ancienne?|Infirmière?|Infirmier|"
    r"Conducteur|Conductrice|Chauffeur|Vendeuse|Vendeur|Salariée?|Passionnée?|"
    r"Expérimentée?|Diplômée?)\b")
# A paragraph may be shown alone or after another one, in any order.
LEADING_CONNECTOR = re.compile(
    r"^(?:De plus\b(?! en plus)|Par ailleurs|En outre|Ensuite|Enfin|Aussi,|Également|"
    r"Comme dit|Comme indiqué|Cela dit|Pour le reste|Sinon)", re.IGNORECASE)
POSITIONAL_WORDS = re.compile(r"ci-dessus|ci-dessous|plus haut|plus bas", re.IGNORECASE)
PANDEMIC_WORDS = re.compile(r"covid|coronavirus|pandémi|confinement|déconfin", re.IGNORECASE)
# Privacy rule of the platform: places are communes only; no contact details.
PHONE = re.compile(r"(?<![\d,])(?:\+\d{2}|\d)(?:[ .\-]?\d){7,}")
POSTCODE = re.compile(r"(?<![\d ,])\d{5}(?![\d ,])")
STREET = re.compile(
    r"\b\d+\s*(?:bis|ter)?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|impasse|allée|"
    r"place|route|quai|cours|lieu-dit)\b|\b(?:rue|avenue|boulevard|impasse|allée|quai)\s+"
    r"(?:de\b|du\b|des\b|d['’]|[A-ZÉÈ])", re.IGNORECASE)
CONTACT = re.compile(r"@|https?:|www\.|\.(?:fr|com|org|net)\b", re.IGNORECASE)
# People of the article behind Entraide: no real person in the demo.
REAL_NAMES = re.compile(r"Julé|Aurélien J\.|Gueguen", re.IGNORECASE)
# Offers do not thank for help; requests do not offer it.
THANKS_FOR_HELP = re.compile(r"votre aide|votre soutien|merci pour votre", re.IGNORECASE)
# « First name + initial », e.g. « Maëlle K. » or « Jean-Pierre L. ».
INDIVIDUAL_NAME = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:[-' ][^\W\d_][^\W\d_'’-]*)* [A-Z]\.$")
# {commune} comes after « de » or « à »: the generator can then contract
# « de Le Mans » into « du Mans », « à Les Abymes » into « aux Abymes »,
# « de Angers » into « d'Angers ».
PLACEHOLDER_CONTEXT = re.compile(r"(?:^|[\s(])(?:de|à) $")


class Report:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, where, message):
        self.errors.append(f"{where}: {message}")

    def warn(self, where, message):
        self.warnings.append(f"{where}: {message}")


def chars(text):
    return len(text)


def render(text, name):
    """{commune} replaced by name, with the French contractions of « de » and « à »."""
    def replace(match):
        prep = match.group(1)
        if prep:
            lower = prep.lower()
            for article, de_form, a_form in (("Le ", "du ", "au "), ("Les ", "des ", "aux ")):
                if name.startswith(article):
                    rest = name[len(article):]
                    contracted = de_form if lower == "de " else a_form
                    if prep[0].isupper():
                        contracted = contracted.capitalize()
                    return contracted + rest
            if lower == "de " and unicodedata.normalize("NFD", name)[0].lower() in "aeiouy":
                return ("D'" if prep[0].isupper() else "d'") + name
        return (prep or "") + name
    return re.sub(r"(\b[dD]e |\b[àÀ] )?\{commune\}", replace, text)


def plain(text, name=COMMUNE_25):
    return text.replace(PLACEHOLDER, name)


def load_commune_names():
    if not COMMUNES_FILE.exists():
        return []
    names = []
    with COMMUNES_FILE.open(encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2 and fields[1]:
                names.append(fields[1])
    return names


# --- Checks on every string ---------------------------------------------------------

def check_text(report, where, text, multiline=False, placeholder_allowed=False):
    if not isinstance(text, str):
        report.error(where, f"expected a string, got {type(text).__name__}")
        return
    if text != text.strip():
        report.error(where, "leading or trailing whitespace")
    if not text:
        report.error(where, "empty string")
        return
    for c in text:
        if c == "\n" and multiline:
            continue
        category = unicodedata.category(c)
        if category in ("Cc", "Cf", "Co", "Cs", "Cn"):
            report.error(where, f"control or invisible character U+{ord(c):04X}")
        elif category.startswith("Z") and c != " ":
            report.error(where, f"space other than a plain space: U+{ord(c):04X}")
    if "  " in text:
        report.error(where, "double space")
    without = text.replace(PLACEHOLDER, "") if placeholder_allowed else text
    if "{" in without or "}" in without:
        report.error(where, "brace other than {commune}" if placeholder_allowed
                     else "braces are not allowed here (no {commune} either)")
    if placeholder_allowed:
        for match in re.finditer(re.escape(PLACEHOLDER), text):
            before = text[:match.start()]
            if not PLACEHOLDER_CONTEXT.search(before):
                report.error(where, "{commune} must follow « de » or « à » "
                             f"(found after {before[-12:]!r})")
    if CONTACT.search(text) or PHONE.search(text) or POSTCODE.search(text):
        report.error(where, f"looks like contact details or a postcode: {text[:60]!r}")
    if STREET.search(text):
        report.error(where, f"looks like a street address: {text[:60]!r}")
    if REAL_NAMES.search(text):
        report.error(where, "names a real person")


def check_french(report, where, text):
    """French typography, with ordinary spaces."""
    for i, c in enumerate(text):
        if c in ":;!?" and not (i > 0 and text[i - 1] == " "):
            report.error(where, f"« {c} » needs a space before it")
        if c in ":;!?,." and i + 1 < len(text) and text[i + 1] not in " \n" \
                and not (c in ",." and text[i + 1].isdigit() and text[i - 1].isdigit()) \
                and not (c == "." and text[i + 1] in ".)»"):
            report.error(where, f"« {c} » needs a space after it")
        if c in ",." and i > 0 and text[i - 1] == " ":
            report.error(where, f"no space before « {c} »")
        if c == "«" and not text[i + 1:i + 2] == " ":
            report.error(where, "« needs a space after it")
        if c == "»" and not (i > 0 and text[i - 1] == " "):
            report.error(where, "» needs a space before it")
    if '"' in text:
        report.error(where, "use « » rather than straight double quotes")


def walk_strings(value, path="$"):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, f"{path}.{key}")


# --- Structure ----------------------------------------------------------------------

def check_list(report, where, value, bounds, item_check=None):
    """A list of unique strings whose length is within bounds; False if unusable."""
    if not isinstance(value, list):
        report.error(where, f"expected a list, got {type(value).__name__}")
        return False
    if not bounds[0] <= len(value) <= bounds[1]:
        report.error(where, f"{len(value)} items, expected {bounds[0]} to {bounds[1]}")
    if not all(isinstance(v, str) for v in value):
        report.error(where, "every item must be a string")
        return False
    duplicates = [v for v, n in Counter(v.casefold() for v in value).items() if n > 1]
    if duplicates:
        report.error(where, f"duplicates: {duplicates}")
    if item_check:
        for i, v in enumerate(value):
            item_check(f"{where}[{i}]", v)
    return True


def check_top(report, data):
    if not isinstance(data, dict):
        report.error("$", "the file must hold a JSON object")
        return False
    keys = list(data.keys())
    if keys != TOP_KEYS:
        missing = [k for k in TOP_KEYS if k not in data]
        extra = [k for k in keys if k not in TOP_KEYS]
        if missing or extra:
            report.error("$", f"keys must be {TOP_KEYS} (missing {missing}, unexpected {extra})")
            if missing:
                return False
        else:
            report.warn("$", f"keys in an unusual order: {keys}")

    source = data["source"]
    check_text(report, "$.source", source)
    if isinstance(source, str):
        if not re.fullmatch(r"[\x20-\x7E]+", source) or not source.endswith("."):
            report.error("$.source", "one English sentence in plain ASCII, ending with a period")
        if "fictional" not in source or "resemblance" not in source:
            report.error("$.source", "must say the texts are fictional (… any resemblance …)")

    def individual_name(where, name):
        check_text(report, where, name)
        if not INDIVIDUAL_NAME.match(name):
            report.error(where, f"{name!r} is not « First name I. »")
        if not AUTHOR_NAME_CHARS[0] <= chars(name) <= AUTHOR_NAME_CHARS[1]:
            report.error(where, f"author name of {chars(name)} characters")

    check_list(report, "$.individual_names", data["individual_names"], (30, 60), individual_name)

    def closing(where, text, kind=None):
        check_text(report, where, text)
        check_french(report, where, text)
        if not 10 <= chars(text) <= 200:
            report.error(where, f"{chars(text)} characters, expected 10 to 200")
        if text[-1:] not in ".!?":
            report.error(where, "a closing line ends with . ! or ?")
        # Authors are individuals (« je ») as well as structures (« nous »).
        if FIRST_PERSON_ANY.search(text):
            report.error(where, "closing lines are impersonal (no je/nous/mon/notre)")
        if kind == "offer" and THANKS_FOR_HELP.search(text):
            report.error(where, "an offer of help does not thank for help")

    check_list(report, "$.closing_lines", data["closing_lines"], (8, 15),
               lambda w, t: closing(w, t, "offer"))
    check_list(report, "$.request_closings", data["request_closings"], (6, 12), closing)
    check_list(report, "$.offer_closings", data["offer_closings"], (6, 12),
               lambda w, t: closing(w, t, "offer"))
    all_closings = [c for key in ("closing_lines", "request_closings", "offer_closings")
                    for c in data[key] if isinstance(c, str)]
    repeated = [c for c, n in Counter(all_closings).items() if n > 1]
    if repeated:
        report.error("$.*closings", f"lines in more than one list: {repeated}")

    if not isinstance(data["scenarios"], list) or not data["scenarios"]:
        report.error("$.scenarios", "expected a non-empty list")
        return False
    return True


def check_scenario(report, where, s, data, extremes):
    if not isinstance(s, dict):
        report.error(where, "expected an object")
        return False
    keys = list(s.keys())
    if sorted(keys) != sorted(SCENARIO_KEYS):
        report.error(where, f"keys must be {SCENARIO_KEYS}, got {keys}")
        return False
    ok = True
    for key, allowed in (("domain", DOMAINS), ("kind", KINDS), ("engagement", ENGAGEMENTS),
                         ("author_kind", AUTHOR_KINDS)):
        if s[key] not in allowed:
            report.error(f"{where}.{key}", f"{s[key]!r} is not one of {allowed}")
            ok = False
    if not ok:
        return False
    individual = s["author_kind"] == "individual"
    shortest, longest = extremes

    def check_bounds(w, text, bounds):
        """Length with a 25-character commune; too long with the longest one."""
        n = chars(plain(text))
        if not bounds[0] <= n <= bounds[1]:
            report.error(w, f"{n} characters with a 25-character commune, "
                         f"expected {bounds[0]} to {bounds[1]}")
        if PLACEHOLDER in text and chars(plain(text, longest)) > bounds[1]:
            report.warn(w, f"longer than {bounds[1]} characters with the "
                        f"longest commune ({longest})")

    # Authors.
    if individual:
        if s["authors"] != []:
            report.error(f"{where}.authors", "must be [] for an individual "
                         "(the name comes from individual_names)")
    else:
        def author(w, name):
            check_text(report, w, name, placeholder_allowed=True)
            check_bounds(w, name, AUTHOR_NAME_CHARS)
        check_list(report, f"{where}.authors", s["authors"], (2, 5), author)

    # Titles.
    def title(w, t):
        check_text(report, w, t, placeholder_allowed=True)
        check_french(report, w, t)
        check_bounds(w, t, TITLE_CHARS)
        if PLACEHOLDER in t and chars(render(t, shortest)) < TITLE_CHARS[0]:
            report.warn(w, "shorter than 10 characters with the shortest commune")
        if t.endswith("."):
            report.error(w, "a title does not end with a period")
        if individual and GENDERED_TITLE_START.match(t):
            report.error(w, "gendered self-description (the author may be anyone)")
    check_list(report, f"{where}.titles", s["titles"], (2, 4), title)

    # Paragraphs.
    def paragraph(w, p):
        check_text(report, w, p, placeholder_allowed=True)
        check_french(report, w, p)
        check_bounds(w, p, PARAGRAPH_CHARS)
        if "\n" in p:
            report.error(w, "a paragraph is a single line")
        if p[-1:] not in ".!?":
            report.error(w, "a paragraph ends with . ! or ?")
        if LEADING_CONNECTOR.match(p) or POSITIONAL_WORDS.search(p):
            report.error(w, "must read well alone and in any order (no leading connector, "
                         "no « ci-dessus »)")
        if p.lstrip().startswith(("- ", "* ", "#")):
            report.error(w, "a paragraph is prose, not a list or a heading")
    check_list(report, f"{where}.paragraphs", s["paragraphs"], (2, 4), paragraph)

    # Details: optional Markdown bullet lists.
    def details(w, d):
        check_text(report, w, d, multiline=True)
        lines = d.split("\n")
        if len(lines) < 2:
            report.error(w, "a details list has at least two items")
        for line in lines:
            if not line.startswith("- ") or len(line) < 5:
                report.error(w, f"every line is a « - » item: {line!r}")
            else:
                check_french(report, w, line[2:])
            if line.endswith("."):
                report.error(w, "list items do not end with a period")
    check_list(report, f"{where}.details", s["details"], (0, 2), details)

    # Skills.
    def skill(w, k):
        check_text(report, w, k)
        check_french(report, w, k)
        if not SKILL_CHARS[0] <= chars(k) <= SKILL_CHARS[1]:
            report.error(w, f"{chars(k)} characters, expected {SKILL_CHARS[0]} to {SKILL_CHARS[1]}")
        if k.endswith("."):
            report.error(w, "a skill does not end with a period")
    check_list(report, f"{where}.skills", s["skills"],
               (SCENARIO_SKILLS[0], min(SCENARIO_SKILLS[1], MAX_SKILLS)), skill)

    texts_ok = all(isinstance(v, str) for key in ("titles", "paragraphs", "details")
                   for v in s[key]) and isinstance(s["titles"], list) \
        and isinstance(s["paragraphs"], list) and isinstance(s["details"], list)
    if not texts_ok or not s["paragraphs"] or not s["titles"]:
        return True

    # Full description: up to two paragraphs, one details list, one closing line.
    closings = [c for c in data["closing_lines"] + data[f"{s['kind']}_closings"]
                if isinstance(c, str)]
    paragraphs = sorted((chars(plain(p)) for p in s["paragraphs"]), reverse=True)
    longest_description = sum(paragraphs[:2]) + 2 \
        + (max(map(chars, s["details"])) + 2 if s["details"] else 0) \
        + (max(map(chars, closings)) + 2 if closings else 0)
    shortest_description = paragraphs[-1]
    if shortest_description < DESCRIPTION_CHARS[0] or longest_description > DESCRIPTION_CHARS[1]:
        report.error(where, f"a description may be {shortest_description} to "
                     f"{longest_description} characters, expected {DESCRIPTION_CHARS[0]} "
                     f"to {DESCRIPTION_CHARS[1]}")

    # Author and voice: an individual writes « je », a structure « nous ».
    body = s["titles"] + s["paragraphs"] + s["details"]
    if individual:
        if not any(FIRST_PERSON_SINGULAR.search(p) for p in s["paragraphs"]):
            report.error(where, "an individual writes in the first person singular")
        for i, text in enumerate(body):
            if FIRST_PERSON_PLURAL_POSSESSIVE.search(text):
                report.error(where, f"an individual does not write « notre/nos »: {text[:50]!r}")
            for match in SELF_DESCRIPTION.finditer(text):
                word = match.group(1).lower()
                if word not in NEUTRAL_AFTER_JE_SUIS and GENDERED_ENDING.search(word):
                    report.error(where, f"« {match.group(0)} » may not agree with the "
                                 "author's name: keep individual texts gender-neutral")
    else:
        for text in body:
            if FIRST_PERSON_SINGULAR.search(text):
                report.error(where, f"a structure writes « nous », not « je »: {text[:50]!r}")

    # Engagement: every title + paragraph pair of a paid scenario says it is paid
    # (the generator may show any title with a single paragraph); a volunteer
    # scenario never promises pay and says somewhere that the help is free.
    if s["engagement"] == "paid":
        for t in s["titles"]:
            for p in s["paragraphs"]:
                if not PAID_WORDS.search(t) and not PAID_WORDS.search(p):
                    report.error(where, f"paid, but neither the title {t[:40]!r}… nor "
                                 f"the paragraph {p[:40]!r}… says so")
    else:
        for text in body:
            match = PAY_PROMISE_WORDS.search(text)
            if match:
                report.error(where, f"volunteer, but mentions « {match.group(0)} »: {text[:50]!r}")
        if not any(VOLUNTEER_WORDS.search(text) for text in body):
            report.error(where, "volunteer, but nothing says the help is free or voluntary")
    return True


def check_coverage(report, scenarios):
    counts = Counter((s["domain"], s["kind"]) for s in scenarios)
    for domain in DOMAINS:
        for kind, minimum in (("request", MIN_REQUESTS_PER_DOMAIN),
                              ("offer", MIN_OFFERS_PER_DOMAIN)):
            if counts[(domain, kind)] < minimum:
                report.error("coverage", f"{domain} × {kind}: {counts[(domain, kind)]} "
                             f"scenarios, at least {minimum} expected")
            for engagement in ENGAGEMENTS:
                if not any(s["domain"] == domain and s["kind"] == kind
                           and s["engagement"] == engagement for s in scenarios):
                    report.error("coverage", f"{domain} × {kind}: no {engagement} scenario")
    request_authors = Counter(s["author_kind"] for s in scenarios if s["kind"] == "request")
    for author_kind in AUTHOR_KINDS:
        if not request_authors[author_kind]:
            report.error("coverage", f"no request by an author of kind {author_kind}")
    offer_authors = Counter(s["author_kind"] for s in scenarios if s["kind"] == "offer")
    offers = sum(offer_authors.values())
    if offers and offer_authors["individual"] * 2 <= offers:
        report.error("coverage", "offers should mostly come from individuals "
                     f"({offer_authors['individual']} of {offers})")
    for author_kind in AUTHOR_KINDS[1:]:
        if not offer_authors[author_kind]:
            report.error("coverage", f"no offer of help by an author of kind {author_kind}")

    # The same title or paragraph in two scenarios would mix them up again.
    for key in ("titles", "paragraphs", "details"):
        seen = Counter(t for s in scenarios for t in s[key])
        for text, n in seen.items():
            if n > 1:
                report.error("coverage", f"the same {key[:-1]} in {n} scenarios: {text[:50]!r}")
    mentions = sum(1 for s in scenarios
                   if any(PANDEMIC_WORDS.search(t) for t in s["titles"] + s["paragraphs"]))
    if mentions * 10 > len(scenarios):
        report.error("coverage", f"{mentions} scenarios name the pandemic: keep the texts timeless")


def check_apostrophes(report, data):
    texts = [t for _, t in walk_strings(data)]
    straight = sum(t.count("'") for t in texts)
    curly = sum(t.count("’") for t in texts)
    if straight and curly:
        report.error("$", f"mixed apostrophes: {straight} straight ('), {curly} typographic (’)")


# --- Output -------------------------------------------------------------------------

def summary(scenarios):
    lines = []
    width = max(map(len, DOMAINS)) + 2
    header = f"{'domain':<{width}}{'request':>22}{'offer':>22}{'total':>8}"
    lines.append(header)
    lines.append("-" * len(header))

    def cell(items):
        volunteer = sum(1 for s in items if s["engagement"] == "volunteer")
        return f"{len(items)} ({volunteer} vol, {len(items) - volunteer} paid)"

    for domain in DOMAINS + ["total"]:
        in_domain = [s for s in scenarios if domain in ("total", s["domain"])]
        requests = [s for s in in_domain if s["kind"] == "request"]
        offers = [s for s in in_domain if s["kind"] == "offer"]
        if domain == "total":
            lines.append("-" * len(header))
        lines.append(f"{domain:<{width}}{cell(requests):>22}{cell(offers):>22}"
                     f"{len(in_domain):>8}")
    lines.append("")
    lines.append(f"{'author kind':<{width}}{'request':>22}{'offer':>22}")
    for author_kind in AUTHOR_KINDS:
        r = sum(1 for s in scenarios if s["kind"] == "request" and s["author_kind"] == author_kind)
        o = sum(1 for s in scenarios if s["kind"] == "offer" and s["author_kind"] == author_kind)
        lines.append(f"{author_kind:<{width}}{r:>22}{o:>22}")
    return "\n".join(lines)


def samples(data, count, seed, communes):
    """Offers as a generator could assemble them, for proofreading."""
    rng = random.Random(seed)
    names = communes or [COMMUNE_25]
    out = []
    for _ in range(count):
        s = rng.choice(data["scenarios"])
        commune = rng.choice(names)
        if s["author_kind"] == "individual":
            author = rng.choice(data["individual_names"])
        else:
            author = render(rng.choice(s["authors"]), commune)
        # Two paragraphs keep their order in the file: the first one of a scenario
        # is written to open the description (each still reads well alone).
        picked = sorted(rng.sample(range(len(s["paragraphs"])), rng.choice([1, 2])))
        description = [render(s["paragraphs"][i], commune) for i in picked]
        if s["details"] and rng.random() < 0.4:
            description.append(rng.choice(s["details"]))
        description.append(rng.choice(data["closing_lines"] + data[f"{s['kind']}_closings"]))
        out.append("\n".join([
            "=" * 78,
            f"{render(rng.choice(s['titles']), commune)}",
            f"[{s['domain']} · {s['kind']} · {s['engagement']} · {s['author_kind']}] "
            f"{author} — {commune}",
            "",
            "\n\n".join(description),
            "",
            "Compétences : " + ", ".join(rng.sample(s["skills"], min(len(s["skills"]),
                                                                     rng.randint(2, 5)))),
        ]))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="print N offers rendered from random scenarios")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    report = Report()
    try:
        with open(args.file, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"error: cannot read {args.file}: {e}", file=sys.stderr)
        return 1

    communes = load_commune_names()
    if communes:
        extremes = (min(communes, key=len), max(communes, key=len))
    else:
        report.warn("communes", f"{COMMUNES_FILE} not found: real-name extremes not checked")
        extremes = (COMMUNE_25, COMMUNE_25)

    valid = []
    if check_top(report, data):
        for i, s in enumerate(data["scenarios"]):
            if check_scenario(report, f"$.scenarios[{i}]", s, data, extremes):
                valid.append(s)
        check_coverage(report, valid)
        check_apostrophes(report, data)

    if args.sample and not report.errors:
        print(samples(data, args.sample, args.seed, communes))
        print("=" * 78)
        print()

    if valid:
        print(summary(valid))
        print()
    for warning in report.warnings:
        print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    scenarios = len(data.get("scenarios", [])) if isinstance(data, dict) else 0
    if report.errors:
        print(f"\n{len(report.errors)} error(s), {len(report.warnings)} warning(s) "
              f"in {scenarios} scenarios")
        return 1
    print(f"OK: {scenarios} scenarios, {len(report.warnings)} warning(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
