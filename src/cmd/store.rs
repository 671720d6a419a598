//! `entraide store init`: prepares the store a URL names.

use super::Env;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Crée la table DynamoDB (index du fil des changements, flux, durée de vie)
    /// si elle n'existe pas ; la base SQLite, elle, se crée toute seule.
    Init,
}

pub async fn run(env: &Env, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Init => {
            let Some(table) = env.store_url.strip_prefix("dynamodb://") else {
                println!("La base embarquée est prête : {}", env.store_url);
                return Ok(());
            };
            create_table(table).await
        }
    }
}

#[cfg(feature = "aws")]
async fn create_table(table: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let created = ::store::DynamoStore::from_env(table)
        .await
        .create_table()
        .await
        .with_context(|| format!("impossible de créer la table {table}"))?;
    if created {
        println!("Table DynamoDB {table} créée.");
    } else {
        println!("La table DynamoDB {table} existe déjà : rien à faire.");
    }
    Ok(())
}

/// Unreachable in practice: without AWS support a DynamoDB store does not open.
#[cfg(not(feature = "aws"))]
async fn create_table(table: &str) -> anyhow::Result<()> {
    anyhow::bail!(
        "la table {table} demande la prise en charge d'AWS : construisez entraide avec \
         `cargo build --release --features aws`"
    )
}
