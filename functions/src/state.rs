//! What every endpoint shares.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use generator::Site;
use offers::Store;

use crate::mailer::Mailer;
use crate::tokens::Secret;

/// Told about every stored change, so that the site can be rebuilt; `changed`
/// returns once the pages that show the change are up to date.
#[async_trait]
pub trait Rebuild: Send + Sync {
    async fn changed(&self);
}

/// For deployments where something else watches the store (DynamoDB streams).
pub struct NoRebuild;

#[async_trait]
impl Rebuild for NoRebuild {
    async fn changed(&self) {}
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub site: Arc<Site>,
    pub secret: Secret,
    pub mailer: Arc<Mailer>,
    pub rebuild: Arc<dyn Rebuild>,
    /// A form sent sooner than this after its token was issued is refused.
    pub min_fill_seconds: i64,
    /// The clock, replaceable in tests.
    pub clock: fn() -> DateTime<Utc>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn base_url(&self) -> &str {
        &self.site.config.base_url
    }
}
