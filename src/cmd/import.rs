//! `entraide import`: restores offers from JSON Lines, all or nothing.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use generator::SiteConfig;
use offers::Offer;
use offers::validate::{OfferInput, Rules, validate};

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
    let domains = config.domain_slugs();
    let mut offers = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.context("lecture impossible")?;
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let offer: Offer = match serde_json::from_str(&line) {
            Ok(offer) => offer,
            Err(error) => {
                problems.push(format!("ligne {number} : JSON invalide : {error}"));
                continue;
            }
        };
        // Stored offers were valid on the day they were written.
        let rules = Rules {
            domains: &domains,
            today: offer.created.date_naive(),
        };
        if let Err(errors) = validate(&OfferInput::from(&offer), &rules) {
            for error in errors {
                problems.push(format!(
                    "ligne {number} ({}) : {} : {}",
                    offer.id, error.field, error.message
                ));
            }
            continue;
        }
        offers.push(offer);
    }
    if !problems.is_empty() {
        let shown: Vec<&String> = problems.iter().take(20).collect();
        bail!(
            "import annulé, rien n'a été écrit ; {} problème(s) :\n{}",
            problems.len(),
            shown
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    env.store.import(&offers).await?;
    eprintln!("{} annonces importées dans {}", offers.len(), env.store_url);
    Ok(())
}
