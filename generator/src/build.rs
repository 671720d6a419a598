//! A build, in explicit timed phases: prepare (serialise each offer once), plan
//! (list every file), render and write (in parallel, only what changed), clean up.
//!
//! Over 600 lines on purpose: the phases of one build and the state they hand
//! each other (the planner and the renderers live in their own modules).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use offers::Offer;
use rayon::prelude::*;

use crate::BuildError;
use crate::config::SiteConfig;
use crate::content::{ContentPage, load_pages};
use crate::jobs::{Job, offer_page};
use crate::manifest::{Entry, Files, MANIFEST_FILE, Manifest, write_atomically};
use crate::plan::plan;
use crate::prepared::{Known, Prepared};
use crate::render::{RenderEnv, SiteView, render};
use crate::scope::Scope;
use crate::search;
use crate::theme::Theme;

/// Everything a build needs besides the offers: config, content and theme.
pub struct Site {
    pub config: SiteConfig,
    pub pages: Vec<ContentPage>,
    pub theme: Theme,
}

impl Site {
    /// Renders one of the theme's page templates with `context` plus what every
    /// page gets (the site and its assets).
    pub fn render_page(
        &self,
        template: &str,
        context: &impl serde::Serialize,
    ) -> Result<String, BuildError> {
        Ok(self.theme.tera.render(template, &self.context(context)?)?)
    }

    /// A mail's plain text and HTML, from the theme's `mail/<name>.txt` and
    /// `.html`, drawn with one context.
    pub fn render_mail(
        &self,
        name: &str,
        context: &impl serde::Serialize,
    ) -> Result<(String, String), BuildError> {
        let context = self.context(context)?;
        let render = |kind: &str| {
            self.theme
                .tera
                .render(&format!("mail/{name}.{kind}"), &context)
        };
        Ok((render("txt")?, render("html")?))
    }

    /// `context` with what every template may use: the site and the assets.
    fn context(&self, context: &impl serde::Serialize) -> Result<tera::Context, BuildError> {
        let mut context = tera::Context::from_serialize(context)?;
        let config = &self.config;
        context.insert("site", &SiteView::of(config));
        context.insert("assets", &self.theme.asset_urls);
        Ok(context)
    }

    /// Hash of config, content, theme and the running binary: when it changes,
    /// every page is redrawn. Computed at build time, after any change to the config.
    pub(crate) fn fingerprint(&self) -> blake3::Hash {
        static BINARY: std::sync::OnceLock<blake3::Hash> = std::sync::OnceLock::new();
        // A new binary may render differently: its bytes are part of every page's inputs.
        let binary = BINARY.get_or_init(|| {
            std::env::current_exe()
                .and_then(std::fs::read)
                .map(|bytes| blake3::hash(&bytes))
                .unwrap_or_else(|_| blake3::hash(b"unknown binary"))
        });
        let mut hasher = blake3::Hasher::new();
        hasher.update(binary.as_bytes());
        hasher.update(&serde_json::to_vec(&self.config).unwrap_or_default());
        hasher.update(&serde_json::to_vec(&self.pages).unwrap_or_default());
        hasher.update(self.theme.fingerprint.as_bytes());
        hasher.finalize()
    }
}

impl Site {
    /// Loads `root/content/site.toml`, `root/content/*.md`, the theme at
    /// `theme_dir` and overrides from `root/templates/`.
    pub fn load(root: &Path, theme_dir: &Path) -> Result<Site, BuildError> {
        let config = SiteConfig::load(&root.join("content/site.toml"))?;
        Site::with_config(config, root, theme_dir)
    }

    pub fn with_config(
        config: SiteConfig,
        root: &Path,
        theme_dir: &Path,
    ) -> Result<Site, BuildError> {
        let pages = load_pages(&root.join("content"))?;
        let theme = Theme::load(theme_dir, &root.join("templates"))?;
        Ok(Site {
            config,
            pages,
            theme,
        })
    }
}

/// How far a build is, for a progress line.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
}

pub struct BuildOptions<'a> {
    pub out: PathBuf,
    /// The build's clock: decides which offers have expired.
    pub now: DateTime<Utc>,
    /// Redraw every page even when its inputs did not change.
    pub force: bool,
    /// Build the search index (`entraide build --no-search` skips it).
    pub search: bool,
    pub progress: Option<&'a Progress>,
}

