//! Deterministic, realistic demo offers: every domain, kind, engagement, author kind
//! and status, in communes all over France weighted by population. Each offer
//! comes from one scenario of `data/demo-scenarios.json` (checked by
//! `scripts/check-demo-scenarios.py`): its title, author, description and skills
//! tell the same story.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use ulid::Ulid;

use crate::communes::{Commune, geography};
use crate::model::{AuthorKind, Engagement, Followup, Kind, Offer, Status};

const SCENARIOS_JSON: &str = include_str!("../data/demo-scenarios.json");
/// Default offer lifetime of the demo, as in the default site.toml.
const LIFETIME_DAYS: i64 = 60;

/// One situation: who writes, for what, in which words.
#[derive(Deserialize)]
struct Scenario {
    domain: String,
    kind: Kind,
    engagement: Engagement,
    author_kind: AuthorKind,
    /// Names of the structure; empty for individuals (a first name is drawn).
    authors: Vec<String>,
    titles: Vec<String>,
    /// In reading order: a description is one of them, or one and the next.
    paragraphs: Vec<String>,
    details: Vec<String>,
    skills: Vec<String>,
}

#[derive(Deserialize)]
struct Scenarios {
    individual_names: Vec<String>,
    closing_lines: Vec<String>,
    request_closings: Vec<String>,
    offer_closings: Vec<String>,
    scenarios: Vec<Scenario>,
}

#[derive(Debug, thiserror::Error)]
#[error("demo scenarios are invalid: {0}")]
pub struct CorpusError(#[from] serde_json::Error);

/// Picks communes with a chance proportional to their population (plus a floor, so
/// that villages show up too).
struct CommunePicker<'a> {
    communes: &'a [Commune],
    cumulative: Vec<u64>,
}

impl<'a> CommunePicker<'a> {
    fn new(communes: &'a [Commune]) -> Self {
        let mut total = 0u64;
        let cumulative = communes
            .iter()
            .map(|c| {
                total += u64::from(c.population) + 200;
                total
            })
            .collect();
        CommunePicker {
            communes,
            cumulative,
        }
    }

    fn pick(&self, rng: &mut fastrand::Rng) -> &'a Commune {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let ticket = rng.u64(0..total);
        let index = self.cumulative.partition_point(|&c| c <= ticket);
        &self.communes[index.min(self.communes.len() - 1)]
    }
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(0..items.len())]
}

/// `text` with `{commune}` replaced by `name`, contracting « de » and « à » as
/// French does: « du Mans », « aux Sables-d'Olonne », « d'Angers ».
fn in_commune(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len() + name.len());
    let mut rest = text;
    while let Some(at) = rest.find("{commune}") {
        let before = &rest[..at];
        let preposition = ["de ", "De ", "à ", "À "].into_iter().find(|p| {
            before.strip_suffix(p).is_some_and(|start| {
                start
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
            })
        });
        match preposition {
            Some(p) => {
                out.push_str(&before[..before.len() - p.len()]);
                out.push_str(&with_preposition(p, name));
            }
            None => {
                out.push_str(before);
                out.push_str(name);
            }
        }
        rest = &rest[at + "{commune}".len()..];
    }
    out.push_str(rest);
    out
}

/// What « <preposition>{commune} » becomes for `name`.
fn with_preposition(preposition: &str, name: &str) -> String {
    let capital = preposition.starts_with(['D', 'À']);
    let de = preposition.eq_ignore_ascii_case("de ");
    for (article, of, to) in [("Le ", "du ", "au "), ("Les ", "des ", "aux ")] {
        if let Some(rest) = name.strip_prefix(article) {
            return capitalised(if de { of } else { to }, capital) + rest;
        }
    }
    if de && starts_with_vowel(name) {
        return capitalised("d'", capital) + name;
    }
    format!("{preposition}{name}")
}

fn starts_with_vowel(name: &str) -> bool {
    name.chars().next().is_some_and(|first| {
        deunicode::deunicode_char(first).is_some_and(|plain| {
            plain
                .to_lowercase()
                .starts_with(['a', 'e', 'i', 'o', 'u', 'y'])
        })
    })
}

fn capitalised(word: &str, capital: bool) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) if capital => first.to_uppercase().chain(chars).collect(),
        _ => word.to_owned(),
    }
}

