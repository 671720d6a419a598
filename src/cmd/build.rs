//! `entraide build`: the static site, from the store.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use generator::{Build, BuildOptions, BuildReport, LiveSite, Progress, Site};
use offers::Offer;

use super::Env;

#[derive(clap::Args)]
pub struct Args {
    /// Dossier de sortie.
    #[arg(long, default_value = "public")]
    pub out: PathBuf,
    /// Adresse publique du site (remplace base_url de site.toml).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Redessine toutes les pages, même celles dont rien n'a changé.
    #[arg(long)]
    pub force: bool,
    /// Ne construit pas l'index de recherche (aperçus rapides, mesures des pages seules).
    #[arg(long)]
    pub no_search: bool,
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    let site = Arc::new(load_site(env, args.base_url.as_deref())?);
    let report = build_site(env, site, &args.out, args.force, !args.no_search).await?;
    eprintln!("{}", summary(&report));
    Ok(())
}

/// French one-line summary of a build.
pub fn summary(report: &BuildReport) -> String {
    let phases: Vec<String> = report
        .phases
        .iter()
        .map(|(name, took)| format!("{name} {} ms", took.as_millis()))
        .collect();
    format!(
        "site construit : {} annonces publiques, {} fichiers écrits, {} inchangés, {} supprimés ({})",
        report.offers,
        report.written,
        report.unchanged,
        report.removed,
        phases.join(", ")
    )
}

/// The site folder's config, content and theme, with the public address overridden.
pub fn load_site(env: &Env, base_url: Option<&str>) -> anyhow::Result<Site> {
    let mut site = Site::load(&env.site, &env.site.join("themes/default")).with_context(|| {
        format!(
            "impossible de charger le site depuis {}",
            env.site.display()
        )
    })?;
    if let Some(base_url) = base_url {
        site.config.base_url = base_url.trim_end_matches('/').to_owned();
    }
    Ok(site)
}

/// Reads the offers and builds into `out`, drawing offer pages while the rest is
/// still being read, with a progress line on long builds.
pub async fn build_site(
    env: &Env,
    site: Arc<Site>,
    out: &Path,
    force: bool,
    search: bool,
) -> anyhow::Result<BuildReport> {
    let finish = |build: Build, offers: Vec<Offer>| {
        let report = build.finish(&offers);
        // 100,000 offers are two million strings to free: not on the way to the
        // summary (the command ends with it).
        generator::drop_in_background(offers);
        report
    };
    let (mut report, loaded) = stream_build(env, site, out, force, search, finish).await?;
    report.phases.insert(0, ("load", loaded));
    Ok(report)
}

/// `build_site`, keeping what the next builds of a running site need.
pub async fn build_live(
    env: &Env,
    site: Arc<Site>,
    out: &Path,
) -> anyhow::Result<(LiveSite, BuildReport)> {
    let ((live, mut report), loaded) =
        stream_build(env, site, out, false, true, LiveSite::finish).await?;
    report.phases.insert(0, ("load", loaded));
    Ok((live, report))
}

/// Streams the offers into a build that `finish` ends; also says how long reading
/// the offers took.
async fn stream_build<T: Send + 'static>(
    env: &Env,
    site: Arc<Site>,
    out: &Path,
    force: bool,
    search: bool,
    finish: impl FnOnce(Build, Vec<Offer>) -> Result<T, generator::BuildError> + Send + 'static,
) -> anyhow::Result<(T, Duration)> {
    let start = Instant::now();
    let (sender, mut pages) = tokio::sync::mpsc::channel(8);
    let (read_sender, read) = tokio::sync::oneshot::channel();
    let store = Arc::clone(&env.store);
    tokio::spawn(async move {
        let result = store.list_pages(sender).await;
        let _ = read_sender.send((result, start.elapsed()));
    });
    let progress = Arc::new(Progress::default());
    let ticker = tokio::spawn(report_progress(Arc::clone(&progress)));
    let out = out.to_owned();
    let worker_progress = Arc::clone(&progress);
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<(T, Duration)> {
        let options = BuildOptions {
            out,
            now: Utc::now(),
            force,
            search,
            progress: Some(&worker_progress),
        };
        let build = Build::start(&site, &options);
        let mut offers = Vec::new();
        while let Some(page) = pages.blocking_recv() {
            build.draw_offer_pages(&page)?;
            offers.extend(page);
        }
        // A read that stopped half-way must not become a site without the rest.
        let (read, loaded) = read
            .blocking_recv()
            .context("la lecture des annonces s'est arrêtée")?;
        read.context("lecture des annonces impossible")?;
        offers.sort_unstable_by_key(|offer| offer.id); // pages arrive in any order
        Ok((finish(build, offers)?, loaded))
    })
    .await;
    ticker.abort();
    result.context("la construction a échoué")?
}

/// Prints how far the build is every two seconds, once it has taken that long.
async fn report_progress(progress: Arc<Progress>) {
    use std::sync::atomic::Ordering;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let total = progress.total.load(Ordering::Relaxed);
        if total > 0 {
            eprintln!(
                "… {} / {} fichiers",
                progress.done.load(Ordering::Relaxed),
                total
            );
        }
    }
}
