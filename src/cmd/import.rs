//! `entraide import`: restores offers and alerts from JSON Lines, all or nothing.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use generator::SiteConfig;

use super::Env;

#[derive(clap::Args)]
pub struct Args {
    /// Fichier JSON Lines produit par `entraide export` (`-` pour l'entrée standard).
    pub file: PathBuf,
}

/// Reads and checks every line; any bad line stops the import before anything is written.
pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    let config = SiteConfig::load(&env.site.join("content/site.toml"))?;
    let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(&args.file)
            .with_context(|| format!("impossible d'ouvrir {}", args.file.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let backup = match offers::jsonl::read_lines(reader, &config.domain_slugs()) {
        Ok(backup) => backup,
        Err(problems) => bail!(
            "import annulé, rien n'a été écrit ; {} problème(s) :\n{}",
            problems.len(),
            problems
                .iter()
                .take(20)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    env.store.import(&backup.offers).await?;
    env.store.import_alerts(&backup.alerts).await?;
    eprintln!(
        "{} annonces et {} alertes importées dans {}",
        backup.offers.len(),
        backup.alerts.len(),
        env.store_url
    );
    Ok(())
}
