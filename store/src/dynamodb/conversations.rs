//! Conversations in the DynamoDB table: `conversation#ID` items holding `data`
//! (the conversation as JSON) and `version`, with a `ttl` a year after the last
//! message, past the longest `conversation_days`, should the sweep miss one.

use async_trait::async_trait;
use chrono::Duration;
use offers::conversations::Conversation;
use ulid::Ulid;

use super::records::{Item, json_data};
use super::{DynamoStore, key, number, string};
use crate::{ConversationStore, StoreError};

const CONVERSATION: &str = "conversation#";
const FORGOTTEN_AFTER_DAYS: i64 = 366;

fn conversation_key(id: Ulid) -> String {
    format!("{CONVERSATION}{id}")
}

fn conversation_item(conversation: &Conversation) -> Result<Item, StoreError> {
    let mut item = key(conversation_key(conversation.id));
    item.insert("data".into(), string(&serde_json::to_string(conversation)?));
    item.insert("version".into(), number(conversation.version));
    let forget = conversation.last_message + Duration::days(FORGOTTEN_AFTER_DAYS);
    item.insert("ttl".into(), number(forget.timestamp()));
    Ok(item)
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn create_conversation(&self, conversation: &Conversation) -> Result<(), StoreError> {
        self.put_new(conversation_item(conversation)?, conversation.id)
            .await
    }

    async fn get_conversation(&self, id: Ulid) -> Result<Option<Conversation>, StoreError> {
        self.item(conversation_key(id))
            .await?
            .as_ref()
            .map(json_data)
            .transpose()
    }

    async fn update_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<Conversation, StoreError> {
        let mut updated = conversation.clone();
        updated.version += 1;
        self.put_versioned(
            conversation_item(&updated)?,
            conversation.id,
            conversation.version,
        )
        .await?;
        Ok(updated)
    }

    async fn delete_conversation(&self, id: Ulid) -> Result<bool, StoreError> {
        self.delete_item(conversation_key(id)).await
    }

    async fn list_conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        let mut conversations = self
            .items_with_prefix(CONVERSATION)
            .await?
            .iter()
            .map(json_data)
            .collect::<Result<Vec<Conversation>, _>>()?;
        conversations.sort_unstable_by_key(|conversation| conversation.id);
        Ok(conversations)
    }
}
