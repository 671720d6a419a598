//! `entraide serve`: builds the site, then serves it locally.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use super::Env;
use super::build::{build_site, summary};

#[derive(clap::Args)]
pub struct Args {
    /// Adresse d'écoute.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Adresse publique du site (par défaut http://ADRESSE-D-ÉCOUTE).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Dossier où le site est construit.
    #[arg(long, default_value = "public")]
    pub out: PathBuf,
    /// Remplit d'abord une base vide avec 1 000 annonces de démonstration.
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    if args.demo && env.store.list(None).await?.is_empty() {
        let written = super::demo::fill(env, 1000, 1).await?;
        eprintln!("{written} annonces de démonstration ajoutées");
    }
    let base_url = args
        .base_url
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let report = build_site(env, &args.out, Some(&base_url), false).await?;
    eprintln!("{}", summary(&report));
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("impossible d'écouter sur {}", args.bind))?;
    eprintln!("site servi sur {base_url}/ (Ctrl-C pour arrêter)");
    axum::serve(listener, functions::site(args.out))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("arrêt");
    Ok(())
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
