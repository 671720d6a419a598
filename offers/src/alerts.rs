//! Alerts: a saved search whose new offers are mailed to a visitor. The model,
//! the key that files an alert in the store by what narrows it most, and the
//! index that matches a batch of new offers against many alerts without trying
//! every alert for every offer.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::communes::{Position, geography};
use crate::model::Offer;
use crate::search::{Criteria, MAX_RADIUS, OfferFacts};

/// How long an alert waits for the click on its confirmation link.
pub const UNCONFIRMED_HOURS: i64 = 48;
/// The index key of alerts waiting for their confirmation (never matched).
pub const PENDING_KEY: &str = "pending";
/// Offers an alert holds for its next mail, at most (the newest are kept; the
/// mail shows 20 and links to the search for the rest): a weekly alert on a
/// busy site stays a small record (a DynamoDB item holds 400 KB).
pub const MAX_QUEUED: usize = 1_000;
/// Offers an alert remembers having mailed, at most (the newest): an older one
/// renewed after that may come once more.
pub const MAX_SENT: usize = 2_000;
/// How long an alert remembers having mailed an offer.
pub const SENT_KEPT_DAYS: i64 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// A batch at most every `alert_interval_seconds`.
    Immediate,
    Daily,
    Weekly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Immediate, Frequency::Daily, Frequency::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Immediate => "immediate",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Frequency::Immediate => "dès qu'une annonce paraît",
            Frequency::Daily => "une fois par jour",
            Frequency::Weekly => "une fois par semaine",
        }
    }

    pub fn parse(text: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The least time between two mails of an alert.
    pub fn period(self, interval: Duration) -> Duration {
        match self {
            Frequency::Immediate => interval,
            Frequency::Daily => Duration::days(1),
            Frequency::Weekly => Duration::days(7),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Waiting for the click on the confirmation link.
    Pending,
    Active,
    /// Kept, but neither matched nor mailed.
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub id: Ulid,
    pub email: String,
    /// A keyed digest of the normalised address: the alerts of one address.
    pub owner: String,
    pub criteria: Criteria,
    pub frequency: Frequency,
    pub status: AlertStatus,
    pub created: DateTime<Utc>,
    /// Offers listed before this never reach the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sent: Option<DateTime<Utc>>,
    /// Matched, waiting for the next mail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queued: Vec<Ulid>,
    /// Mailed once: never again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent: Vec<Ulid>,
    /// When the queued offers may be mailed (set while some are queued).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// Bumped on every write; a write from an older read is refused.
    pub version: u64,
    /// Bumped to void the private links mailed so far.
    #[serde(default)]
    pub token_version: u64,
}

/// A 1° × 1° square of the map (about 111 × 75 km in France), as a key.
fn cell(position: Position) -> String {
    cell_key(
        position.latitude().floor() as i32,
        position.longitude().floor() as i32,
    )
}

fn cell_key(latitude: i32, longitude: i32) -> String {
    format!("cell:{latitude}:{longitude}")
}

/// Every cell that holds a commune: where a remote offer's distance alerts are.
static CELLS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let cells: HashSet<String> = geography()
        .communes()
        .iter()
        .filter_map(|c| c.position.map(cell))
        .collect();
    let mut cells: Vec<String> = cells.into_iter().collect();
    cells.sort();
    cells
});

/// The cells within the widest radius of a position.
fn cells_around(position: Position) -> Vec<String> {
    const KM_PER_DEGREE: f64 = 111.2;
    let reach = f64::from(MAX_RADIUS) / KM_PER_DEGREE;
    let (latitude, longitude) = (position.latitude(), position.longitude());
    let widest = (latitude.abs() + reach).min(89.0).to_radians().cos();
    let reach_east = reach / widest;
    let mut cells = Vec::new();
    for lat in (latitude - reach).floor() as i32..=(latitude + reach).floor() as i32 {
        for lon in (longitude - reach_east).floor() as i32..=(longitude + reach_east).floor() as i32
        {
            cells.push(cell_key(lat, lon));
        }
    }
    cells
}

impl Alert {
    /// A new alert of `email` (whose keyed digest is `owner`), waiting for its
    /// confirmation.
    pub fn new(
        email: String,
        owner: String,
        criteria: Criteria,
        frequency: Frequency,
        now: DateTime<Utc>,
    ) -> Alert {
        Alert {
            id: Ulid::new(),
            email,
            owner,
            criteria,
            frequency,
            status: AlertStatus::Pending,
            created: now,
            confirmed: None,
            last_sent: None,
            queued: Vec::new(),
            sent: Vec::new(),
            due: None,
            version: 0,
            token_version: 0,
        }
    }

