//! `entraide serve`: builds the site, then serves it and the functions on one
//! origin, rebuilding after every change the functions make.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};

use anyhow::Context;
use chrono::Utc;
use functions::mailer::{DEFAULT_MAIL_URL, Mailbox, Mailer};
use functions::tokens::Secret;
use functions::{AppState, Rebuild, SiteHandle};
use generator::{BuildOptions, BuildReport, LiveSite};

use super::Env;
use super::build::{build_live, load_site, summary};

#[derive(clap::Args)]
pub struct Args {
    /// Adresse d'écoute.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Adresse publique du site, celle que les formulaires doivent avoir pour origine
    /// (par défaut http://ADRESSE-D-ÉCOUTE).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Dossier où le site est construit.
    #[arg(long, default_value = "public")]
    pub out: PathBuf,
    /// Envoi des courriels : file://DOSSIER (un fichier .eml par courriel, par défaut)
    /// ou smtp://[utilisateur:mot-de-passe@]hôte:port[?tls=none|starttls|tls].
    #[arg(long, env = "ENTRAIDE_MAIL", default_value = DEFAULT_MAIL_URL)]
    pub mail: String,
    /// Remplit d'abord une base vide avec 1 000 annonces de démonstration.
    #[arg(long)]
    pub demo: bool,
}

/// Rebuilds the site after changes: requests that arrive together are served by
/// one build (debounced), and each caller returns once the pages of a build that
/// includes its change are written. The site stays in memory between builds
/// (`LiveSite`): a build reads only the offers the store's change feed names and
/// redraws only the pages that show them.
struct SiteRebuild {
    env: Env,
    site: SiteHandle,
    out: PathBuf,
    live: std::sync::Mutex<LiveSite>,
    requested: AtomicU64,
    completed: tokio::sync::watch::Sender<u64>,
    wake: tokio::sync::Notify,
}

/// How long a rebuild waits for more changes to join it.
const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(50);

impl SiteRebuild {
    /// `cursor`: the change feed's position before `live` was built.
    fn start(
        env: Env,
        site: SiteHandle,
        out: PathBuf,
        live: LiveSite,
        cursor: u64,
    ) -> Arc<SiteRebuild> {
        let rebuild = Arc::new(SiteRebuild {
            env,
            site,
            out,
            live: std::sync::Mutex::new(live),
            requested: AtomicU64::new(0),
            completed: tokio::sync::watch::Sender::new(0),
            wake: tokio::sync::Notify::new(),
        });
        tokio::spawn(Arc::clone(&rebuild).run(cursor));
        rebuild
    }

    async fn run(self: Arc<Self>, mut cursor: u64) {
        loop {
            self.wake.notified().await;
            tokio::time::sleep(DEBOUNCE).await;
            let target = self.requested.load(Ordering::SeqCst);
            match self.update(&mut cursor, target).await {
                Ok((report, pages)) => tracing::info!(
                    "{} ; pages en ligne en {} ms",
                    summary(&report),
                    pages.as_millis()
                ),
                Err(error) => tracing::error!("reconstruction impossible : {error:#}"),
            }
            self.completed.send_replace(target);
        }
    }

    /// Reads what changed after `cursor` and redraws what shows it; callers waiting
    /// for `target` are released as soon as the pages are written, and the time
    /// that took is returned with the report.
    async fn update(
        self: &Arc<Self>,
        cursor: &mut u64,
        target: u64,
    ) -> anyhow::Result<(BuildReport, std::time::Duration)> {
        let started = std::time::Instant::now();
        let store = &self.env.store;
        let changes = store.changes_since(*cursor).await?;
        let mut stored = Vec::with_capacity(changes.ids.len());
        for id in &changes.ids {
            stored.push((*id, store.get(*id).await?));
        }
        let (rebuild, site) = (Arc::clone(self), self.site.get());
        let report = tokio::task::spawn_blocking(move || {
            let options = BuildOptions {
                out: rebuild.out.clone(),
                now: Utc::now(),
                force: false,
                search: true,
                progress: None,
            };
            // A build that panicked left its memory empty: the next redraws everything.
            let mut live = rebuild.live.lock().unwrap_or_else(PoisonError::into_inner);
            let mut pages = std::time::Duration::ZERO;
            let report = live.update(&site, stored, &options, || {
                pages = started.elapsed();
                rebuild.completed.send_replace(target);
            })?;
            Ok::<_, generator::BuildError>((report, pages))
        })
        .await??;
        *cursor = changes.cursor;
        Ok(report)
    }
}

