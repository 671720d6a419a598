//! The static search index: Pagefind indexes of the listed offers, one per time
//! bucket, that the search page merges in the browser newest first.
//!
//! Buckets are intervals of the offers' creation time (their ULID clock) halved
//! until each holds at most `search_bucket_size` offers: the partition depends only on
//! the offers, so a full build and an incremental one agree, and a change to one
//! offer rebuilds only the bucket that holds it. See `docs/design.md`.

use std::collections::BTreeMap;
use std::path::Path;

use offers::communes::geography;
use serde_json::json;

use crate::BuildError;
use crate::config::SiteConfig;
use crate::manifest::{Entry, Files, write_atomically};
use crate::prepared::Prepared;

/// The folder of the index in the output.
pub const SEARCH_DIR: &str = "pagefind";
/// The list of buckets, newest first, that the search page reads.
pub const BUCKETS_FILE: &str = "pagefind/buckets.json";
/// How much of a description is indexed: the start says what an offer is about.
const INDEXED_DESCRIPTION_CHARS: usize = 400;
/// ULID timestamps are 48-bit milliseconds.
const CLOCK_BITS: u32 = 48;
/// The root index holds one record no query matches: Pagefind's script needs a
/// primary index before buckets can be merged into it.
const ROOT_KEY: &str = "";
const PLACEHOLDER_WORD: &str = "entraideracinedelindex";

/// Offers created in `[start, start + 2^bits)` milliseconds since the epoch.
pub struct Bucket<'a> {
    pub start: u64,
    pub bits: u32,
    pub offers: Vec<&'a Prepared<'a>>,
}

impl Bucket<'_> {
    /// Folder of this bucket's index under `SEARCH_DIR`.
    pub fn key(&self) -> String {
        format!("{:x}-{}", self.start, self.bits)
    }
}

/// Splits the listed offers into buckets, newest first.
pub fn buckets<'a>(listed: &[&'a Prepared<'a>], size: usize) -> Vec<Bucket<'a>> {
    let mut by_time: Vec<&'a Prepared<'a>> = listed.to_vec();
    by_time.sort_by_key(|p| p.offer.id);
    let mut leaves = Vec::new();
    split(&by_time, 0, CLOCK_BITS, size, &mut leaves);
    leaves.reverse();
    leaves
}

fn split<'a>(
    offers: &[&'a Prepared<'a>],
    start: u64,
    bits: u32,
    size: usize,
    leaves: &mut Vec<Bucket<'a>>,
) {
    if offers.is_empty() {
        return;
    }
    if offers.len() <= size || bits == 0 {
        leaves.push(Bucket {
            start,
            bits,
            offers: offers.to_vec(),
        });
        return;
    }
    let middle = start + (1u64 << (bits - 1));
    let cut = offers.partition_point(|p| p.offer.id.timestamp_ms() < middle);
    split(&offers[..cut], start, bits - 1, size, leaves);
    split(&offers[cut..], middle, bits - 1, size, leaves);
}

/// One offer as the index sees it.
struct Record {
    url: String,
    content: String,
    meta: BTreeMap<String, String>,
    filters: BTreeMap<String, Vec<String>>,
    sort: BTreeMap<String, String>,
}

fn record(prepared: &Prepared, config: &SiteConfig) -> Record {
    let offer = prepared.offer;
    let geo = geography();
    let commune = offer.commune.as_deref().and_then(|c| geo.commune(c));
    let department = offer.department_code().and_then(|d| geo.department(d));
    let region = department.and_then(|d| geo.region(d.region));
    let domain = config
        .domain(&offer.domain)
        .map_or(offer.domain.as_str(), |d| d.label.as_str());
    let place = offer.place_label();
    let mut content = vec![
        offer.title.clone(),
        crate::view::summary(&offer.description, INDEXED_DESCRIPTION_CHARS),
        offer.skills.join(", "),
    ];
    content.extend(commune.map(|c| c.name.to_owned()));
    content.extend(department.map(|d| d.name.to_owned()));
    content.extend(region.map(|r| r.name.to_owned()));
    let mut filters = BTreeMap::from([
        ("domaine".to_owned(), vec![offer.domain.clone()]),
        ("type".to_owned(), vec![offer.kind.as_str().to_owned()]),
        (
            "engagement".to_owned(),
            vec![offer.engagement.as_str().to_owned()],
        ),
    ]);
    if let Some(department) = department {
        filters.insert("departement".into(), vec![department.code.to_owned()]);
    }
    // The distance search asks for the communes within its radius; this filter is
    // read only by such a search (Pagefind loads the filters a query names).
    if let Some(commune) = commune {
        filters.insert("commune".into(), vec![commune.insee.to_owned()]);
    }
    if let Some(region) = region {
        filters.insert("region".into(), vec![region.code.to_owned()]);
    }
    if offer.remote {
        filters.insert("distance".into(), vec!["oui".into()]);
    }
    filters.insert("mois".into(), available_months(prepared));
    Record {
        url: crate::urls::offer(offer.id),
        content: content.join(". "),
        meta: BTreeMap::from([
            ("title".to_owned(), offer.title.clone()),
            ("lieu".to_owned(), place),
            ("domaine".to_owned(), domain.to_owned()),
            ("type".to_owned(), offer.kind.as_str().to_owned()),
            ("type_label".to_owned(), offer.kind.label().to_owned()),
            ("engagement".to_owned(), offer.engagement.label().to_owned()),
            (
                "dates".to_owned(),
                crate::french::period(offer.start, offer.end),
            ),
            (
                "date".to_owned(),
                crate::french::date(prepared.published.date_naive()),
            ),
        ]),
        filters,
        sort: BTreeMap::from([(
            "date".to_owned(),
            prepared.published.format("%Y-%m-%dT%H:%M:%S").to_string(),
        )]),
    }
}