/// `count` demo offers from `seed`, dated up to `now` (never after), in id order.
pub fn demo_offers(count: usize, seed: u64, now: DateTime<Utc>) -> Result<Vec<Offer>, CorpusError> {
    let corpus: Scenarios = serde_json::from_str(SCENARIOS_JSON)?;
    let geo = geography();
    let picker = CommunePicker::new(geo.communes());
    let departments = geo.departments();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut offers = Vec::with_capacity(count);
    for index in 0..count {
        let scenario = pick(&mut rng, &corpus.scenarios);
        // Every tenth offer goes to a department taken in turn, so that small
        // departments are never left empty.
        let commune = if index % 10 == 0 {
            let department = departments[(index / 10) % departments.len()].code;
            let local: Vec<&Commune> = geo
                .communes()
                .iter()
                .filter(|c| c.department == department)
                .collect();
            *pick(&mut rng, &local)
        } else {
            picker.pick(&mut rng)
        };
        let remote = rng.u8(0..100) < 5;
        let here = |text: &String| in_commune(text, commune.name);
        let author_name = if scenario.authors.is_empty() {
            pick(&mut rng, &corpus.individual_names).clone()
        } else {
            here(pick(&mut rng, &scenario.authors))
        };
        let title = here(pick(&mut rng, &scenario.titles));
        let first = rng.usize(0..scenario.paragraphs.len());
        let mut description = here(&scenario.paragraphs[first]);
        if let Some(next) = scenario.paragraphs.get(first + 1).filter(|_| rng.bool()) {
            description.push_str("\n\n");
            description.push_str(&here(next));
        }
        if !scenario.details.is_empty() && rng.u8(0..100) < 40 {
            description.push_str("\n\n");
            description.push_str(pick::<String>(&mut rng, &scenario.details));
        }
        let closings = match scenario.kind {
            Kind::Request => &corpus.request_closings,
            Kind::Offer => &corpus.offer_closings,
        };
        let closing = rng.usize(0..corpus.closing_lines.len() + closings.len());
        description.push_str("\n\n");
        description.push_str(
            corpus
                .closing_lines
                .get(closing)
                .unwrap_or_else(|| &closings[closing - corpus.closing_lines.len()]),
        );
        let mut skills: Vec<String> = Vec::new();
        for _ in 0..rng.usize(0..5) {
            let skill = pick(&mut rng, &scenario.skills);
            if !skills.contains(skill) {
                skills.push(skill.clone());
            }
        }
        let status = match rng.u8(0..100) {
            0..85 => Status::Published,
            85..91 => Status::Filled,
            91..96 => Status::Expired,
            _ => Status::Pending,
        };
        let age_days = match status {
            Status::Published => rng.i64(0..LIFETIME_DAYS - 5),
            Status::Filled => rng.i64(5..45),
            Status::Expired => rng.i64(LIFETIME_DAYS + 1..LIFETIME_DAYS + 25),
            Status::Pending | Status::Removed => 0,
        };
        // Nothing is dated after `now`: an offer posted an hour ago was confirmed
        // within that hour.
        let created = now - Duration::days(age_days) - Duration::seconds(rng.i64(0..86_400));
        let published = (status != Status::Pending)
            .then(|| (created + Duration::seconds(rng.i64(120..172_800))).min(now));
        let updated = match status {
            Status::Filled => {
                (published.unwrap_or(created) + Duration::days(rng.i64(1..5))).min(now)
            }
            Status::Expired => created + Duration::days(LIFETIME_DAYS),
            _ => published.unwrap_or(created),
        };
        let start =
            (rng.u8(0..100) < 60).then(|| (created + Duration::days(rng.i64(0..30))).date_naive());
        let end = start
            .filter(|_| rng.bool())
            .map(|s| s + Duration::days(rng.i64(7..120)));
        let id = Ulid::from_parts(
            u64::try_from(created.timestamp_millis()).unwrap_or_default(),
            u128::from(rng.u64(..)) << 16 | u128::from(rng.u16(..)),
        );
        offers.push(Offer {
            id,
            kind: scenario.kind,
            engagement: scenario.engagement,
            author_kind: scenario.author_kind,
            author_name,
            domain: scenario.domain.clone(),
            title,
            description,
            skills,
            commune: (!remote).then(|| commune.insee.to_owned()),
            remote,
            department: remote.then(|| commune.department.to_owned()),
            start,
            end,
            email: format!("annonceur.{index}@exemple.org"),
            status,
            created,
            published,
            listed: None,
            updated,
            expires: published.unwrap_or(created) + Duration::days(LIFETIME_DAYS),
            version: if status == Status::Pending { 1 } else { 2 },
            token_version: 0,
            hidden: None,
            followup: Followup::default(),
        });
    }
    offers.sort_by_key(|o| o.id);
    Ok(offers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn same_seed_same_offers() {
        assert_eq!(
            demo_offers(200, 7, now()).unwrap(),
            demo_offers(200, 7, now()).unwrap()
        );
        assert_ne!(
            demo_offers(50, 7, now()).unwrap(),
            demo_offers(50, 8, now()).unwrap()
        );
    }

    #[test]
    fn demo_covers_every_kind_of_offer_and_department() {
        let offers = demo_offers(2_000, 1, now()).unwrap();
        let distinct =
            |f: &dyn Fn(&Offer) -> String| offers.iter().map(f).collect::<HashSet<_>>().len();
        assert_eq!(distinct(&|o| o.domain.clone()), 7);
        assert_eq!(distinct(&|o| format!("{:?}", o.kind)), 2);
        assert_eq!(distinct(&|o| format!("{:?}", o.engagement)), 2);
        assert_eq!(distinct(&|o| format!("{:?}", o.author_kind)), 4);
        assert_eq!(distinct(&|o| format!("{:?}", o.status)), 4);
        assert_eq!(
            distinct(&|o| o.department_code().unwrap_or_default().to_owned()),
            109
        );
        let published = offers
            .iter()
            .filter(|o| o.status == Status::Published)
            .count();
        assert!(published > 1_500, "{published}");
        assert!(
            offers
                .iter()
                .all(|o| !o.title.contains('{') && !o.description.contains('{'))
        );
    }

    #[test]
    fn demo_offers_tell_one_story_each_and_nothing_is_dated_after_now() {
        let corpus: Scenarios = serde_json::from_str(SCENARIOS_JSON).unwrap();
        for offer in demo_offers(500, 3, now()).unwrap() {
            let from_one = corpus.scenarios.iter().any(|scenario| {
                scenario.domain == offer.domain
                    && scenario.kind == offer.kind
                    && scenario.engagement == offer.engagement
                    && scenario.author_kind == offer.author_kind
                    && offer.skills.iter().all(|s| scenario.skills.contains(s))
                    && scenario.paragraphs.iter().any(|p| {
                        let start: String = p.chars().take_while(|&c| c != '{').take(30).collect();
                        offer.description.starts_with(&start)
                    })
            });
            assert!(from_one, "{} mixes scenarios", offer.title);
            assert!(offer.created <= now() && offer.updated <= now());
            assert!(offer.published.is_none_or(|p| p <= now()), "{offer:?}");
            let validated = crate::validate::validate(
                &crate::validate::OfferInput::from(&offer),
                &crate::validate::Rules {
                    domains: std::slice::from_ref(&offer.domain),
                    today: offer.created.date_naive(),
                },
            );
            assert!(validated.is_ok(), "{:?}: {validated:?}", offer.title);
        }
    }

    #[test]
    fn communes_are_named_with_french_contractions() {
        assert_eq!(
            in_commune("Mairie de {commune}", "Le Mans"),
            "Mairie du Mans"
        );
        assert_eq!(
            in_commune("Livraisons à {commune}", "Les Sables-d'Olonne"),
            "Livraisons aux Sables-d'Olonne"
        );
        assert_eq!(
            in_commune("Épicerie de {commune}", "Angers"),
            "Épicerie d'Angers"
        );
        assert_eq!(
            in_commune("De {commune} à Brest", "Écully"),
            "D'Écully à Brest"
        );
        assert_eq!(
            in_commune("La grande {commune}", "Le Mans"),
            "La grande Le Mans"
        );
        assert_eq!(
            in_commune("Ferme de {commune}", "La Rochelle"),
            "Ferme de La Rochelle"
        );
        assert_eq!(in_commune("À {commune}", "Le Havre"), "Au Havre");
    }
}
