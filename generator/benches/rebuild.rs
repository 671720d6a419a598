//! One changed offer among N, redrawn by a running site (what `entraide serve` does
//! after each change): `cargo bench -p generator --bench rebuild -- [N] [OUT] [KIND]`
//! (KIND: a word of one change's name, e.g. `filled`, to measure that one alone).
//! Prints the full build, then the median of 5 runs for each kind of change: the
//! time until the pages are written (what visitors and the poster wait for), the
//! whole update (exports, search index and manifest follow) and the files written.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, like a test

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use generator::{BuildOptions, BuildReport, LiveSite, Site};
use offers::demo::demo_offers;
use offers::{Offer, Status, Ulid};

const RUNS: usize = 5;

/// The allocator of the `entraide` binary, whose `serve` this measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let count: usize = args.next().map_or(100_000, |a| a.parse().expect("N"));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "bench/out/rebuild".into()));
    let only = args.next().unwrap_or_default();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let site = Site::load(&root, &root.join("themes/default")).unwrap();
    let offers = demo_offers(count, 1, Utc::now()).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    let options = || BuildOptions {
        out: out.clone(),
        now: Utc::now(),
        force: false,
        search: true,
        progress: None,
    };
    let start = Instant::now();
    let (mut live, report) = LiveSite::build(&site, offers.clone(), &options()).unwrap();
    println!(
        "{count} offers, full build {:.2} s: {report}",
        start.elapsed().as_secs_f64()
    );
    let listed: Vec<&Offer> = offers.iter().filter(|o| o.is_listed(Utc::now())).collect();
    let mut oldest_first = listed.clone();
    oldest_first.sort_by_key(|offer| offer.published);
    // An offer taken anywhere in the demo's order; for expiry, the oldest ones.
    let anywhere = |run: usize| listed[(run * 7919 + 17) % listed.len()];
    let oldest = |run: usize| oldest_first[run];
    type Change = fn(&Offer, usize) -> Offer;
    type Pick<'a> = &'a dyn Fn(usize) -> &'a Offer;
    let changes: [(&str, Pick, Change); 4] = [
        ("title edited", &anywhere, |offer, run| Offer {
            title: format!("{} (modifiée {run})", offer.title),
            updated: Utc::now(),
            ..offer.clone()
        }),
        ("marked filled", &anywhere, |offer, _| Offer {
            status: Status::Filled,
            updated: Utc::now(),
            ..offer.clone()
        }),
        ("oldest offer expired", &oldest, |offer, _| Offer {
            status: Status::Expired,
            updated: Utc::now(),
            ..offer.clone()
        }),
        ("new offer published", &anywhere, |offer, _| Offer {
            id: Ulid::new(),
            published: Some(Utc::now()),
            updated: Utc::now(),
            ..offer.clone()
        }),
    ];
    for (name, pick, change) in changes
        .into_iter()
        .filter(|(name, ..)| name.contains(&only))
    {
        let mut runs: Vec<(Duration, Duration, BuildReport)> = (0..RUNS)
            .map(|run| {
                let changed = change(pick(run), run);
                let pages = std::sync::Mutex::new(Duration::ZERO);
                let start = Instant::now();
                let report = live
                    .update(&site, vec![(changed.id, Some(changed))], &options(), || {
                        *pages.lock().unwrap() = start.elapsed()
                    })
                    .unwrap();
                (pages.into_inner().unwrap(), start.elapsed(), report)
            })
            .collect();
        runs.sort_by_key(|(pages, _, _)| *pages);
        let mut whole: Vec<Duration> = runs.iter().map(|(_, whole, _)| *whole).collect();
        whole.sort();
        let (pages, _, report) = &runs[RUNS / 2];
        println!(
            "{name}: pages written after {:.0} ms (median; runs {:?}), whole update {:.0} ms; median run: {report}",
            pages.as_secs_f64() * 1000.0,
            runs.iter()
                .map(|(p, _, _)| p.as_millis())
                .collect::<Vec<_>>(),
            whole[RUNS / 2].as_secs_f64() * 1000.0,
        );
    }
}
