//! Alerts at scale: `cargo bench -p functions --bench alerts [-- ALERTS OFFERS]`
//! (default 100,000 confirmed alerts, 1,000 new offers). Alerts are drawn like
//! visitors' searches: places and departments where people live (the demo
//! offers' communes, weighted by population), radii, domains, kinds, keywords
//! taken from offers' titles, the three frequencies.
//!
//! Prints:
//! - « match + compose »: the alert index built over every alert, the new offers
//!   matched through it, and one digest mail composed per alert that got
//!   something (what the target of docs/performance.md is about: ≤ 5 s, ≤ 500 MB
//!   at 100,000 × 1,000), median of 3 runs, with the peak resident memory of
//!   the process during that step;
//! - « full pass »: `run_alerts` on a SQLite store in a temporary folder, with a
//!   file outbox: the change feed read, candidates queried by index key, queues
//!   written, due alerts mailed (once: it takes minutes, one SQLite
//!   transaction per alert written).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, like a test

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use functions::alerts_run::{COMPOSE_AHEAD, DueMail, compose_mails, match_offers, run_alerts};
use functions::client::TrustedProxies;
use functions::mailer::Mailer;
use functions::tokens::Secret;
use functions::{AppState, NoRebuild, SiteHandle};
use offers::alerts::{Alert, AlertStatus, Frequency};
use offers::communes::geography;
use offers::demo::demo_offers;
use offers::search::{Criteria, Near, RADII};
use offers::{Engagement, Kind, Offer, Status};
use store::{SqliteStore, Store};

const RUNS: usize = 3;

/// The allocator of the `entraide` binary, whose `serve` runs the passes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
        .unwrap()
        .to_utc()
}

/// The process's peak resident memory since the last reset, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024.0
}

/// Starts counting the peak resident memory from what is resident now.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// `count` alerts as visitors would save them.
fn visitors_alerts(count: usize, domains: &[String]) -> Vec<Alert> {
    let geo = geography();
    let pool = demo_offers(5_000, 11, now()).unwrap();
    let places: Vec<&str> = pool.iter().filter_map(|o| o.commune.as_deref()).collect();
    let words: Vec<String> = pool
        .iter()
        .flat_map(|o| o.title.split_whitespace().map(str::to_lowercase))
        .filter(|w| w.chars().count() >= 6 && w.chars().all(char::is_alphabetic))
        .collect();
    let mut rng = fastrand::Rng::with_seed(3);
    (0..count)
        .map(|n| {
            let commune = geo.commune(places[rng.usize(..places.len())]).unwrap();
            let mut criteria = Criteria::default();
            match rng.u32(0..100) {
                0..35 => {
                    criteria.near = Some(Near {
                        commune: commune.insee.to_owned(),
                        radius: RADII[rng.usize(..RADII.len())],
                        remote: rng.bool(),
                    });
                }
                35..60 => criteria.department = Some(commune.department.to_owned()),
                60..65 => criteria.commune = Some(commune.insee.to_owned()),
                65..75 => {
                    let department = geo.department(commune.department).unwrap();
                    criteria.region = Some(department.region.to_owned());
                }
                75..90 => criteria.domain = Some(domains[rng.usize(..domains.len())].clone()),
                _ => criteria.keywords = words[rng.usize(..words.len())].clone(),
            }
            if rng.u32(0..100) < 30 {
                criteria.domain = Some(domains[rng.usize(..domains.len())].clone());
            }
            if rng.u32(0..100) < 30 {
                criteria.kind = Some(if rng.bool() {
                    Kind::Request
                } else {
                    Kind::Offer
                });
            }
            if rng.u32(0..100) < 20 {
                criteria.engagement = Some(Engagement::Volunteer);
            }
            let frequency = Frequency::ALL[[0, 0, 0, 1, 1, 2][rng.usize(..6)]];
            Alert {
                status: AlertStatus::Active,
                confirmed: Some(now() - Duration::days(1)),
                ..Alert::new(
                    format!("abonne{n}@exemple.org"),
                    format!("empreinte{n}"),
                    criteria,
                    frequency,
                    now() - Duration::days(2),
                )
            }
        })
        .collect()
}

