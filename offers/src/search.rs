//! What a search asks, as the search page's URL says it
//! (`/recherche/?q=infirmier&domaine=sante&pres=brest-29&rayon=20`): read from a
//! query string and written back, told in French, and matched against an offer
//! the way the search page would find it (alerts).

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::communes::{Commune, Position, geography};
use crate::model::{Engagement, Kind, Offer};
use crate::words::stems;

/// The radii the search offers around a place, in kilometres…
pub const RADII: [u32; 5] = [5, 10, 20, 50, 100];
/// …and the one it starts with.
pub const DEFAULT_RADIUS: u32 = 20;
/// The widest radius: what an offer's neighbourhood must cover.
pub const MAX_RADIUS: u32 = 100;
/// A query string longer than this is no search of the site's.
pub const MAX_QUERY_BYTES: usize = 1_000;
/// Keywords: at most this many characters…
pub const MAX_KEYWORDS_CHARS: usize = 200;
/// …and this many words.
pub const MAX_KEYWORDS: usize = 10;

/// Around a commune (`pres`, `rayon`, `a-distance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    /// INSEE code of the centre.
    pub commune: String,
    /// Kilometres, one of [`RADII`].
    pub radius: u32,
    /// Remote offers count too, wherever they are.
    #[serde(default)]
    pub remote: bool,
}

/// A search's criteria; every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// Words as typed; each must be found (stemmed, accents folded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keywords: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<Engagement>,
    /// Domain slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Region code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Department code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// INSEE code (a commune's listing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    /// Remote offers only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remote_only: bool,
    /// Available from this month's first day…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// …until this month's first day (the whole month counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

fn month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()
}

fn month_text(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// « janvier 2027 ».
fn month_label(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    format!("{} {}", MONTHS[date.month0() as usize], date.year())
}

/// The last day of a month given by its first.
fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(first)
}