/// The months (`YYYY-MM`) an offer is available in, so that a visitor's
/// « disponible à partir de / jusqu'en » matches it by overlap: from its start
/// (or its publication, if later) to its end — or, without an end date, to the
/// day it leaves the listings.
fn available_months(prepared: &Prepared) -> Vec<String> {
    let offer = prepared.offer;
    months(
        offer
            .start
            .map_or(prepared.published.date_naive(), |start| {
                start.max(prepared.published.date_naive())
            }),
        offer.end.unwrap_or(offer.expires.date_naive()),
    )
}

/// Every month from `first`'s to `last`'s (at least `first`'s).
fn months(first: chrono::NaiveDate, last: chrono::NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let index = |date: chrono::NaiveDate| date.year() * 12 + date.month0() as i32;
    (index(first)..=index(last).max(index(first)))
        .map(|month| {
            format!(
                "{:04}-{:02}",
                month.div_euclid(12),
                month.rem_euclid(12) + 1
            )
        })
        .collect()
}

/// What one index is made of, hashed with the site's fingerprint.
pub struct IndexPlan<'a> {
    /// Folder under the output, e.g. `pagefind/` or `pagefind/18c-31/`.
    pub folder: String,
    pub input: String,
    bucket: Option<&'a Bucket<'a>>,
}

/// The root index and one index per bucket, each with the hash of its inputs.
pub fn plan_indexes<'a>(
    fingerprint: &blake3::Hash,
    buckets: &'a [Bucket<'a>],
) -> Vec<IndexPlan<'a>> {
    let hash = |key: &str, bucket: Option<&Bucket>| {
        let mut hasher = blake3::Hasher::new();
        hasher.update(fingerprint.as_bytes());
        hasher.update(key.as_bytes());
        for prepared in bucket.map(|b| b.offers.as_slice()).unwrap_or_default() {
            hasher.update(prepared.hash.as_bytes());
        }
        hasher.finalize().to_hex().to_string()
    };
    let mut plans = vec![IndexPlan {
        folder: format!("{SEARCH_DIR}/"),
        input: hash(ROOT_KEY, None),
        bucket: None,
    }];
    plans.extend(buckets.iter().map(|bucket| {
        let key = bucket.key();
        IndexPlan {
            folder: format!("{SEARCH_DIR}/{key}/"),
            input: hash(&key, Some(bucket)),
            bucket: Some(bucket),
        }
    }));
    plans
}

/// Files of a bucket's index worth serving: the script, worker and French
/// WebAssembly only once, at the root; no bundled UI.
fn keep(name: &str, root: bool) -> bool {
    let data = name == "pagefind-entry.json"
        || name.ends_with(".pf_meta")
        || ["index/", "fragment/", "filter/"]
            .iter()
            .any(|folder| name.starts_with(folder));
    data || (root && ["pagefind.js", "pagefind-worker.js", "wasm.fr.pagefind"].contains(&name))
}

/// One file of an index: its path, its manifest entry, and whether its bytes
/// changed (and were written).
pub type IndexFile = (String, Entry, bool);

