//! `entraide demo`: deterministic demo offers.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::Env;

#[derive(clap::Args)]
pub struct Args {
    /// Nombre d'annonces à créer.
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Graine : la même graine et le même --now donnent les mêmes annonces.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// L'instant de référence (RFC 3339, par exemple 2026-12-04T10:00:00Z) : aucune
    /// annonce n'est datée après lui. Par défaut, maintenant.
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let now = args.now.unwrap_or_else(Utc::now);
    let written = fill(env, args.count, args.seed, now).await?;
    eprintln!(
        "{written} annonces de démonstration enregistrées dans {} en {:.1} s",
        env.store_url,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes `count` demo offers dated up to `now`; returns how many.
pub async fn fill(env: &Env, count: usize, seed: u64, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let offers = offers::demo::demo_offers(count, seed, now)?;
    env.store.import(&offers).await?;
    Ok(offers.len())
}
