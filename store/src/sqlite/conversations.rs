//! Conversations in the SQLite file: one row each, its JSON beside its version.

use async_trait::async_trait;
use offers::conversations::Conversation;
use rusqlite::{Connection, params};
use ulid::Ulid;

use super::{SqliteStore, check_version};
use crate::{ConversationStore, StoreError};

fn select(
    conn: &Connection,
    filter: &str,
    value: impl rusqlite::ToSql,
) -> Result<Vec<Conversation>, StoreError> {
    let mut statement = conn.prepare(&format!(
        "SELECT data FROM conversations WHERE {filter} ORDER BY id"
    ))?;
    let rows = statement.query_map(params![value], |row| row.get::<_, String>(0))?;
    rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn create_conversation(&self, conversation: &Conversation) -> Result<(), StoreError> {
        let (id, version, data) = (
            conversation.id,
            conversation.version,
            serde_json::to_string(conversation)?,
        );
        self.run(move |conn| {
            let written = conn.execute(
                "INSERT INTO conversations (id, version, data) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
                params![id.to_string(), version, data],
            )?;
            if written == 0 {
                return Err(StoreError::AlreadyExists(id));
            }
            Ok(())
        })
        .await
    }

    async fn get_conversation(&self, id: Ulid) -> Result<Option<Conversation>, StoreError> {
        self.run(move |conn| Ok(select(conn, "id = ?1", id.to_string())?.pop()))
            .await
    }

    async fn update_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<Conversation, StoreError> {
        let mut conversation = conversation.clone();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            check_version(&tx, "conversations", conversation.id, conversation.version)?;
            conversation.version += 1;
            tx.execute(
                "UPDATE conversations SET version = ?2, data = ?3 WHERE id = ?1",
                params![
                    conversation.id.to_string(),
                    conversation.version,
                    serde_json::to_string(&conversation)?
                ],
            )?;
            tx.commit()?;
            Ok(conversation)
        })
        .await
    }

    async fn delete_conversation(&self, id: Ulid) -> Result<bool, StoreError> {
        self.run(move |conn| {
            Ok(conn.execute(
                "DELETE FROM conversations WHERE id = ?1",
                params![id.to_string()],
            )? > 0)
        })
        .await
    }

    async fn list_conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        // Every row.
        self.run(|conn| select(conn, "1 = ?1", 1)).await
    }
}
