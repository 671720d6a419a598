//! Deterministic, realistic demo offers: every domain, kind, engagement, author kind
//! and status, in communes all over France weighted by population.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use ulid::Ulid;

use crate::communes::{Commune, geography};
use crate::model::{AuthorKind, Engagement, Kind, Offer, Status};

const CORPUS_JSON: &str = include_str!("../data/demo.json");
/// Default offer lifetime of the demo, as in the default site.toml.
const LIFETIME_DAYS: i64 = 60;

#[derive(Deserialize)]
struct DomainCorpus {
    skills: Vec<String>,
    offer_titles: Vec<String>,
    request_titles: Vec<String>,
    offer_paragraphs: Vec<String>,
    request_paragraphs: Vec<String>,
}

#[derive(Deserialize)]
struct Corpus {
    domains: BTreeMap<String, DomainCorpus>,
    individual_names: Vec<String>,
    association_names: Vec<String>,
    company_names: Vec<String>,
    public_body_names: Vec<String>,
    closing_lists: Vec<String>,
    closing_lines: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("demo corpus is invalid: {0}")]
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

/// `count` demo offers from `seed`, dated around `now`, in id order.
pub fn demo_offers(count: usize, seed: u64, now: DateTime<Utc>) -> Result<Vec<Offer>, CorpusError> {
    let corpus: Corpus = serde_json::from_str(CORPUS_JSON)?;
    let geo = geography();
    let picker = CommunePicker::new(geo.communes());
    let departments = geo.departments();
    let domains: Vec<(&String, &DomainCorpus)> = corpus.domains.iter().collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut offers = Vec::with_capacity(count);
    for index in 0..count {
        let (domain, words) = domains[index % domains.len()];
        let kind = if rng.u8(0..100) < 55 {
            Kind::Request
        } else {
            Kind::Offer
        };
        let engagement = if rng.u8(0..100) < 70 {
            Engagement::Volunteer
        } else {
            Engagement::Paid
        };
        let author_kind = match (kind, rng.u8(0..100)) {
            (Kind::Offer, 0..70) | (Kind::Request, 0..10) => AuthorKind::Individual,
            (_, 0..55) => AuthorKind::Association,
            (_, 55..80) => AuthorKind::Company,
            _ => AuthorKind::PublicBody,
        };
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
        let place = |text: &String| text.replace("{commune}", commune.name);
        let author_name = place(pick(
            &mut rng,
            match author_kind {
                AuthorKind::Individual => &corpus.individual_names,
                AuthorKind::Association => &corpus.association_names,
                AuthorKind::Company => &corpus.company_names,
                AuthorKind::PublicBody => &corpus.public_body_names,
            },
        ));
        let (titles, paragraphs) = match kind {
            Kind::Offer => (&words.offer_titles, &words.offer_paragraphs),
            Kind::Request => (&words.request_titles, &words.request_paragraphs),
        };
        let title = place(pick(&mut rng, titles));
        let mut description = place(pick(&mut rng, paragraphs));
        if rng.bool() {
            description.push_str("\n\n");
            description.push_str(&place(pick(&mut rng, paragraphs)));
        }
        if rng.u8(0..100) < 40 {
            description.push_str("\n\n");
            description.push_str(pick::<String>(&mut rng, &corpus.closing_lists));
        }
        description.push_str("\n\n");
        description.push_str(pick::<String>(&mut rng, &corpus.closing_lines));
        let mut skills: Vec<String> = Vec::new();
        for _ in 0..rng.usize(0..5) {
            let skill = pick(&mut rng, &words.skills);
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
        let created = now - Duration::days(age_days) - Duration::seconds(rng.i64(0..86_400));
        let published =
            (status != Status::Pending).then(|| created + Duration::seconds(rng.i64(120..172_800)));
        let updated = match status {
            Status::Filled => published.unwrap_or(created) + Duration::days(rng.i64(1..5)),
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
            kind,
            engagement,
            author_kind,
            author_name,
            domain: domain.clone(),
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
            updated,
            expires: published.unwrap_or(created) + Duration::days(LIFETIME_DAYS),
            version: if status == Status::Pending { 1 } else { 2 },
            token_version: 0,
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
}
