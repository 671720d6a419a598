//! Where offers live: the `Store` trait (offers, their change feed, rate counters,
//! sets of marks, alerts, conversations), its backends — SQLite in one file (feature `sqlite`, the
//! default) and DynamoDB (feature `dynamodb`) — and how a store URL picks one;
//! the sweep that keeps a store tidy.

pub mod alerts;
pub mod conversations;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod private_files;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod sweep;

pub use alerts::AlertStore;
pub use conversations::ConversationStore;
#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

#[cfg(feature = "sqlite")]
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Sender;
use ulid::Ulid;

use offers::{Offer, Status};

/// The default embedded store, relative to the working directory.
pub const DEFAULT_STORE_URL: &str = "sqlite://data/entraide.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    AlreadyExists(Ulid),
    #[error("{0} not found")]
    NotFound(Ulid),
    /// The offer changed since it was read: the write was refused, nothing was lost.
    #[error("{id} was changed meanwhile (expected version {expected}, stored {stored})")]
    VersionConflict {
        id: Ulid,
        expected: u64,
        stored: u64,
    },
    #[error("unsupported store URL {0:?}: use sqlite://PATH or dynamodb://TABLE")]
    BadUrl(String),
    /// The URL names a backend this build was made without.
    #[error(
        "this build has no {0} store: build it with the cargo feature `aws` (DynamoDB) or `sqlite`"
    )]
    NotBuiltIn(&'static str),
    #[error("store failure: {0}")]
    Backend(String),
}

impl StoreError {
    /// Why a versioned write of `id`, read at `expected`, was refused, given
    /// the version stored now (`None`: erased meanwhile).
    pub fn refused_write(id: Ulid, expected: u64, stored: Option<u64>) -> StoreError {
        match stored {
            None => StoreError::NotFound(id),
            Some(stored) => StoreError::VersionConflict {
                id,
                expected,
                stored,
            },
        }
    }
}

/// What [`Store::mark`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marked {
    /// Members of the set with a live mark, this one included.
    pub members: u64,
    /// Whether this member had no live mark before.
    pub new: bool,
}

/// Offers whose stored state changed after a cursor, and the cursor to ask from next.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// Each changed offer once, in the order of its latest change.
    pub ids: Vec<Ulid>,
    pub cursor: u64,
}

#[async_trait]
pub trait Store: AlertStore + ConversationStore + Send + Sync {
    /// Stores a new offer; refused if its id exists.
    async fn create(&self, offer: &Offer) -> Result<(), StoreError>;
    async fn get(&self, id: Ulid) -> Result<Option<Offer>, StoreError>;
    /// Writes `offer` if the stored version is still `offer.version`, and returns it
    /// as stored, with its version bumped.
    async fn update(&self, offer: &Offer) -> Result<Offer, StoreError>;
    /// Every offer with this status (or every offer), in id order.
    async fn list(&self, status: Option<Status>) -> Result<Vec<Offer>, StoreError>;
    /// Erases an offer for good; `false` if there was none.
    async fn delete(&self, id: Ulid) -> Result<bool, StoreError>;
    /// Writes offers exactly as given (restore, demo data), all or none.
    async fn import(&self, offers: &[Offer]) -> Result<(), StoreError>;
    /// What changed after `cursor` (0: since the beginning).
    async fn changes_since(&self, cursor: u64) -> Result<Changes, StoreError>;
    /// Adds one to the counter `key` (rate limits, reports) and returns its new
    /// value; a counter whose `expires` is past at `now` starts again from one.
    async fn bump(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Forgets the counter and the set named `key`.
    async fn reset(&self, key: &str) -> Result<(), StoreError>;
    /// Marks `member` in the set `key` until `expires` (a live mark keeps its
    /// first expiry); marks past their expiry at `now` no longer count. Distinct
    /// reporters of an offer, for instance, each counted once.
    async fn mark(
        &self,
        key: &str,
        member: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<Marked, StoreError>;

    /// Erases counters and marks past their expiry (the hourly sweep), so that
    /// no digest outlives what the privacy page states. DynamoDB does it through
    /// the items' TTL.
    async fn forget_expired(&self, _now: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }

    /// Whether `member` has a live mark in the set `key` at `now` (marks nothing).
    async fn is_marked(
        &self,
        key: &str,
        member: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    async fn list_published(&self) -> Result<Vec<Offer>, StoreError> {
        self.list(Some(Status::Published)).await
    }

    /// Every offer, sent in batches as they are read (in no particular order), so
    /// that work can start before the last one arrives. Stops early, without
    /// error, if the receiver is gone.
    async fn list_pages(&self, pages: Sender<Vec<Offer>>) -> Result<(), StoreError> {
        let offers = self.list(None).await?;
        let _ = pages.send(offers).await;
        Ok(())
    }
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or
/// `dynamodb://TABLE` (region, endpoint and credentials from the AWS environment),
/// as far as this build has the backend.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .filter(|path| !path.is_empty())
    {
        return open_sqlite(path);
    }
    match url.strip_prefix("dynamodb://") {
        Some(table) if valid_table_name(table) => open_dynamodb(table).await,
        _ => Err(StoreError::BadUrl(url.to_owned())),
    }
}

/// Whether a table name is one DynamoDB accepts.
pub fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(SqliteStore::open(Path::new(path))?))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_path: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError::NotBuiltIn("sqlite"))
}

#[cfg(feature = "dynamodb")]
async fn open_dynamodb(table: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(DynamoStore::from_env(table).await))
}

#[cfg(not(feature = "dynamodb"))]
async fn open_dynamodb(_table: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError::NotBuiltIn("dynamodb"))
}
