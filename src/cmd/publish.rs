//! `entraide publish`: sends a built site to S3 and invalidates CloudFront.

use std::path::PathBuf;
#[cfg(feature = "aws")]
use std::time::Instant;

#[cfg(feature = "aws")]
use anyhow::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Le compartiment S3 qui reçoit le site.
    #[arg(long, env = "ENTRAIDE_BUCKET")]
    pub bucket: String,
    /// Le dossier du site construit (par `entraide build`).
    #[arg(long, default_value = "public")]
    pub out: PathBuf,
    /// Un dossier du compartiment où publier (par défaut : la racine).
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// La distribution CloudFront dont invalider les chemins changés.
    #[arg(long, env = "ENTRAIDE_DISTRIBUTION")]
    pub distribution: Option<String>,
    /// Autorise à supprimer plus d'un dixième des fichiers publiés.
    #[arg(long)]
    pub allow_mass_deletion: bool,
}

#[cfg(feature = "aws")]
pub async fn run(args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let target =
        publish::Target::from_env(&args.bucket, &args.prefix, args.distribution.as_deref()).await;
    let report = publish::publish(&args.out, &target, args.allow_mass_deletion)
        .await
        .with_context(|| {
            format!(
                "publication vers s3://{} interrompue : le site publié reste celui d'avant",
                args.bucket
            )
        })?;
    eprintln!(
        "site publié sur s3://{} en {:.1} s : {report}",
        args.bucket,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A build without AWS support (the default, for a single server) cannot publish.
#[cfg(not(feature = "aws"))]
pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "publier vers s3://{} demande la prise en charge d'AWS : construisez entraide avec \
         `cargo build --release --features aws`",
        args.bucket
    )
}