impl Criteria {
    /// Reads a search page's query string; `domains` are the site's domain
    /// slugs. Errors are French, for the person who sent it.
    pub fn from_query(query: &str, domains: &[String]) -> Result<Criteria, String> {
        if query.len() > MAX_QUERY_BYTES {
            return Err("Cette recherche est trop longue pour une alerte.".into());
        }
        let unknown = |what: &str| format!("La recherche contient {what} inconnu.");
        let geo = geography();
        let mut criteria = Criteria::default();
        let (mut place, mut radius, mut remote) = (None, DEFAULT_RADIUS, false);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match &*name {
                "q" => criteria.keywords = keywords(value)?,
                "type" => {
                    criteria.kind = Some(
                        Kind::ALL
                            .into_iter()
                            .find(|k| k.as_str() == value)
                            .ok_or_else(|| unknown("un type d'annonce"))?,
                    );
                }
                "engagement" => {
                    criteria.engagement = Some(
                        Engagement::ALL
                            .into_iter()
                            .find(|e| e.as_str() == value)
                            .ok_or_else(|| unknown("un engagement"))?,
                    );
                }
                "domaine" if domains.iter().any(|d| d == value) => {
                    criteria.domain = Some(value.to_owned());
                }
                "region" if geo.region(value).is_some() => {
                    criteria.region = Some(value.to_owned());
                }
                "departement" if geo.department(value).is_some() => {
                    criteria.department = Some(value.to_owned());
                }
                "commune" if geo.commune(value).is_some() => {
                    criteria.commune = Some(value.to_owned());
                }
                "pres" => {
                    place = Some(commune_named(value).ok_or(
                        "Commune inconnue pour « Près de » : écrivez son nom et son département, par exemple « Brest (29) ».",
                    )?);
                }
                "rayon" => {
                    radius = value
                        .parse()
                        .ok()
                        .filter(|r| RADII.contains(r))
                        .ok_or_else(|| unknown("un rayon"))?;
                }
                "a-distance" => remote = value == "oui",
                "distance" => criteria.remote_only = value == "oui",
                "du" => criteria.from = Some(month(value).ok_or_else(|| unknown("un mois"))?),
                "au" => criteria.until = Some(month(value).ok_or_else(|| unknown("un mois"))?),
                _ => return Err(unknown("un critère")),
            }
        }
        criteria.near = place.map(|commune| Near {
            commune: commune.insee.to_owned(),
            radius,
            remote,
        });
        Ok(criteria)
    }

    /// The query string of the search page that shows the same offers (a
    /// commune's listing has no such page: its commune is left out).
    pub fn to_query(&self) -> String {
        let geo = geography();
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mut add = |name: &str, value: &str| {
            query.append_pair(name, value);
        };
        if !self.keywords.is_empty() {
            add("q", &self.keywords);
        }
        if let Some(near) = &self.near
            && let Some(commune) = geo.commune(&near.commune)
        {
            add("pres", &commune.slug);
            add("rayon", &near.radius.to_string());
            if near.remote {
                add("a-distance", "oui");
            }
        }
        for (name, value) in [
            ("domaine", self.domain.as_deref()),
            ("region", self.region.as_deref()),
            ("departement", self.department.as_deref()),
            ("type", self.kind.map(Kind::as_str)),
            ("engagement", self.engagement.map(Engagement::as_str)),
        ] {
            if let Some(value) = value {
                add(name, value);
            }
        }
        for (name, date) in [("du", self.from), ("au", self.until)] {
            if let Some(date) = date {
                add(name, &month_text(date));
            }
        }
        if self.remote_only {
            add("distance", "oui");
        }
        query.finish()
    }

    /// The criteria in a few French words, for mails and the alert's page;
    /// `domain_label` names a domain slug.
    pub fn describe(&self, domain_label: impl Fn(&str) -> String) -> String {
        let geo = geography();
        let mut parts = Vec::new();
        if !self.keywords.is_empty() {
            parts.push(format!("« {} »", self.keywords));
        }
        if let Some(domain) = &self.domain {
            parts.push(domain_label(domain));
        }
        if let Some(kind) = self.kind {
            parts.push(kind.label().to_lowercase());
        }
        if let Some(engagement) = self.engagement {
            parts.push(engagement.label().to_lowercase());
        }
        if let Some(commune) = self.commune.as_deref().and_then(|c| geo.commune(c)) {
            parts.push(format!("à {} ({})", commune.name, commune.department));
        }
        if let Some(department) = self.department.as_deref().and_then(|d| geo.department(d)) {
            parts.push(format!("{} ({})", department.name, department.code));
        }
        if let Some(region) = self.region.as_deref().and_then(|r| geo.region(r)) {
            parts.push(region.name.to_owned());
        }
        if let Some(near) = &self.near
            && let Some(commune) = geo.commune(&near.commune)
        {
            let remote = if near.remote { ", ou à distance" } else { "" };
            parts.push(format!(
                "à moins de {} km de {} ({}){remote}",
                near.radius, commune.name, commune.department
            ));
        }
        if self.remote_only {
            parts.push("à distance".into());
        }
        match (self.from, self.until) {
            (Some(from), Some(until)) => parts.push(format!(
                "disponible entre {} et {}",
                month_label(from),
                month_label(until)
            )),
            (Some(from), None) => {
                parts.push(format!("disponible à partir de {}", month_label(from)))
            }
            (None, Some(until)) => {
                parts.push(format!("disponible jusqu'en {}", month_label(until)))
            }
            (None, None) => {}
        }
        if parts.is_empty() {
            "toutes les nouvelles annonces".into()
        } else {
            parts.join(" · ")
        }
    }

    /// The keywords' stems, each to be found in an offer.
    pub fn keyword_stems(&self) -> Vec<String> {
        stems(&self.keywords)
    }

    /// The centre of a distance search.
    pub fn centre(&self) -> Option<Position> {
        let near = self.near.as_ref()?;
        geography().commune(&near.commune)?.position
    }

    /// Whether the offer of `facts` is one this search finds, and how far it
    /// is from its centre (none without a centre, or for a remote offer found
    /// as such). `keyword_stems` and `centre` are the search's own, computed
    /// once.
    pub fn matches(
        &self,
        facts: &OfferFacts,
        keyword_stems: &[String],
        centre: Option<Position>,
    ) -> Option<Option<u32>> {
        let offer = facts.offer;
        let holds = self.kind.is_none_or(|k| k == offer.kind)
            && self.engagement.is_none_or(|e| e == offer.engagement)
            && self.domain.as_ref().is_none_or(|d| *d == offer.domain)
            && self
                .department
                .as_deref()
                .is_none_or(|d| Some(d) == facts.department)
            && self
                .region
                .as_deref()
                .is_none_or(|r| Some(r) == facts.region)
            && self
                .commune
                .as_ref()
                .is_none_or(|c| Some(c) == offer.commune.as_ref())
            && (!self.remote_only || offer.remote)
            && self
                .from
                .is_none_or(|from| offer.end.is_none_or(|end| end >= from))
            && self
                .until
                .is_none_or(|until| offer.start.is_none_or(|start| start <= month_end(until)))
            && keyword_stems.iter().all(|stem| facts.stems.contains(stem));
        if !holds {
            return None;
        }
        let Some(near) = &self.near else {
            return Some(None);
        };
        match facts.distance_km(centre) {
            Some(km) if km <= near.radius => Some(Some(km)),
            _ if near.remote && offer.remote => Some(None),
            _ => None,
        }
    }
}