    /// The one key the store files the alert under, by what narrows it most:
    /// the cell of its place, its department (or its commune's), its region,
    /// its domain, remote offers only, or nothing (`all`). Pending alerts are
    /// filed apart, paused ones not at all.
    pub fn index_key(&self) -> Option<String> {
        match self.status {
            AlertStatus::Pending => return Some(PENDING_KEY.to_owned()),
            AlertStatus::Paused => return None,
            AlertStatus::Active => {}
        }
        let criteria = &self.criteria;
        let geo = geography();
        if let Some(centre) = criteria.centre() {
            return Some(cell(centre));
        }
        let department = criteria.department.as_deref().or_else(|| {
            criteria
                .commune
                .as_deref()
                .and_then(|c| geo.commune(c))
                .map(|c| c.department)
        });
        Some(if let Some(department) = department {
            format!("d:{department}")
        } else if let Some(region) = &criteria.region {
            format!("r:{region}")
        } else if let Some(domain) = &criteria.domain {
            format!("m:{domain}")
        } else if criteria.remote_only {
            "remote".to_owned()
        } else {
            "all".to_owned()
        })
    }

    /// Whether this offer was queued or mailed already.
    pub fn has(&self, offer: Ulid) -> bool {
        self.sent.contains(&offer) || self.queued.contains(&offer)
    }

    /// Queues the offers it has not had yet, within [`MAX_QUEUED`].
    pub fn enqueue(&mut self, offers: &[Ulid]) {
        let new: Vec<Ulid> = offers.iter().copied().filter(|id| !self.has(*id)).collect();
        self.queued.extend(new);
        newest(&mut self.queued, MAX_QUEUED);
    }

    /// Moves `mailed` from the queue to what was sent, and forgets what was
    /// sent before `now` less [`SENT_KEPT_DAYS`], or beyond [`MAX_SENT`].
    pub fn record_sent(&mut self, mailed: &[Ulid], now: DateTime<Utc>) {
        let kept_since = now - Duration::days(SENT_KEPT_DAYS);
        self.queued.retain(|id| !mailed.contains(id));
        let new: Vec<Ulid> = mailed
            .iter()
            .copied()
            .filter(|id| !self.sent.contains(id))
            .collect();
        self.sent.extend(new);
        self.sent
            .retain(|id| DateTime::<Utc>::from(id.datetime()) > kept_since);
        newest(&mut self.sent, MAX_SENT);
    }

    /// Whether the unconfirmed alert is past its time.
    pub fn is_unconfirmed_past(&self, now: DateTime<Utc>) -> bool {
        self.status == AlertStatus::Pending
            && self.created + Duration::hours(UNCONFIRMED_HOURS) <= now
    }
}

/// Keeps the `most` newest ids (ULIDs sort by creation), in their order.
fn newest(ids: &mut Vec<Ulid>, most: usize) {
    if ids.len() > most {
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        let oldest_kept = sorted[sorted.len() - most];
        ids.retain(|id| *id >= oldest_kept);
    }
}

/// The index keys under which the alerts that may match `offer` are filed.
pub fn candidate_keys(offer: &Offer) -> Vec<String> {
    let geo = geography();
    let mut keys = vec!["all".to_owned(), format!("m:{}", offer.domain)];
    if let Some(department) = offer.department_code() {
        keys.push(format!("d:{department}"));
        if let Some(region) = geo.department(department).map(|d| d.region) {
            keys.push(format!("r:{region}"));
        }
    }
    if offer.remote {
        // Distance alerts that take remote offers, wherever they are.
        keys.push("remote".to_owned());
        keys.extend(CELLS.iter().cloned());
    } else if let Some(position) = offer
        .commune
        .as_deref()
        .and_then(|c| geo.commune(c))
        .and_then(|c| c.position)
    {
        keys.extend(cells_around(position));
    }
    keys
}

/// One alert, ready to be matched: its keyword stems and centre computed once.
struct Compiled {
    alert: usize,
    stems: Vec<String>,
    centre: Option<Position>,
}

/// Alerts filed by their index key, and those filed under `all` by their first
/// keyword too: matching an offer tries only the alerts filed under its keys.
pub struct AlertIndex<'a> {
    alerts: &'a [Alert],
    by_key: HashMap<String, Vec<Compiled>>,
}

/// One alert that an offer matches, and its distance from the alert's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Position in the slice the index was built from.
    pub alert: usize,
    pub distance_km: Option<u32>,
}

