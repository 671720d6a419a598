//! What every endpoint shares.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use generator::Site;
use store::Store;

use crate::client::TrustedProxies;
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

/// The site's config, content and theme, replaced when their files change.
#[derive(Clone)]
pub struct SiteHandle(Arc<RwLock<Arc<Site>>>);

impl SiteHandle {
    pub fn new(site: Site) -> Self {
        SiteHandle(Arc::new(RwLock::new(Arc::new(site))))
    }

    /// The current site; a request keeps the one it started with.
    pub fn get(&self) -> Arc<Site> {
        match self.0.read() {
            Ok(site) => Arc::clone(&site),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn replace(&self, site: Site) {
        match self.0.write() {
            Ok(mut current) => *current = Arc::new(site),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(site),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub site: SiteHandle,
    pub secret: Secret,
    pub mailer: Arc<Mailer>,
    pub rebuild: Arc<dyn Rebuild>,
    /// A form sent sooner than this after its token was issued is refused.
    pub min_fill_seconds: i64,
    /// Proxies whose `X-Forwarded-For` hops are believed (`--trusted-proxy`).
    pub trusted_proxies: TrustedProxies,
    /// The clock, replaceable in tests.
    pub clock: fn() -> DateTime<Utc>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn site(&self) -> Arc<Site> {
        self.site.get()
    }

    pub fn base_url(&self) -> String {
        self.site().config.base_url.clone()
    }
}