/// What a search reads of an offer, looked up once for all the searches it is
/// matched against: the stems of its text, its department, region and place.
pub struct OfferFacts<'a> {
    pub offer: &'a Offer,
    /// The stems of what the search indexes of it: title, text, skills,
    /// author and place.
    pub stems: HashSet<String>,
    pub department: Option<&'static str>,
    pub region: Option<&'static str>,
    pub position: Option<Position>,
}

impl<'a> OfferFacts<'a> {
    pub fn new(offer: &'a Offer) -> Self {
        let geo = geography();
        let department = offer
            .department_code()
            .and_then(|d| geo.department(d))
            .map(|d| d.code);
        let text = [
            offer.title.as_str(),
            &offer.description,
            &offer.skills.join(" "),
            &offer.author_name,
            &offer.place_label(),
        ]
        .join(" ");
        OfferFacts {
            offer,
            stems: stems(&text).into_iter().collect(),
            department,
            region: department.and_then(|d| geo.department(d)).map(|d| d.region),
            position: offer
                .commune
                .as_deref()
                .and_then(|c| geo.commune(c))
                .and_then(|c| c.position),
        }
    }

    /// How far the offer's commune is from `centre`, in whole kilometres.
    pub fn distance_km(&self, centre: Option<Position>) -> Option<u32> {
        Some(kilometres(centre?, self.position?))
    }
}

/// How far an offer's commune is from `centre`, in whole kilometres.
pub fn distance_km(offer: &Offer, centre: Option<Position>) -> Option<u32> {
    let position = offer
        .commune
        .as_deref()
        .and_then(|c| geography().commune(c))
        .and_then(|c| c.position)?;
    Some(kilometres(centre?, position))
}

fn kilometres(from: Position, to: Position) -> u32 {
    from.kilometres_to(to).round() as u32
}

/// The commune a « Près de » names: its slug (`brest-29`, what the search's
/// URL says), or its name as people write it, with or without its department
/// (`Brest (29)`, `Brest`).
fn commune_named(text: &str) -> Option<&'static Commune> {
    let geo = geography();
    let named = || {
        let (name, department) = match text.rsplit_once(" (") {
            Some((name, rest)) => (name, rest.strip_suffix(')')),
            None => (text, None),
        };
        geo.by_name(name.trim(), department).into_iter().next()
    };
    geo.commune_by_slug(text)
        .or_else(named)
        .filter(|c| c.position.is_some())
}

/// Keywords as typed, within bounds.
fn keywords(value: &str) -> Result<String, String> {
    let words: Vec<&str> = value.split_whitespace().collect();
    if value.chars().count() > MAX_KEYWORDS_CHARS || words.len() > MAX_KEYWORDS {
        return Err(format!(
            "Une alerte retient au plus {MAX_KEYWORDS} mots-clés et {MAX_KEYWORDS_CHARS} caractères."
        ));
    }
    Ok(words.join(" "))
}
