//! The embedded store: one SQLite file in WAL mode, synchronous writes, so that an
//! acknowledged write survives a crash of the process.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use ulid::Ulid;

mod alerts;
mod conversations;

use crate::private_files;
use crate::{Changes, Marked, Store, StoreError};
use offers::{Offer, Status};

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE offers (
        id TEXT PRIMARY KEY NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
    ) STRICT;
    CREATE INDEX offers_status ON offers (status, id);
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        offer_id TEXT NOT NULL
    ) STRICT;",
    ),
    // Rate limits and report counts; `expires` is a Unix time.
    M::up(
        "CREATE TABLE counters (
        key TEXT PRIMARY KEY NOT NULL,
        count INTEGER NOT NULL,
        expires INTEGER NOT NULL
    ) STRICT;",
    ),
    // Sets of members with an expiry each (who reported an offer).
    M::up(
        "CREATE TABLE marks (
        key TEXT NOT NULL,
        member TEXT NOT NULL,
        expires INTEGER NOT NULL,
        PRIMARY KEY (key, member)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX marks_expiry ON marks (expires);",
    ),
    // Alerts, filed by index key, address and due time (`offers::alerts`);
    // named positions in the change feed.
    M::up(
        "CREATE TABLE alerts (
        id TEXT PRIMARY KEY NOT NULL,
        key TEXT,
        owner TEXT NOT NULL,
        due INTEGER,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
    ) STRICT;
    CREATE INDEX alerts_key ON alerts (key, id) WHERE key IS NOT NULL;
    CREATE INDEX alerts_owner ON alerts (owner, id);
    CREATE INDEX alerts_due ON alerts (due, id) WHERE due IS NOT NULL;
    CREATE TABLE cursors (
        name TEXT PRIMARY KEY NOT NULL,
        value INTEGER NOT NULL
    ) STRICT;",
    ),
    M::up(
        "CREATE TABLE conversations (
        id TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
    ) STRICT;",
    ),
];

pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Backend(format!("corrupt offer record: {error}"))
    }
}

fn encode(offer: &Offer) -> Result<String, StoreError> {
    Ok(serde_json::to_string(offer)?)
}

fn decode(data: &str) -> Result<Offer, StoreError> {
    Ok(serde_json::from_str(data)?)
}

/// Refuses a write of `id` in `table` unless its stored version is `expected`.
fn check_version(
    tx: &rusqlite::Transaction,
    table: &str,
    id: Ulid,
    expected: u64,
) -> Result<(), StoreError> {
    let stored: Option<u64> = tx
        .query_row(
            &format!("SELECT version FROM {table} WHERE id = ?1"),
            params![id.to_string()],
            |row| row.get(0),
        )
        .optional()?;
    if stored == Some(expected) {
        Ok(())
    } else {
        Err(StoreError::refused_write(id, expected, stored))
    }
}