#[async_trait::async_trait]
impl Rebuild for SiteRebuild {
    async fn changed(&self) {
        let wanted = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut completed = self.completed.subscribe();
        self.wake.notify_one();
        let _ = completed.wait_for(|done| *done >= wanted).await;
    }
}

/// The signing key: `ENTRAIDE_SECRET`, or a random one kept in `secret` beside the store.
fn load_secret(env: &Env) -> anyhow::Result<Secret> {
    if let Ok(secret) = std::env::var("ENTRAIDE_SECRET") {
        anyhow::ensure!(
            secret.len() >= 32,
            "ENTRAIDE_SECRET doit compter au moins 32 caractères"
        );
        return Ok(Secret::new(secret));
    }
    let folder = env
        .store_url
        .strip_prefix("sqlite://")
        .and_then(|path| Path::new(path).parent())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let path = folder.join("secret");
    if let Ok(existing) = std::fs::read(&path) {
        return Ok(Secret::new(existing));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("pas d'aléa disponible : {e}"))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, key.as_bytes())
        .with_context(|| format!("impossible d'écrire {}", path.display()))?;
    eprintln!("clé de signature créée dans {}", path.display());
    Ok(Secret::new(key))
}

/// Writes a file only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    if args.demo && env.store.list(None).await?.is_empty() {
        let written = super::demo::fill(env, 1000, 1).await?;
        eprintln!("{written} annonces de démonstration ajoutées");
    }
    let base_url = args
        .base_url
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let site = SiteHandle::new(load_site(env, Some(&base_url))?);
    // Changes made while the offers are read are read again after: harmless.
    let cursor = env.store.changes_since(0).await?.cursor;
    let (live, report) = build_live(env, site.get(), &args.out).await?;
    eprintln!("{}", summary(&report));
    let config = site.get().config.clone();
    let from: Mailbox = config
        .mail_from
        .parse()
        .with_context(|| format!("mail_from invalide : {}", config.mail_from))?;
    let mailer =
        Mailer::from_url(&args.mail, from).with_context(|| format!("--mail {}", args.mail))?;
    let rebuild = SiteRebuild::start(env.clone(), site.clone(), args.out.clone(), live, cursor);
    let _watcher = watch_site(env, &base_url, site.clone(), Arc::clone(&rebuild))?;
    let state = AppState {
        store: Arc::clone(&env.store),
        secret: load_secret(env)?,
        mailer: Arc::new(mailer),
        rebuild,
        min_fill_seconds: config.min_fill_seconds,
        site,
        clock: chrono::Utc::now,
    };
    tokio::spawn(sweep_every_hour(state.clone()));
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("impossible d'écouter sur {}", args.bind))?;
    eprintln!("site servi sur {base_url}/ (Ctrl-C pour arrêter)");
    // The peer's address feeds the per-connection rate limits.
    let service =
        functions::app(state, args.out).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("arrêt");
    Ok(())
}

/// Reloads the site and rebuilds when its config, content pages or templates
/// change; a broken edit is reported and the running site kept. The returned
/// watcher must be kept alive.
fn watch_site(
    env: &Env,
    base_url: &str,
    site: SiteHandle,
    rebuild: Arc<SiteRebuild>,
) -> anyhow::Result<
    notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>,
> {
    use notify_debouncer_mini::notify::RecursiveMode;
    let runtime = tokio::runtime::Handle::current();
    let (env_for_reload, base_url) = (env.clone(), base_url.to_owned());
    let mut debouncer = notify_debouncer_mini::new_debouncer(
        std::time::Duration::from_millis(300),
        move |events: notify_debouncer_mini::DebounceEventResult| {
            if events.map(|events| events.is_empty()).unwrap_or(true) {
                return;
            }
            match load_site(&env_for_reload, Some(&base_url)) {
                Ok(reloaded) => {
                    site.replace(reloaded);
                    let rebuild = Arc::clone(&rebuild);
                    runtime.spawn(async move { rebuild.changed().await });
                    eprintln!("site modifié : reconstruction");
                }
                Err(error) => {
                    eprintln!("erreur dans le site, la version en ligne est conservée : {error:#}")
                }
            }
        },
    )
    .context("impossible de surveiller les fichiers du site")?;
    for folder in ["content", "themes", "templates"] {
        let path = env.site.join(folder);
        if path.is_dir() {
            debouncer.watcher().watch(&path, RecursiveMode::Recursive)?;
        }
    }
    Ok(debouncer)
}

/// Erases unconfirmed and long-closed offers, expires old ones: now, then hourly.
async fn sweep_every_hour(state: AppState) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        ticks.tick().await;
        if let Err(error) = functions::sweep::sweep(&state).await {
            tracing::error!("sweep failed: {error}");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
