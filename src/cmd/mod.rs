//! The subcommands, one file each.

mod build;
mod demo;
mod export;
mod import;
mod publish;
mod serve;
mod store;

use std::path::PathBuf;
use std::sync::Arc;

use ::store::{DEFAULT_STORE_URL, Store, open_store};
use anyhow::Context;
use clap::{Parser, Subcommand};

/// Entraide : la plateforme d'entraide qui met en relation les personnes qui
/// proposent leur aide et les structures qui en ont besoin, partout en France.
#[derive(Parser)]
#[command(name = "entraide", version, about, long_about = None)]
pub struct Cli {
    /// Où sont les annonces : sqlite://CHEMIN (base embarquée, par défaut) ou
    /// dynamodb://TABLE (région, point d'accès et identifiants : variables AWS_*).
    #[arg(long, global = true, env = "ENTRAIDE_STORE", default_value = DEFAULT_STORE_URL)]
    store: String,
    /// Dossier du site : content/ (site.toml et pages), themes/, templates/.
    #[arg(long, global = true, env = "ENTRAIDE_SITE", default_value = ".")]
    site: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Construit le site statique complet à partir des annonces.
    Build(build::Args),
    /// Remplit la base avec des annonces de démonstration réalistes.
    Demo(demo::Args),
    /// Exporte les annonces en JSON Lines sur la sortie standard (sauvegarde).
    Export(export::Args),
    /// Importe des annonces depuis un fichier JSON Lines (restauration).
    Import(import::Args),
    /// Publie un site construit sur S3 (seulement ce qui a changé) et invalide CloudFront.
    Publish(publish::Args),
    /// Construit le site puis le sert en local.
    Serve(serve::Args),
    /// Prépare la base (création de la table DynamoDB).
    Store(store::Args),
}

/// What every command shares: the store and the site folder.
#[derive(Clone)]
pub struct Env {
    pub store: Arc<dyn Store>,
    pub store_url: String,
    pub site: PathBuf,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Publishing reads a built folder, never the store: nothing to open.
    let command = match cli.command {
        Command::Publish(args) => return publish::run(args).await,
        command => command,
    };
    let store = open_store(&cli.store)
        .await
        .with_context(|| format!("impossible d'ouvrir la base {}", cli.store))?;
    let env = Env {
        store,
        store_url: cli.store,
        site: cli.site,
    };
    match command {
        Command::Build(args) => build::run(&env, args).await,
        Command::Demo(args) => demo::run(&env, args).await,
        Command::Export(args) => export::run(&env, args).await,
        Command::Import(args) => import::run(&env, args).await,
        Command::Publish(args) => publish::run(args).await,
        Command::Serve(args) => serve::run(&env, args).await,
        Command::Store(args) => store::run(&env, args).await,
    }
}