fn record_change(tx: &rusqlite::Transaction, id: Ulid) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO changes (offer_id) VALUES (?1)",
        params![id.to_string()],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // Created owner-only; SQLite gives its WAL and shared-memory files the
        // database file's mode.
        if let Some(parent) = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty() && !p.exists())
        {
            private_files::create_private_dir(parent).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        private_files::touch_private(path)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", path.display())))?;
        // A store created before files were made owner-only is narrowed too; a
        // file this user cannot change is left as it is (and read as it is).
        let _ = private_files::make_private(path);
        let mut connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut connection)
            .map_err(|e| StoreError::Backend(format!("schema migration failed: {e}")))?;
        Ok(SqliteStore {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection off the async runtime's threads.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection
                .lock()
                .map_err(|_| StoreError::Backend("store lock poisoned".into()))?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create(&self, offer: &Offer) -> Result<(), StoreError> {
        let offer = offer.clone();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let inserted = tx.execute(
                "INSERT INTO offers (id, status, version, data) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
                params![offer.id.to_string(), offer.status.as_str(), offer.version, encode(&offer)?],
            )?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists(offer.id));
            }
            record_change(&tx, offer.id)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn get(&self, id: Ulid) -> Result<Option<Offer>, StoreError> {
        self.run(move |conn| {
            let data: Option<String> = conn
                .query_row(
                    "SELECT data FROM offers WHERE id = ?1",
                    params![id.to_string()],
                    |row| row.get(0),
                )
                .optional()?;
            data.as_deref().map(decode).transpose()
        })
        .await
    }

    async fn update(&self, offer: &Offer) -> Result<Offer, StoreError> {
        let mut offer = offer.clone();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            check_version(&tx, "offers", offer.id, offer.version)?;
            offer.version += 1;
            tx.execute(
                "UPDATE offers SET status = ?2, version = ?3, data = ?4 WHERE id = ?1",
                params![
                    offer.id.to_string(),
                    offer.status.as_str(),
                    offer.version,
                    encode(&offer)?
                ],
            )?;
            record_change(&tx, offer.id)?;
            tx.commit()?;
            Ok(offer)
        })
        .await
    }

    async fn list(&self, status: Option<Status>) -> Result<Vec<Offer>, StoreError> {
        self.run(move |conn| {
            let mut statement = conn
                .prepare("SELECT data FROM offers WHERE ?1 IS NULL OR status = ?1 ORDER BY id")?;
            let rows = statement.query_map(params![status.map(Status::as_str)], |row| {
                row.get::<_, String>(0)
            })?;
            rows.map(|row| decode(&row?)).collect()
        })
        .await
    }

    async fn delete(&self, id: Ulid) -> Result<bool, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let deleted =
                tx.execute("DELETE FROM offers WHERE id = ?1", params![id.to_string()])? > 0;
            if deleted {
                record_change(&tx, id)?;
            }
            tx.commit()?;
            Ok(deleted)
        })
        .await
    }

    async fn import(&self, offers: &[Offer]) -> Result<(), StoreError> {
        let offers = offers.to_vec();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            {
                let mut upsert = tx.prepare(
                    "INSERT INTO offers (id, status, version, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = excluded.version, data = excluded.data",
                )?;
                let mut change = tx.prepare("INSERT INTO changes (offer_id) VALUES (?1)")?;
                for offer in &offers {
                    let id = offer.id.to_string();
                    upsert.execute(params![id, offer.status.as_str(), offer.version, encode(offer)?])?;
                    change.execute(params![id])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn bump(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let key = key.to_owned();
        let now = now.timestamp();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            // Expired counters are swept as they are met, and the lapsed one restarts.
            tx.execute("DELETE FROM counters WHERE expires <= ?1", params![now])?;
            let count = tx.query_row(
                "INSERT INTO counters (key, count, expires) VALUES (?1, 1, ?2)
                 ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count",
                params![key, expires.timestamp()],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(count)
        })
        .await
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM counters WHERE key = ?1", params![key])?;
            tx.execute("DELETE FROM marks WHERE key = ?1", params![key])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn mark(
        &self,
        key: &str,
        member: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<Marked, StoreError> {
        let (key, member) = (key.to_owned(), member.to_owned());
        let (now, expires) = (now.timestamp(), expires.timestamp());
        self.run(move |conn| {
            let tx = conn.transaction()?;
            // Expired marks are swept as they are met.
            tx.execute("DELETE FROM marks WHERE expires <= ?1", params![now])?;
            // What is left of this member is a live mark.
            let new = tx
                .query_row(
                    "SELECT 1 FROM marks WHERE key = ?1 AND member = ?2",
                    params![key, member],
                    |_| Ok(()),
                )
                .optional()?
                .is_none();
            // A live mark keeps its first expiry: reporting again extends nothing.
            tx.execute(
                "INSERT INTO marks (key, member, expires) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key, member) DO NOTHING",
                params![key, member, expires],
            )?;
            let members = tx.query_row(
                "SELECT count(*) FROM marks WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(Marked { members, new })
        })
        .await
    }

    async fn is_marked(
        &self,
        key: &str,
        member: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (key, member) = (key.to_owned(), member.to_owned());
        let now = now.timestamp();
        self.run(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM marks WHERE key = ?1 AND member = ?2 AND expires > ?3",
                    params![key, member, now],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
        .await
    }

    async fn forget_expired(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = now.timestamp();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM counters WHERE expires <= ?1", params![now])?;
            tx.execute("DELETE FROM marks WHERE expires <= ?1", params![now])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn changes_since(&self, cursor: u64) -> Result<Changes, StoreError> {
        self.run(move |conn| {
            let mut statement = conn.prepare(
                "SELECT offer_id, MAX(seq) AS last FROM changes WHERE seq > ?1 GROUP BY offer_id ORDER BY last",
            )?;
            let rows = statement.query_map(params![cursor], |row| Ok((row.get::<_, String>(0)?, row.get::<_, u64>(1)?)))?;
            let mut changes = Changes { ids: Vec::new(), cursor };
            for row in rows {
                let (id, seq) = row?;
                let id = Ulid::from_string(&id).map_err(|e| StoreError::Backend(format!("bad id in change feed: {e}")))?;
                changes.ids.push(id);
                changes.cursor = changes.cursor.max(seq);
            }
            Ok(changes)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sweep_forgets_expired_counters_and_marks() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("store.db")).unwrap();
        let now = Utc::now();
        let (soon, later) = (
            now + chrono::Duration::hours(1),
            now + chrono::Duration::days(2),
        );
        store.bump("lapses", now, soon).await.unwrap();
        store.bump("stays", now, later).await.unwrap();
        store.mark("set", "lapses", now, soon).await.unwrap();
        store.mark("set", "stays", now, later).await.unwrap();
        store.forget_expired(soon).await.unwrap();
        let left = store
            .run(|conn| {
                let count = |table: &str| {
                    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get::<_, u64>(0)
                    })
                };
                Ok((count("counters")?, count("marks")?))
            })
            .await
            .unwrap();
        assert_eq!(left, (1, 1), "only what is still live is kept");
    }
}