#[derive(Debug, Default, Clone)]
pub struct BuildReport {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub offers: usize,
    pub phases: Vec<(&'static str, Duration)>,
}

impl std::fmt::Display for BuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} offers: {} files written, {} unchanged, {} removed (",
            self.offers, self.written, self.unchanged, self.removed
        )?;
        for (index, (phase, took)) in self.phases.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            write!(
                f,
                "{separator}{phase} {:.0} ms",
                took.as_secs_f64() * 1000.0
            )?;
        }
        write!(f, ")")
    }
}

#[derive(Clone)]
enum Outcome {
    Written(String, Entry),
    Unchanged(String, Entry),
}

fn timed<T>(
    phases: &mut Vec<(&'static str, Duration)>,
    name: &'static str,
    work: impl FnOnce() -> T,
) -> T {
    let start = Instant::now();
    let result = work();
    phases.push((name, start.elapsed()));
    result
}

/// Builds the site into `options.out` from `offers` (any statuses: only public
/// ones are shown), writing only files whose bytes changed.
pub fn build(
    site: &Site,
    offers: &[Offer],
    options: &BuildOptions,
) -> Result<BuildReport, BuildError> {
    Build::start(site, options).finish(offers)
}

/// A build whose offer pages can be drawn while the offers are still being read
/// (an offer's page needs only that offer): `start`, then `draw_offer_pages` for
/// each batch as it arrives, then `finish` with every offer.
pub struct Build<'a> {
    site: &'a Site,
    options: &'a BuildOptions<'a>,
    /// The last build's manifest, hashed by path: a sorted map compares long
    /// shared path prefixes at every step.
    previous: Files,
    fingerprint: blake3::Hash,
    phases: Vec<(&'static str, Duration)>,
    /// Offer pages already drawn, by path.
    early: std::sync::Mutex<rustc_hash::FxHashMap<String, Outcome>>,
    /// Each offer's hash and drawings, computed while drawing those pages (or kept
    /// from the last build of a running site), for `finish`.
    known: std::sync::Mutex<KnownOffers>,
    early_time: std::sync::Mutex<Duration>,
    /// The files to draw; `None`: all of them.
    scope: Option<Scope>,
    keep_records: bool,
    /// Called once the pages are written, before the exports and the search index.
    pages_written: Option<Box<dyn FnOnce() + Send + Sync + 'a>>,
}

/// Each offer's hash and drawings, by id. Ids are random enough that Fx hashing,
/// much cheaper than the default, spreads them (100,000 look-ups a build).
pub(crate) type KnownOffers = rustc_hash::FxHashMap<offers::Ulid, Known>;

/// What a build leaves for the next one of a running site (`crate::live`).
pub(crate) struct Memory {
    pub manifest: Files,
    pub known: KnownOffers,
    pub fingerprint: blake3::Hash,
}

impl<'a> Build<'a> {
    pub fn start(site: &'a Site, options: &'a BuildOptions<'a>) -> Build<'a> {
        let mut phases = Vec::new();
        let previous = timed(&mut phases, "manifest", || Manifest::load(&options.out));
        Build {
            site,
            options,
            previous: previous.files.into_iter().collect(),
            fingerprint: site.fingerprint(),
            phases,
            early: Default::default(),
            known: Default::default(),
            early_time: Default::default(),
            scope: None,
            keep_records: false,
            pages_written: None,
        }
    }

    /// Calls `then` once the pages are written (the exports, the search index and
    /// the manifest follow).
    pub fn on_pages_written(mut self, then: impl FnOnce() + Send + Sync + 'a) -> Self {
        self.pages_written = Some(Box::new(then));
        self
    }

    /// The build's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.options.now
    }

    /// Keeps each offer's open data records for later builds of a running site.
    pub(crate) fn keeping_records(mut self) -> Self {
        self.keep_records = true;
        self
    }

    /// A build that follows `memory`'s, drawing only the files `scope` names (all
    /// of them if `None`).
    pub(crate) fn resume(
        site: &'a Site,
        options: &'a BuildOptions<'a>,
        memory: Memory,
        scope: Option<Scope>,
    ) -> Build<'a> {
        Build {
            site,
            options,
            previous: memory.manifest,
            fingerprint: site.fingerprint(),
            phases: Vec::new(),
            early: Default::default(),
            known: std::sync::Mutex::new(memory.known),
            early_time: Default::default(),
            scope,
            keep_records: true,
            pages_written: None,
        }
    }

    fn env(&self) -> RenderEnv<'a> {
        let config = &self.site.config;
        RenderEnv {
            config,
            site: SiteView::of(config),
            now: self.options.now,
            tera: &self.site.theme.tera,
            asset_urls: &self.site.theme.asset_urls,
            keep_records: self.keep_records,
        }
    }

    /// Draws the pages of these offers now (on every core), for `finish` to reuse.
    pub fn draw_offer_pages(&self, offers: &[Offer]) -> Result<(), BuildError> {
        let start = Instant::now();
        let (now, keep) = (self.options.now, self.site.config.keep_closed_days);
        let prepared: Vec<Prepared> = offers
            .par_iter()
            .filter(|o| o.is_public(now, keep))
            .map(|offer| Prepared::new(offer, now))
            .collect();
        let jobs: Vec<Job> = prepared.iter().map(offer_page).collect();
        create_folders(&self.options.out, &jobs, &self.previous)?;
        let env = self.env();
        let outcomes = jobs
            .par_iter()
            .map(|job| self.draw(job, &env))
            .collect::<Result<Vec<_>, BuildError>>()?;
        self.known
            .lock()
            .map_err(|_| BuildError::Poisoned)?
            .extend(prepared.iter().map(|p| (p.offer.id, p.to_known())));
        let mut early = self.early.lock().map_err(|_| BuildError::Poisoned)?;
        for outcome in outcomes {
            let path = match &outcome {
                Outcome::Written(path, _) | Outcome::Unchanged(path, _) => path.clone(),
            };
            early.insert(path, outcome);
        }
        *self.early_time.lock().map_err(|_| BuildError::Poisoned)? += start.elapsed();
        Ok(())
    }

    /// Draws one file unless its inputs (or, once drawn, its bytes) did not change.
    fn draw(&self, job: &Job, env: &RenderEnv) -> Result<Outcome, BuildError> {
        let options = self.options;
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.fingerprint.as_bytes());
        hasher.update(job.path.as_bytes());
        job.hash_into(&mut hasher);
        for offer in &job.offers {
            hasher.update(offer.hash.as_bytes());
        }
        let input = hasher.finalize().to_hex().to_string();
        let target = options.out.join(&job.path);
        let before = self.previous.get(job.path.as_str());
        let on_disk =
            || std::fs::metadata(&target).is_ok_and(|m| Some(m.len()) == before.map(|e| e.size));
        if let Some(progress) = options.progress {
            progress.done.fetch_add(1, Ordering::Relaxed);
        }
        if !options.force && before.is_some_and(|e| e.input == input) && on_disk() {
            return Ok(Outcome::Unchanged(
                job.path.clone(),
                before.cloned().unwrap_or_else(|| unreachable_entry(&input)),
            ));
        }
        let expected_size = before.map_or(0, |entry| entry.size as usize);
        let bytes = render(job, env, expected_size)?;
        let entry = Entry {
            hash: blake3::hash(&bytes).to_hex().to_string(),
            size: bytes.len() as u64,
            input,
        };
        if before.is_some_and(|e| e.hash == entry.hash) && on_disk() {
            return Ok(Outcome::Unchanged(job.path.clone(), entry));
        }
        if before.is_some() {
            // Never let a visitor read a half-written page.
            write_atomically(&target, &bytes)?;
        } else {
            // A new file: nothing serves it until the manifest names it.
            std::fs::write(&target, &bytes).map_err(|e| BuildError::io(&target, e))?;
        }
        Ok(Outcome::Written(job.path.clone(), entry))
    }

    /// Plans every file from all the offers, draws what `draw_offer_pages` did not,
    /// removes stale files and saves the manifest.
    pub fn finish(self, offers: &[Offer]) -> Result<BuildReport, BuildError> {
        let (report, memory) = self.finish_with_memory(offers)?;
        // 160,000 manifest entries: a command that ends here need not free them.
        drop_in_background(memory);
        Ok(report)
    }

    /// `finish`, also returning what the next build of a running site needs.
    pub(crate) fn finish_with_memory(
        mut self,
        offers: &[Offer],
    ) -> Result<(BuildReport, Memory), BuildError> {
        let mut report = BuildReport {
            phases: std::mem::take(&mut self.phases),
            ..BuildReport::default()
        };
        let early_time = *self.early_time.lock().map_err(|_| BuildError::Poisoned)?;
        if !early_time.is_zero() {
            report
                .phases
                .push(("offer pages while loading", early_time));
        }
        let early = std::mem::take(&mut *self.early.lock().map_err(|_| BuildError::Poisoned)?);
        let site = self.site;
        let config = &site.config;
        let now = self.options.now;

        let known = std::mem::take(&mut *self.known.lock().map_err(|_| BuildError::Poisoned)?);
        let prepared: Vec<Prepared> = timed(&mut report.phases, "prepare", || {
            offers
                .par_iter()
                .filter(|o| o.is_public(now, config.keep_closed_days))
                .map(|offer| match known.get(&offer.id) {
                    Some(known) => Prepared::known(offer, now, known.clone()),
                    None => Prepared::new(offer, now),
                })
                .collect()
        });
        drop(known);
        report.offers = prepared.len();

        let jobs = timed(&mut report.phases, "plan", || {
            plan(
                config,
                self.scope.as_ref(),
                &site.pages,
                &prepared,
                &site.theme.assets,
            )
        });
        if let Some(progress) = self.options.progress {
            progress.total.store(jobs.len(), Ordering::Relaxed);
        }
        timed(&mut report.phases, "mkdir", || {
            create_folders(&self.options.out, &jobs, &self.previous)
        })?;

        let pages_written = self.pages_written.take();
        let env = self.env();
        // When someone waits for the pages, they come first and the exports, big
        // files nobody waits for, after. Otherwise all together: the exports
        // drawn alone at the end would hold both their buffers at once (+170 MB
        // at 100,000 offers) and leave a core idle.
        let (exports, mut pages): (Vec<&Job>, Vec<&Job>) = match pages_written {
            Some(_) => jobs.iter().partition(|job| job.is_export()),
            None => (Vec::new(), jobs.iter().collect()),
        };
        // Long jobs first: drawn last, one would keep a core busy while the other
        // has nothing left to do.
        pages.sort_by_key(|job| !job.is_long());
        let draw_all = |jobs: Vec<&Job>| {
            jobs.into_par_iter()
                .map(|job| match early.get(&job.path) {
                    Some(outcome) => Ok(outcome.clone()),
                    None => self.draw(job, &env),
                })
                .collect::<Result<Vec<_>, BuildError>>()
        };
        let out = &self.options.out;
        let mut outcomes = timed(&mut report.phases, "render+write", || {
            let outcomes = draw_all(pages)?;
            // Pages no longer planned go with them (the search index's old files
            // go once the new index is written).
            let planned: rustc_hash::FxHashSet<&str> =
                jobs.iter().map(|job| job.path.as_str()).collect();
            let gone: Vec<&str> = match &self.scope {
                Some(scope) => scope
                    .owned(&self.previous)
                    .into_iter()
                    .filter(|path| !planned.contains(path))
                    .collect(),
                None => self
                    .previous
                    .par_iter()
                    .map(|(path, _)| path.as_str())
                    .filter(|path| !path.starts_with(search::SEARCH_DIR) && !planned.contains(path))
                    .collect(),
            };
            report.removed += gone.iter().filter(|path| remove_stale(out, path)).count();
            Ok::<_, BuildError>(outcomes)
        })?;
        if let Some(pages_written) = pages_written {
            pages_written();
        }
        if !exports.is_empty() {
            outcomes.extend(timed(&mut report.phases, "exports", || draw_all(exports))?);
        }

        if self.options.search {
            let listed: Vec<&Prepared> = prepared.iter().filter(|p| p.listed).collect();
            let indexes = timed(&mut report.phases, "search", || self.search_index(&listed))?;
            outcomes.extend(indexes);
        }

        let scope = self.scope.take();
        let mut manifest = std::mem::take(&mut self.previous);
        let manifest = timed(&mut report.phases, "clean", || {
            // The entries this build replaces: all, or those of the files in its scope.
            let before: Files = match &scope {
                None => std::mem::take(&mut manifest),
                Some(scope) => manifest.extract_if(|path, _| scope.owns(path)).collect(),
            };
            let mut changed = false;
            manifest.reserve(outcomes.len());
            for outcome in outcomes {
                let (path, entry) = match outcome {
                    Outcome::Written(path, entry) => {
                        report.written += 1;
                        (path, entry)
                    }
                    Outcome::Unchanged(path, entry) => {
                        report.unchanged += 1;
                        (path, entry)
                    }
                };
                changed |= before.get(&path) != Some(&entry);
                manifest.insert(path, entry);
            }
            for stale in before.keys().filter(|path| !manifest.contains_key(*path)) {
                changed = true;
                report.removed += usize::from(remove_stale(out, stale));
            }
            if changed {
                Manifest::save(&manifest, out)?;
            }
            Ok::<_, BuildError>(manifest)
        })?;
        // What a running site remembers (a build that keeps records is one).
        let known = match self.keep_records {
            true => prepared
                .iter()
                .map(|p| (p.offer.id, p.to_known()))
                .collect(),
            false => KnownOffers::default(),
        };
        let memory = Memory {
            manifest,
            known,
            fingerprint: self.fingerprint,
        };
        Ok((report, memory))
    }
}

