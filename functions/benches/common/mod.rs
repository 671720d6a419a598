//! What the functions' benchmarks share: the repository's site over a SQLite
//! store in a temporary folder (synchronous writes, as `entraide serve` runs
//! it), the in-memory outbox, and one published offer.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use functions::client::TrustedProxies;
use functions::mailer::Mailer;
use functions::tokens::Secret;
use functions::{AppState, NoRebuild, SiteHandle};
use offers::{Offer, Status};
use store::{SqliteStore, Store};

pub struct Bench {
    /// Holds the store: erased when dropped.
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub outbox: Arc<Mutex<Vec<lettre::Message>>>,
    pub offer: Offer,
}

/// The bench's platform, its site.toml changed by `configure`.
pub async fn bench(configure: impl FnOnce(&mut generator::SiteConfig)) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut site = generator::Site::load(&root, &root.join("themes/default")).unwrap();
    configure(&mut site.config);
    let min_fill_seconds = site.config.min_fill_seconds;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap());
    let (mailer, outbox) = Mailer::in_memory(
        "Entraide <ne-pas-repondre@entraide.example>"
            .parse()
            .unwrap(),
    );
    let state = AppState {
        store: Arc::clone(&store),
        site: SiteHandle::new(site),
        secret: Secret::new("une clé de banc d'essai assez longue"),
        mailer: Arc::new(mailer),
        rebuild: Arc::new(NoRebuild),
        min_fill_seconds,
        trusted_proxies: TrustedProxies::default(),
        clock: Utc::now,
    };
    let mut offer = offers::demo::demo_offers(1, 2, Utc::now())
        .unwrap()
        .remove(0);
    offer.status = Status::Published;
    offer.expires = Utc::now() + chrono::Duration::days(30);
    store.import(std::slice::from_ref(&offer)).await.unwrap();
    Bench {
        dir,
        state,
        store,
        outbox,
        offer,
    }
}
