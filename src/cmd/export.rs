//! `entraide export`: one offer per line, as JSON, then (a full backup) one
//! alert per line.

use std::io::Write;

use anyhow::Context;
use chrono::Utc;
use generator::SiteConfig;

use super::Env;

#[derive(clap::Args)]
pub struct Args {
    /// Seulement les annonces publiques, sans aucun champ privé (adresse électronique, version…) et sans les alertes.
    #[arg(long)]
    pub public: bool,
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    let offers = env.store.list(None).await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.public {
        let config = SiteConfig::load(&env.site.join("content/site.toml"))?;
        let now = Utc::now();
        for offer in offers
            .iter()
            .filter(|o| o.is_public(now, config.keep_closed_days))
        {
            serde_json::to_writer(&mut out, &offer.public())?;
            out.write_all(b"\n")?;
        }
    } else {
        for offer in &offers {
            offers::jsonl::write_line(&mut out, offer)?;
        }
        for alert in &env.store.list_alerts().await? {
            offers::jsonl::write_alert_line(&mut out, alert)?;
        }
    }
    out.flush()
        .context("écriture sur la sortie standard impossible")?;
    Ok(())
}