impl<'a> AlertIndex<'a> {
    pub fn new(alerts: &'a [Alert]) -> Self {
        let mut by_key: HashMap<String, Vec<Compiled>> = HashMap::new();
        for (position, alert) in alerts.iter().enumerate() {
            let Some(mut key) = alert.index_key().filter(|k| k != PENDING_KEY) else {
                continue;
            };
            let stems = alert.criteria.keyword_stems();
            if key == "all"
                && let Some(first) = stems.first()
            {
                key = format!("k:{first}");
            }
            by_key.entry(key).or_default().push(Compiled {
                alert: position,
                centre: alert.criteria.centre(),
                stems,
            });
        }
        AlertIndex { alerts, by_key }
    }

    /// The alerts `offer` matches, listed after each alert's confirmation and
    /// not already given to it.
    pub fn hits(&self, offer: &Offer) -> Vec<Hit> {
        let Some(listed) = offer.listed else {
            return Vec::new();
        };
        let facts = OfferFacts::new(offer);
        let mut keys = candidate_keys(offer);
        keys.extend(facts.stems.iter().map(|stem| format!("k:{stem}")));
        let mut hits = Vec::new();
        for compiled in keys.iter().filter_map(|key| self.by_key.get(key)).flatten() {
            let alert = &self.alerts[compiled.alert];
            if alert.confirmed.is_none_or(|confirmed| confirmed > listed) || alert.has(offer.id) {
                continue;
            }
            if let Some(distance_km) =
                alert
                    .criteria
                    .matches(&facts, &compiled.stems, compiled.centre)
            {
                hits.push(Hit {
                    alert: compiled.alert,
                    distance_km,
                });
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_offers;
    use crate::model::{Kind, Status};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    /// A listed offer in Ploudalmézeau (29), in the health domain.
    fn offer(title: &str) -> Offer {
        let mut offer = demo_offers(1, 7, now()).unwrap().remove(0);
        offer.title = title.into();
        offer.description = "Une présence auprès des résidents, le week-end.".into();
        offer.skills = vec![];
        offer.domain = "sante".into();
        offer.kind = Kind::Request;
        offer.commune = Some("29178".into());
        offer.remote = false;
        offer.department = None;
        offer.status = Status::Published;
        offer.listed = Some(now());
        offer
    }

    fn alert(query: &str) -> Alert {
        let domains = ["sante".to_owned(), "education".to_owned()];
        let criteria = Criteria::from_query(query, &domains).unwrap();
        Alert {
            status: AlertStatus::Active,
            confirmed: Some(now() - Duration::days(1)),
            ..Alert::new(
                "lea@exemple.org".into(),
                "digest".into(),
                criteria,
                Frequency::Immediate,
                now() - Duration::days(2),
            )
        }
    }

    fn matched(alerts: &[Alert], offer: &Offer) -> Vec<usize> {
        let mut found: Vec<usize> = AlertIndex::new(alerts)
            .hits(offer)
            .iter()
            .map(|hit| hit.alert)
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn can_file_an_alert_under_what_narrows_it_most() {
        let key = |query: &str| alert(query).index_key().unwrap();
        assert_eq!(key("pres=brest-29&rayon=20&domaine=sante"), "cell:48:-5");
        assert_eq!(key("departement=29&domaine=sante"), "d:29");
        assert_eq!(key("commune=29178"), "d:29");
        assert_eq!(key("region=53&type=request"), "r:53");
        assert_eq!(key("domaine=sante&q=infirmier"), "m:sante");
        assert_eq!(key("distance=oui"), "remote");
        assert_eq!(key("q=infirmier"), "all");
        let mut paused = alert("departement=29");
        paused.status = AlertStatus::Paused;
        assert_eq!(
            paused.index_key(),
            None,
            "a paused alert is matched by nothing"
        );
    }

    #[test]
    fn can_match_place_domain_kind_and_words_as_the_search_does() {
        let alerts = [
            alert("pres=brest-29&rayon=20"), // 0: Ploudalmézeau is ~22 km away
            alert("pres=brest-29&rayon=50"), // 1
            alert("departement=29&domaine=sante"), // 2
            alert("departement=22"),         // 3
            alert("region=53&type=offer"),   // 4: wrong kind
            alert("q=r%C3%A9sident"),        // 5: « résident » ~ « résidents »
            alert("q=jardinage"),            // 6
            alert("domaine=education"),      // 7
            alert("commune=29178&engagement=volunteer"), // 8 (the demo offer's engagement below)
            alert(""),                       // 9: every new offer
        ];
        let mut offer = offer("Présence auprès de résidents d'EHPAD");
        offer.engagement = crate::model::Engagement::Volunteer;
        assert_eq!(matched(&alerts, &offer), [1, 2, 5, 8, 9]);
        let hits = AlertIndex::new(&alerts).hits(&offer);
        let distance = hits.iter().find(|h| h.alert == 1).unwrap().distance_km;
        assert!(matches!(distance, Some(20..=25)), "{distance:?}");
    }

    #[test]
    fn can_take_remote_offers_only_where_asked() {
        let alerts = [
            alert("pres=lyon-69&rayon=10"),
            alert("pres=lyon-69&rayon=10&a-distance=oui"),
            alert("distance=oui"),
        ];
        let mut remote = offer("Soutien scolaire en visio");
        remote.commune = None;
        remote.department = Some("29".into());
        remote.remote = true;
        assert_eq!(matched(&alerts, &remote), [1, 2]);
    }

    #[test]
    fn never_gives_an_alert_an_offer_twice_or_one_listed_before_it() {
        let mut alerts = vec![alert("departement=29")];
        let offer = offer("Aide aux courses");
        assert_eq!(matched(&alerts, &offer), [0]);
        alerts[0].queued.push(offer.id);
        assert!(matched(&alerts, &offer).is_empty(), "queued already");
        alerts[0].queued.clear();
        alerts[0].sent.push(offer.id);
        assert!(matched(&alerts, &offer).is_empty(), "sent already");
        let mut later = alert("departement=29");
        later.confirmed = Some(now() + Duration::hours(1));
        assert!(matched(&[later], &offer).is_empty(), "listed before");
        let mut pending = alert("departement=29");
        pending.status = AlertStatus::Pending;
        pending.confirmed = None;
        assert!(matched(&[pending], &offer).is_empty(), "not confirmed");
    }

    #[test]
    fn an_alert_record_stays_small_whatever_it_matches() {
        let mut alert = alert("");
        let offers: Vec<Ulid> = (0..(MAX_QUEUED as u64 + 500))
            .map(|n| Ulid::from_parts(1_800_000_000_000 + n, 0))
            .collect();
        alert.enqueue(&offers);
        assert_eq!(alert.queued.len(), MAX_QUEUED);
        assert_eq!(alert.queued[0], offers[500], "the newest are kept");
        alert.enqueue(&offers[..10]);
        assert_eq!(alert.queued.len(), MAX_QUEUED, "nothing queued twice");
        let mailed = alert.queued.clone();
        alert.record_sent(&mailed, now());
        alert.record_sent(&mailed, now());
        assert!(alert.queued.is_empty());
        assert_eq!(alert.sent, mailed, "each once");
        let more: Vec<Ulid> = (0..MAX_SENT as u64)
            .map(|n| Ulid::from_parts(1_900_000_000_000 + n, 0))
            .collect();
        alert.record_sent(&more, now());
        assert_eq!(alert.sent, more, "the newest are remembered");
        alert.enqueue(&more[..5]);
        assert!(alert.queued.is_empty(), "never twice");
    }

    #[test]
    fn can_read_and_write_back_a_search() {
        let domains = ["sante".to_owned()];
        let query = "q=infirmier+de+nuit&pres=ploudalmezeau-29&rayon=50&a-distance=oui&domaine=sante&region=53&departement=29&type=request&engagement=paid&du=2027-01&au=2027-03&distance=oui";
        let criteria = Criteria::from_query(query, &domains).unwrap();
        assert_eq!(criteria.to_query(), query);
        assert_eq!(
            Criteria::from_query(&criteria.to_query(), &domains).unwrap(),
            criteria
        );
        let told = criteria.describe(|_| "Santé".into());
        assert!(
            told.contains("à moins de 50 km de Ploudalmézeau (29)"),
            "{told}"
        );
        assert_eq!(
            Criteria::default().describe(|d| d.into()),
            "toutes les nouvelles annonces"
        );
    }

    #[test]
    fn errors_on_what_no_search_of_the_site_says() {
        let domains = ["sante".to_owned()];
        for query in [
            "pres=nulle-part-99",
            "rayon=7&pres=brest-29",
            "type=autre",
            "du=2027-13",
            "inconnu=1",
            "domaine=cuisine",
            &format!("q={}", "mot ".repeat(11)),
            &"q=a".repeat(400),
        ] {
            assert!(Criteria::from_query(query, &domains).is_err(), "{query}");
        }
    }
}
