//! A running site (`entraide serve`): the offers, each one's hash and drawings and
//! the last manifest stay in memory between builds, so that after a change only the
//! pages that show the changed offers are planned and drawn.

use chrono::{DateTime, Utc};
use offers::{Offer, Status, Ulid};

use crate::build::{Build, Memory};
use crate::config::SiteConfig;
use crate::manifest::Manifest;
use crate::prepared::Place;
use crate::scope::Scope;
use crate::{BuildError, BuildOptions, BuildReport, Site, urls};

pub struct LiveSite {
    /// Every stored offer, sorted by id (what a full build is given).
    offers: Vec<Offer>,
    /// What the last build left; `None` after a build that failed or panicked
    /// half-way: the next one redraws everything against the manifest on disk.
    memory: Option<Memory>,
    /// The clock of the last build: what offers looked like to it.
    built_at: DateTime<Utc>,
}

/// A change the store reported: an offer's new state, or its erasure.
pub type Change = (Ulid, Option<Offer>);

/// Pages that always depend on every listed offer (counts, newest offers).
const SHARED: [&str; 8] = [
    "/",
    "/annonces/",
    "/domaines/",
    "/departements/",
    "/regions/",
    "/sitemap.xml",
    "/donnees/annonces.json",
    "/donnees/annonces.csv",
];

impl LiveSite {
    /// A full build of `offers` (any order) that keeps what the next ones need.
    pub fn build(
        site: &Site,
        offers: Vec<Offer>,
        options: &BuildOptions,
    ) -> Result<(LiveSite, BuildReport), BuildError> {
        LiveSite::finish(Build::start(site, options), offers)
    }

    /// Ends a full build started by the caller (e.g. drawing offer pages while the
    /// offers were read), keeping what the next builds need.
    pub fn finish(
        build: Build,
        mut offers: Vec<Offer>,
    ) -> Result<(LiveSite, BuildReport), BuildError> {
        offers.sort_unstable_by_key(|offer| offer.id);
        let now = build.now();
        let (report, memory) = build.keeping_records().finish_with_memory(&offers)?;
        let live = LiveSite {
            offers,
            memory: Some(memory),
            built_at: now,
        };
        Ok((live, report))
    }

    /// Applies the store's changes and redraws the pages that show the changed
    /// offers, or those whose offers the clock changed (expired, closed long ago).
    /// Everything is redrawn after a change of config, content or theme.
    /// `pages_written` is called once the pages are (the exports, the search index
    /// and the manifest follow).
    pub fn update(
        &mut self,
        site: &Site,
        changes: Vec<Change>,
        options: &BuildOptions,
        pages_written: impl FnOnce() + Send + Sync,
    ) -> Result<BuildReport, BuildError> {
        let config = &site.config;
        let keep_days = config.keep_closed_days;
        let (before, now) = (self.built_at, options.now);
        let mut memory = match self.memory.take() {
            Some(memory) => memory,
            None => Memory::on_disk(&options.out),
        };
        let mut scope = Scope::default();
        for offer in &self.offers {
            if Looks::at(offer, before, keep_days) != Looks::at(offer, now, keep_days) {
                touch(&mut scope, offer, before, config);
                touch(&mut scope, offer, now, config);
                memory.known.remove(&offer.id);
            }
        }
        for (id, stored) in changes {
            let position = self.offers.binary_search_by_key(&id, |offer| offer.id);
            if let Ok(index) = position {
                touch(&mut scope, &self.offers[index], before, config);
            }
            if let Some(offer) = &stored {
                touch(&mut scope, offer, now, config);
            }
            memory.known.remove(&id);
            match (position, stored) {
                (Ok(index), Some(offer)) => self.offers[index] = offer,
                (Ok(index), None) => {
                    self.offers.remove(index);
                }
                (Err(index), Some(offer)) => self.offers.insert(index, offer),
                (Err(_), None) => {}
            }
        }
        for url in SHARED {
            scope.insert(url);
        }
        if options.search {
            scope.insert(&format!("/{}/", crate::search::SEARCH_DIR));
        }
        let everything = options.force || site.fingerprint() != memory.fingerprint;
        if everything {
            // Cards and records were drawn with the old config or theme.
            memory.known.clear();
        }
        let scope = (!everything).then_some(scope);
        let build = Build::resume(site, options, memory, scope).on_pages_written(pages_written);
        // On an error (or a panic) `memory` stays `None`.
        let (report, memory) = build.finish_with_memory(&self.offers)?;
        self.memory = Some(memory);
        self.built_at = now;
        Ok(report)
    }
}

/// What visitors see of an offer at a moment, besides its fields.
#[derive(PartialEq, Eq)]
struct Looks {
    public: bool,
    listed: bool,
    status: Status,
}

impl Looks {
    fn at(offer: &Offer, now: DateTime<Utc>, keep_days: i64) -> Looks {
        Looks {
            public: offer.is_public(now, keep_days),
            listed: offer.is_listed(now),
            status: offer.visible_status(now),
        }
    }
}

/// Adds to `scope` the pages that show `offer` as it was or is at `now`: its own
/// page and the listings it is in.
fn touch(scope: &mut Scope, offer: &Offer, now: DateTime<Utc>, config: &SiteConfig) {
    if !offer.is_public(now, config.keep_closed_days) {
        return;
    }
    scope.insert(&urls::offer(offer.id));
    let place = Place::of(offer, config);
    if offer.is_listed(now) {
        for url in place.listings(config) {
            scope.insert(&url);
        }
    } else if let Some(commune) = place.commune() {
        // Its page links to its commune, which stays while the page does.
        scope.insert(&urls::commune(commune));
    }
}

impl Memory {
    /// What a build knows from the manifest in `out` alone: it redraws everything.
    fn on_disk(out: &std::path::Path) -> Memory {
        Memory {
            manifest: Manifest::load(out).files.into_iter().collect(),
            known: Default::default(),
            fingerprint: blake3::Hash::from_bytes([0; 32]),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn after_a_build_that_panicked_the_next_one_starts_from_the_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let site =
            Site::load(&root.join("tests/fixture"), &root.join("../themes/default")).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut offers = offers::demo::demo_offers(40, 7, now).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let options = |out: &Path| BuildOptions {
            out: out.to_owned(),
            now,
            force: false,
            search: true,
            progress: None,
        };
        let running = dir.path().join("running");
        let (mut live, _) = LiveSite::build(&site, offers.clone(), &options(&running)).unwrap();
        // What a panic in the middle of a build leaves.
        live.memory = None;
        let erased = offers.remove(offers.iter().position(|o| o.is_listed(now)).unwrap());
        live.update(&site, vec![(erased.id, None)], &options(&running), || {})
            .unwrap();
        let full = dir.path().join("full");
        crate::build(&site, &offers, &options(&full)).unwrap();
        let manifest = |out: &Path| std::fs::read_to_string(out.join(".manifest.json")).unwrap();
        assert_eq!(manifest(&running), manifest(&full));
        let page = running.join(urls::file_of(&urls::offer(erased.id)));
        assert!(!page.exists(), "{} should be gone", page.display());
    }
}
