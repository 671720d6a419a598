//! `entraide demo`: deterministic demo offers.

use std::time::Instant;

use chrono::{NaiveTime, Utc};

use super::Env;

#[derive(clap::Args)]
pub struct Args {
    /// Nombre d'annonces à créer.
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Graine : la même graine donne les mêmes annonces (datées autour d'aujourd'hui).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let written = fill(env, args.count, args.seed).await?;
    eprintln!(
        "{written} annonces de démonstration enregistrées dans {} en {:.1} s",
        env.store_url,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes `count` demo offers dated around today; returns how many.
pub async fn fill(env: &Env, count: usize, seed: u64) -> anyhow::Result<usize> {
    let today = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
    let offers = offers::demo::demo_offers(count, seed, today)?;
    env.store.import(&offers).await?;
    Ok(offers.len())
}