impl Build<'_> {
    /// Rebuilds the search indexes whose offers changed, then the list of buckets.
    fn search_index(&self, listed: &[&Prepared]) -> Result<Vec<Outcome>, BuildError> {
        let out = &self.options.out;
        let buckets = search::buckets(listed, self.site.config.search_bucket_size);
        let plans = search::plan_indexes(&self.fingerprint, &buckets);
        let mut previous_by_input: HashMap<&str, Vec<(&String, &Entry)>> = HashMap::new();
        let index_files = self
            .previous
            .iter()
            .filter(|(path, _)| path.starts_with(search::SEARCH_DIR));
        for (path, entry) in index_files {
            previous_by_input
                .entry(entry.input.as_str())
                .or_default()
                .push((path, entry));
        }
        let mut outcomes = Vec::new();
        let mut stale = Vec::new();
        // A bucket is kept when its inputs are unchanged and all its files are on
        // disk with their sizes (a build that failed half-way may have left others).
        let on_disk = |files: &Vec<(&String, &Entry)>| {
            files.iter().all(|(path, entry)| {
                std::fs::metadata(out.join(path)).is_ok_and(|m| m.len() == entry.size)
            })
        };
        for plan in &plans {
            match previous_by_input.get(plan.input.as_str()) {
                Some(files) if !self.options.force && on_disk(files) => {
                    outcomes.extend(files.iter().map(|(path, entry)| {
                        Outcome::Unchanged((*path).clone(), (*entry).clone())
                    }));
                }
                _ => stale.push(plan),
            }
        }
        let outcome = |(path, entry, changed): search::IndexFile| {
            if changed {
                Outcome::Written(path, entry)
            } else {
                Outcome::Unchanged(path, entry)
            }
        };
        let files = search::write_indexes(&stale, &self.site.config, out, &self.previous)?;
        outcomes.extend(files.into_iter().map(outcome));
        // Last: it names the bucket folders written above.
        let bytes = search::buckets_json(&plans, self.site.config.search_bucket_size);
        let entry = Entry {
            hash: blake3::hash(&bytes).to_hex().to_string(),
            size: bytes.len() as u64,
            input: String::new(),
        };
        let path = search::BUCKETS_FILE.to_owned();
        outcomes.push(outcome(search::write_if_changed(
            out,
            path,
            entry,
            &bytes,
            &self.previous,
        )?));
        Ok(outcomes)
    }
}

