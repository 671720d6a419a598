//! `entraide serve`: builds the site, then serves it and the functions on one
//! origin, rebuilding after every change the functions make.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};

use anyhow::Context;
use chrono::Utc;
use functions::client::TrustedProxies;
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
    /// Mandataire inverse (nginx, Caddy…) dont l'en-tête X-Forwarded-For est cru :
    /// adresse ou bloc CIDR, option répétable. Sans elle, le client est l'adresse de
    /// la connexion et X-Forwarded-For est ignoré.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "ENTRAIDE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = functions::client::parse_network
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Reçoit en SMTP, à cette adresse (127.0.0.1:2525 par exemple), les réponses
    /// envoyées aux adresses de conversation du relais (`reply_domain` de
    /// site.toml) ; à placer derrière le serveur de courrier du domaine (voir le
    /// README). Désactivé par défaut.
    #[arg(long, value_name = "ADRESSE", env = "ENTRAIDE_INBOUND_SMTP")]
    pub inbound_smtp: Option<SocketAddr>,
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

/// The shortest signing key accepted, in bytes.
const MIN_SECRET_BYTES: usize = 32;

/// The signing key: `ENTRAIDE_SECRET`, or a random one kept in `secret` beside the
/// store. A key that is too short, or a file that others may read, is refused.
fn load_secret(env: &Env) -> anyhow::Result<Secret> {
    if let Ok(secret) = std::env::var("ENTRAIDE_SECRET") {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_BYTES,
            "ENTRAIDE_SECRET doit compter au moins {MIN_SECRET_BYTES} caractères"
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
    match std::fs::read(&path) {
        Ok(existing) => return checked_secret_file(&path, existing),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("impossible de lire {}", path.display()));
        }
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("pas d'aléa disponible : {e}"))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if !folder.exists() {
        store::private_files::create_private_dir(folder)
            .with_context(|| format!("impossible de créer {}", folder.display()))?;
    }
    // Written whole under a temporary name (mode 0600), then renamed: a crash
    // never leaves a short key behind. Another process that won the race wins.
    let mut file = tempfile::NamedTempFile::new_in(folder)
        .with_context(|| format!("impossible d'écrire dans {}", folder.display()))?;
    std::io::Write::write_all(&mut file, key.as_bytes())?;
    file.as_file().sync_all()?;
    match file.persist_noclobber(&path) {
        Ok(_) => eprintln!("clé de signature créée dans {}", path.display()),
        Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => {
            return checked_secret_file(&path, std::fs::read(&path)?);
        }
        Err(error) => {
            return Err(error.error)
                .with_context(|| format!("impossible d'écrire {}", path.display()));
        }
    }
    Ok(Secret::new(key))
}

/// A key file is used only if it is long enough and no one else may read it.
fn checked_secret_file(path: &Path, bytes: Vec<u8>) -> anyhow::Result<Secret> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        anyhow::ensure!(
            mode & 0o077 == 0,
            "la clé de signature {} est lisible par d'autres utilisateurs (mode {:o}) : \
             faites « chmod 600 {} », puis relancez",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    anyhow::ensure!(
        bytes.len() >= MIN_SECRET_BYTES,
        "la clé de signature {} est trop courte ({} octets, il en faut au moins {MIN_SECRET_BYTES})",
        path.display(),
        bytes.len()
    );
    Ok(Secret::new(bytes))
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    // A key that cannot be trusted stops everything before any work.
    let secret = load_secret(env)?;
    if args.demo && env.store.list(None).await?.is_empty() {
        let written = super::demo::fill(env, 1000, 1, Utc::now()).await?;
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
        secret,
        mailer: Arc::new(mailer),
        rebuild,
        min_fill_seconds: config.min_fill_seconds,
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
        site,
        clock: chrono::Utc::now,
    };
    if let Some(address) = args.inbound_smtp {
        receive_replies(&state, address).await?;
    }
    tokio::spawn(sweep_every_hour(state.clone()));
    tokio::spawn(alerts_every_interval(state.clone()));
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

/// Starts the relay's SMTP server on `address` (a reply domain is needed).
async fn receive_replies(state: &AppState, address: SocketAddr) -> anyhow::Result<()> {
    let Some(domain) = state.site().config.reply_domain.clone() else {
        anyhow::bail!(
            "--inbound-smtp demande un domaine de réponse : ajoutez reply_domain = \"reponses.exemple.fr\" à content/site.toml"
        );
    };
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("impossible d'écouter en SMTP sur {address}"))?;
    eprintln!("réponses du relais reçues en SMTP sur {address} (domaine {domain})");
    tokio::spawn(functions::inbound_smtp::serve(listener, state.clone()));
    Ok(())
}

/// Reloads the site and rebuilds when the content of its config, pages or
/// templates changes; a broken edit is reported and the running site kept. Only
/// writes, creations, renames and removals count (the watcher also sees every
/// file being opened, by the reload itself among others), and the files'
/// fingerprint must differ from the last one loaded. The returned watcher must be
/// kept alive.
fn watch_site(
    env: &Env,
    base_url: &str,
    site: SiteHandle,
    rebuild: Arc<SiteRebuild>,
) -> anyhow::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher, event::ModifyKind};
    let (changed, mut changes) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let writes = event.is_ok_and(|event| match event.kind {
            EventKind::Create(_) | EventKind::Remove(_) => true,
            EventKind::Modify(kind) => !matches!(kind, ModifyKind::Metadata(_)),
            EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
        });
        if writes {
            let _ = changed.send(());
        }
    })
    .context("impossible de surveiller les fichiers du site")?;
    let folders: Vec<PathBuf> = ["content", "themes", "templates"]
        .iter()
        .map(|folder| env.site.join(folder))
        .filter(|path| path.is_dir())
        .collect();
    for folder in &folders {
        watcher.watch(folder, RecursiveMode::Recursive)?;
    }
    let (env, base_url) = (env.clone(), base_url.to_owned());
    let mut loaded = fingerprint(&folders);
    tokio::spawn(async move {
        while changes.recv().await.is_some() {
            // An editor's save is several events: take them together.
            tokio::time::sleep(WATCH_DEBOUNCE).await;
            while changes.try_recv().is_ok() {}
            let now = fingerprint(&folders);
            if now == loaded {
                continue;
            }
            loaded = now;
            match load_site(&env, Some(&base_url)) {
                Ok(reloaded) => {
                    site.replace(reloaded);
                    eprintln!("site modifié : reconstruction");
                    rebuild.changed().await;
                }
                Err(error) => {
                    eprintln!("erreur dans le site, la version en ligne est conservée : {error:#}")
                }
            }
        }
    });
    Ok(watcher)
}

/// How long a change of the site's files waits for the rest of the same save.
const WATCH_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(300);

/// A hash of every file's path and bytes under `folders`.
fn fingerprint(folders: &[PathBuf]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    for folder in folders {
        for entry in walkdir::WalkDir::new(folder)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file())
        {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            hasher.update(entry.path().as_os_str().as_encoded_bytes());
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
    hasher.finalize()
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

/// Matches new offers against the alerts and mails those due, every
/// `alert_interval_seconds` (read again at each pass: an edited site.toml
/// applies from the next one).
async fn alerts_every_interval(state: AppState) {
    loop {
        let seconds = state.site().config.alert_interval_seconds;
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
        if let Err(error) = functions::alerts_run::run_alerts(&state).await {
            tracing::error!("alerts failed: {error}");
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
