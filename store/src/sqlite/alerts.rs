//! Alerts in the SQLite file: one row each, its JSON beside the columns it is
//! looked up by.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use offers::alerts::Alert;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use ulid::Ulid;

use super::{SqliteStore, check_version};
use crate::{AlertStore, StoreError};

fn encode(alert: &Alert) -> Result<String, StoreError> {
    Ok(serde_json::to_string(alert)?)
}

fn decode(data: &str) -> Result<Alert, StoreError> {
    Ok(serde_json::from_str(data)?)
}

/// Writes the row of `alert` (`upsert`: over any row of the same id).
fn write(tx: &Transaction, alert: &Alert, upsert: bool) -> Result<usize, StoreError> {
    let conflict = if upsert {
        "DO UPDATE SET key = excluded.key, owner = excluded.owner, due = excluded.due, version = excluded.version, data = excluded.data"
    } else {
        "DO NOTHING"
    };
    Ok(tx.execute(
        &format!(
            "INSERT INTO alerts (id, key, owner, due, version, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) {conflict}"
        ),
        params![
            alert.id.to_string(),
            alert.index_key(),
            alert.owner,
            alert.due.map(|due| due.timestamp()),
            alert.version,
            encode(alert)?
        ],
    )?)
}

/// The alerts a query selects, decoded.
fn select(
    conn: &Connection,
    filter: &str,
    value: impl rusqlite::ToSql,
) -> Result<Vec<Alert>, StoreError> {
    let mut statement = conn.prepare(&format!(
        "SELECT data FROM alerts WHERE {filter} ORDER BY id"
    ))?;
    let rows = statement.query_map(params![value], |row| row.get::<_, String>(0))?;
    rows.map(|row| decode(&row?)).collect()
}

#[async_trait]
impl AlertStore for SqliteStore {
    async fn create_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        let alert = alert.clone();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            if write(&tx, &alert, false)? == 0 {
                return Err(StoreError::AlreadyExists(alert.id));
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn get_alert(&self, id: Ulid) -> Result<Option<Alert>, StoreError> {
        self.run(move |conn| Ok(select(conn, "id = ?1", id.to_string())?.pop()))
            .await
    }

    async fn update_alert(&self, alert: &Alert) -> Result<Alert, StoreError> {
        let mut alert = alert.clone();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            check_version(&tx, "alerts", alert.id, alert.version)?;
            alert.version += 1;
            write(&tx, &alert, true)?;
            tx.commit()?;
            Ok(alert)
        })
        .await
    }

    async fn delete_alert(&self, id: Ulid) -> Result<bool, StoreError> {
        self.run(move |conn| {
            Ok(conn.execute("DELETE FROM alerts WHERE id = ?1", params![id.to_string()])? > 0)
        })
        .await
    }

    async fn alerts_by_key(&self, key: &str) -> Result<Vec<Alert>, StoreError> {
        let key = key.to_owned();
        self.run(move |conn| select(conn, "key = ?1", key)).await
    }

    async fn alerts_of_owner(&self, owner: &str) -> Result<Vec<Alert>, StoreError> {
        let owner = owner.to_owned();
        self.run(move |conn| select(conn, "owner = ?1", owner))
            .await
    }

    async fn due_alerts(&self, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        let now = now.timestamp();
        self.run(move |conn| select(conn, "due IS NOT NULL AND due <= ?1", now))
            .await
    }

    async fn list_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        // Every row.
        self.run(|conn| select(conn, "1 = ?1", 1)).await
    }

    async fn import_alerts(&self, alerts: &[Alert]) -> Result<(), StoreError> {
        let alerts = alerts.to_vec();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            for alert in &alerts {
                write(&tx, alert, true)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn cursor(&self, name: &str) -> Result<u64, StoreError> {
        let name = name.to_owned();
        self.run(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT value FROM cursors WHERE name = ?1",
                    params![name],
                    |row| row.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    async fn save_cursor(&self, name: &str, value: u64) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO cursors (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )?;
            Ok(())
        })
        .await
    }
}