fn unreachable_entry(input: &str) -> Entry {
    Entry {
        hash: String::new(),
        size: 0,
        input: input.to_owned(),
    }
}

/// Creates, once each and on both cores, the folders of files the last build did
/// not write: one system call per folder instead of a check per file.
fn create_folders(out: &Path, jobs: &[Job], previous: &Files) -> Result<(), BuildError> {
    let folders: std::collections::BTreeSet<&str> = jobs
        .iter()
        .filter(|job| !previous.contains_key(job.path.as_str()))
        .filter_map(|job| job.path.rsplit_once('/').map(|(folder, _)| folder))
        .collect();
    std::fs::create_dir_all(out).map_err(|e| BuildError::io(out, e))?;
    // `create_dir_all` tolerates a parent created meanwhile by another thread.
    folders.into_par_iter().try_for_each(|folder| {
        let path = out.join(folder);
        std::fs::create_dir_all(&path).map_err(|e| BuildError::io(&path, e))
    })
}

/// Frees `value` on a thread of its own (or here, if none can be started): big
/// structures take a tenth of a second to free, which nobody needs to wait for.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    // Unlike `thread::spawn`, a failed `Builder::spawn` drops the closure here.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// Removes a file the build no longer makes, and the folders that leaves empty;
/// `false` if it was not there (already removed).
fn remove_stale(out: &Path, stale: &str) -> bool {
    let path = out.join(stale);
    let removed = std::fs::remove_file(&path).is_ok();
    if removed {
        remove_empty_parents(&path, out);
    }
    removed
}

/// Removes the folders a deletion left empty, up to the output folder.
fn remove_empty_parents(file: &Path, out: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == out || !current.starts_with(out) || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

/// The manifest's file name, for tools that publish the output folder.
pub const MANIFEST: &str = MANIFEST_FILE;
