//! The `rebuild` Lambda: triggered by the table's stream and by the hourly
//! schedule, it rebuilds the site from the store and publishes what changed.
//! Configured from the environment:
//!
//! - `ENTRAIDE_SITE`: folder holding `content/` and `themes/` (the site layer)
//! - `ENTRAIDE_STORE`: the store URL (`dynamodb://TABLE`)
//! - `ENTRAIDE_BASE_URL`: the public address of the site
//! - `ENTRAIDE_BUCKET`, `ENTRAIDE_PREFIX` (optional): where the site goes
//! - `ENTRAIDE_DISTRIBUTION` (optional): the CloudFront distribution to invalidate
//! - `ENTRAIDE_OUT` (optional, default `/tmp/public`): the build folder

use std::path::PathBuf;
use std::sync::Arc;

use generator::lambda_env::{site_from_env, variable};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use publish::Target;
use publish::rebuild::Rebuilder;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let site = site_from_env()?;
    let distribution = std::env::var("ENTRAIDE_DISTRIBUTION").ok();
    let prefix = std::env::var("ENTRAIDE_PREFIX").unwrap_or_default();
    let bucket = variable("ENTRAIDE_BUCKET")?;
    let rebuilder = Arc::new(Rebuilder::new(
        store::open_store(&variable("ENTRAIDE_STORE")?).await?,
        Arc::new(site),
        std::env::var("ENTRAIDE_OUT").map_or_else(|_| "/tmp/public".into(), PathBuf::from),
        Target::from_env(&bucket, &prefix, distribution.as_deref()).await,
    ));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let rebuilder = Arc::clone(&rebuilder);
        async move { rebuilder.handle(event.payload).await.map_err(Error::from) }
    }))
    .await
}