/// `count` offers listed now.
fn new_offers(count: usize) -> Vec<Offer> {
    let mut offers = demo_offers(count, 29, now()).unwrap();
    for offer in &mut offers {
        offer.status = Status::Published;
        offer.listed = Some(now());
        offer.expires = now() + Duration::days(30);
    }
    offers
}

fn state(dir: &Path, site_root: &Path) -> (AppState, Arc<dyn Store>) {
    let mut site = generator::Site::load(site_root, &site_root.join("themes/default")).unwrap();
    site.config.alert_mails_per_minute = u32::MAX;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("bench.db")).unwrap());
    let from = "Entraide <ne-pas-repondre@entraide.example>"
        .parse()
        .unwrap();
    let outbox = format!("file://{}", dir.join("outbox").display());
    let state = AppState {
        store: Arc::clone(&store),
        site: SiteHandle::new(site),
        secret: Secret::new("une clé de banc d'essai assez longue"),
        mailer: Arc::new(Mailer::from_url(&outbox, from).unwrap()),
        rebuild: Arc::new(NoRebuild),
        min_fill_seconds: 3,
        trusted_proxies: TrustedProxies::default(),
        clock: now,
    };
    (state, store)
}

/// Matches every offer through the index and composes each alert's digest, as
/// a pass does (`COMPOSE_AHEAD` alerts at a time); returns (pairs matched,
/// digests composed, seconds spent matching). `shared` are `offers` as a pass
/// holds them once read.
fn match_and_compose(
    state: &AppState,
    alerts: &[Alert],
    offers: &[Offer],
    shared: &[Arc<Offer>],
) -> (usize, usize, f64) {
    let started = Instant::now();
    let found = match_offers(alerts, offers);
    let matching = started.elapsed().as_secs_f64();
    let due: Vec<DueMail> = found
        .into_iter()
        .map(|(position, matched)| DueMail {
            alert: alerts[position].clone(),
            queue: Vec::new(),
            offers: matched
                .iter()
                .map(|&offer| Arc::clone(&shared[offer]))
                .collect(),
        })
        .collect();
    let pairs = due.iter().map(|due| due.offers.len()).sum();
    let mut composed = 0;
    for chunk in due.chunks(COMPOSE_AHEAD) {
        for mail in compose_mails(state, chunk) {
            composed += usize::from(mail.unwrap().is_some_and(|mail| !mail.text.is_empty()));
        }
    }
    (pairs, composed, matching)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let alert_count: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let offer_count: usize = args.next().map_or(1_000, |a| a.parse().unwrap());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let probe = generator::Site::load(&root, &root.join("themes/default")).unwrap();
    let alerts = visitors_alerts(alert_count, &probe.config.domain_slugs());
    let offers = new_offers(offer_count);
    let shared: Vec<Arc<Offer>> = offers.iter().cloned().map(Arc::new).collect();
    println!("{alert_count} alerts, {offer_count} new offers");

    let (mut seconds, mut peaks) = (Vec::new(), Vec::new());
    let mut matchings = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let (state, store) = state(dir.path(), &root);
    for _ in 0..RUNS {
        reset_peak();
        let started = Instant::now();
        let (pairs, composed, matching) = match_and_compose(&state, &alerts, &offers, &shared);
        seconds.push(started.elapsed().as_secs_f64());
        matchings.push(matching);
        peaks.push(peak_mb());
        println!("  match + compose: {pairs} (alert, offer) pairs, {composed} digests");
    }
    println!(
        "match + compose: median {:.2} s (matching {:.2} s), peak resident memory of the process {:.0} MB",
        median(seconds),
        median(matchings),
        median(peaks)
    );
    if std::env::args().any(|arg| arg == "--match-only") {
        return;
    }
    // One full pass: it writes every queue and every mail, and takes minutes.
    store.import_alerts(&alerts).await.unwrap();
    store.import(&offers).await.unwrap();
    let started = Instant::now();
    let run = run_alerts(&state).await.unwrap();
    let pass = started.elapsed().as_secs_f64();
    println!("  full pass: {run:?}");
    println!("full pass on SQLite, file outbox: {pass:.1} s");
}