/// Builds these indexes, as many at a time as there are cores, and returns their
/// files. A file whose bytes the last build (`previous`) already wrote is left
/// alone: a rebuilt bucket rewrites only the files that changed.
///
/// Each index runs on a thread of its own, not on rayon's pool: Pagefind is
/// async and uses rayon inside, and a rayon worker waiting in one index's
/// runtime could steal another index's job and start a runtime within a runtime.
pub fn write_indexes(
    plans: &[&IndexPlan],
    config: &SiteConfig,
    out: &Path,
    previous: &Files,
) -> Result<Vec<IndexFile>, BuildError> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    // At most four at once: a bucket of 5,000 offers peaks at ~400 MB.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let workers = cores.clamp(1, 4);
    let work = || -> Result<Vec<IndexFile>, BuildError> {
        let mut written = Vec::new();
        loop {
            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(plan) = plans.get(index) else {
                return Ok(written);
            };
            written.extend(write_index(plan, config, out, previous)?);
        }
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..workers.min(plans.len()))
            .map(|_| scope.spawn(work))
            .collect();
        let mut written = Vec::new();
        for worker in workers {
            written.extend(worker.join().map_err(|_| BuildError::Poisoned)??);
        }
        Ok(written)
    })
}

/// Builds one index with Pagefind and writes its files that changed, the entry
/// file last (it names the others).
fn write_index(
    plan: &IndexPlan,
    config: &SiteConfig,
    out: &Path,
    previous: &Files,
) -> Result<Vec<IndexFile>, BuildError> {
    let records: Vec<Record> = match plan.bucket {
        // Oldest first: Pagefind numbers records in the order they come, so a new
        // offer (the newest) changes the fewest files of its bucket.
        Some(bucket) => bucket.offers.iter().map(|p| record(p, config)).collect(),
        None => vec![Record {
            url: "/recherche/".into(),
            content: PLACEHOLDER_WORD.into(),
            meta: BTreeMap::from([("title".to_owned(), "Recherche".to_owned())]),
            filters: BTreeMap::new(),
            sort: BTreeMap::new(),
        }],
    };
    let failed = |message: String| BuildError::Render {
        path: plan.folder.clone(),
        message,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let files = runtime.block_on(pagefind_files(records)).map_err(failed)?;
    let mut written = Vec::new();
    let mut entry_file = None;
    for file in files {
        let name = file.filename.to_string_lossy().replace('\\', "/");
        if !keep(&name, plan.bucket.is_none()) {
            continue;
        }
        let path = format!("{}{name}", plan.folder);
        let entry = Entry {
            hash: blake3::hash(&file.contents).to_hex().to_string(),
            size: file.contents.len() as u64,
            input: plan.input.clone(),
        };
        if name == "pagefind-entry.json" {
            entry_file = Some((path, entry, file.contents));
        } else {
            written.push(write_if_changed(
                out,
                path,
                entry,
                &file.contents,
                previous,
            )?);
        }
    }
    let (path, entry, bytes) = entry_file.ok_or_else(|| failed("no pagefind-entry.json".into()))?;
    written.push(write_if_changed(out, path, entry, &bytes, previous)?);
    Ok(written)
}

/// Writes `bytes` at `path` unless the last build (`previous`) already wrote them there.
pub fn write_if_changed(
    out: &Path,
    path: String,
    entry: Entry,
    bytes: &[u8],
    previous: &Files,
) -> Result<IndexFile, BuildError> {
    let target = out.join(&path);
    if previous.get(&path).is_some_and(|e| e.hash == entry.hash) && target.is_file() {
        return Ok((path, entry, false));
    }
    write_atomically(&target, bytes)?;
    Ok((path, entry, true))
}

async fn pagefind_files(records: Vec<Record>) -> Result<Vec<pagefind::api::SyntheticFile>, String> {
    // Five records to a fragment file: a page of results (neighbours in time, as
    // they were added) takes a few small fetches, and a bucket stays ~1,000 files.
    let fragments = u32::try_from(records.len().div_ceil(5)).unwrap_or(u32::MAX);
    let options = pagefind::options::PagefindServiceConfig::builder()
        .force_language("fr".to_owned())
        .keep_index_url(true)
        .max_fragments(fragments)
        .build();
    let mut index = pagefind::api::PagefindIndex::new(Some(options)).map_err(describe)?;
    for record in records {
        index
            .add_custom_record(
                record.url,
                record.content,
                "fr".into(),
                Some(record.meta),
                Some(record.filters),
                Some(record.sort),
            )
            .await
            .map_err(describe)?;
    }
    index.get_files().await.map_err(describe)
}

/// `buckets.json`: how many buckets a query reads by itself, and each bucket's
/// folder, offer count, oldest publication date (French) and a tag that
/// changes with its index (the page uses it so that browsers cache the entries).
pub fn buckets_json(plans: &[IndexPlan], size: usize) -> Vec<u8> {
    let buckets: Vec<serde_json::Value> = plans
        .iter()
        .filter_map(|plan| {
            let bucket = plan.bucket?;
            let oldest = bucket.offers.iter().map(|p| p.published).min()?;
            Some(json!({
                "path": format!("/{}", plan.folder),
                "count": bucket.offers.len(),
                "since": crate::french::date(oldest.date_naive()),
                "tag": &plan.input[..12],
            }))
        })
        .collect();
    let root = plans.first().map_or("", |plan| &plan.input[..12]);
    let listing = json!({
        "root": root,
        "placeholder": PLACEHOLDER_WORD,
        "automatic": automatic_buckets(plans, size),
        "buckets": buckets,
    });
    serde_json::to_vec(&listing).unwrap_or_default()
}

/// How many of the newest buckets a query reads before asking to read older
/// ones: as many as hold at most two buckets' worth of offers, at least one.
/// Each costs ~20 bytes per offer to download (metadata, filters): at the default
/// size a first query stays under 300 KB (docs/performance.md « Search »).
fn automatic_buckets(plans: &[IndexPlan], size: usize) -> usize {
    let mut offers = 0;
    let counts = plans
        .iter()
        .filter_map(|plan| plan.bucket)
        .map(|b| b.offers.len());
    counts
        .take_while(|count| {
            offers += count;
            offers <= 2 * size
        })
        .count()
        .max(1)
}

/// Pagefind's errors, with their causes.
fn describe(error: impl std::fmt::Display) -> String {
    format!("{error:#}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default()
    }

    fn keys(buckets: &[Bucket]) -> Vec<(String, usize)> {
        buckets.iter().map(|b| (b.key(), b.offers.len())).collect()
    }

    #[test]
    fn an_offer_is_found_in_every_month_it_is_available() {
        let mut offer = offers::demo::demo_offers(1, 3, now())
            .unwrap_or_default()
            .remove(0);
        offer.published = Some(now());
        offer.expires = now() + chrono::Duration::days(60);
        let date = |text: &str| text.parse::<chrono::NaiveDate>().unwrap_or_default();
        let months_of = |offer: &offers::Offer| available_months(&Prepared::new(offer, now()));
        offer.start = None;
        offer.end = None;
        assert_eq!(
            months_of(&offer),
            ["2026-11", "2026-12", "2027-01"],
            "published to expiry"
        );
        // A season posted ahead: its own dates, beyond the listing's lifetime.
        offer.start = Some(date("2027-01-01"));
        offer.end = Some(date("2027-06-30"));
        assert_eq!(
            months_of(&offer),
            [
                "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"
            ]
        );
        // A start already past counts from the publication.
        offer.start = Some(date("2026-10-01"));
        offer.end = Some(date("2026-12-02"));
        assert_eq!(months_of(&offer), ["2026-11", "2026-12"]);
    }

    #[test]
    fn buckets_are_small_newest_first_and_stable_under_a_new_offer() {
        let offers = offers::demo::demo_offers(300, 3, now()).unwrap_or_default();
        let prepared: Vec<Prepared> = offers.iter().map(|o| Prepared::new(o, now())).collect();
        let all: Vec<&Prepared> = prepared.iter().collect();
        let buckets = buckets(&all, 40);
        assert!(buckets.len() >= 300 / 40, "{:?}", keys(&buckets));
        assert!(buckets.iter().all(|b| (1..=40).contains(&b.offers.len())));
        assert_eq!(buckets.iter().map(|b| b.offers.len()).sum::<usize>(), 300);
        assert!(buckets.windows(2).all(|w| w[0].start > w[1].start));
        for bucket in &buckets {
            let end = bucket.start + (1u64 << bucket.bits);
            assert!(
                bucket
                    .offers
                    .iter()
                    .all(|p| { (bucket.start..end).contains(&p.offer.id.timestamp_ms()) })
            );
        }
        // Without the newest offer, only the newest bucket differs.
        let newest = all.iter().map(|p| p.offer.id).max();
        let fewer: Vec<&Prepared> = all
            .iter()
            .copied()
            .filter(|p| Some(p.offer.id) != newest)
            .collect();
        let (before, after) = (keys(&buckets), keys(&super::buckets(&fewer, 40)));
        let differing = before.iter().filter(|k| !after.contains(k)).count();
        assert_eq!(differing, 1, "{before:?} {after:?}");
    }
}
