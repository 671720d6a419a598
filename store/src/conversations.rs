//! Where the relay's conversations live: one record each, found by id; the
//! hourly sweep reads them all to erase the lapsed ones.

use async_trait::async_trait;
use offers::conversations::Conversation;
use ulid::Ulid;

use crate::StoreError;

#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Stores a new conversation; refused if its id exists.
    async fn create_conversation(&self, conversation: &Conversation) -> Result<(), StoreError>;
    async fn get_conversation(&self, id: Ulid) -> Result<Option<Conversation>, StoreError>;
    /// Writes `conversation` if the stored version is still its version, and
    /// returns it as stored, with its version bumped.
    async fn update_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<Conversation, StoreError>;
    /// Erases a conversation for good; `false` if there was none.
    async fn delete_conversation(&self, id: Ulid) -> Result<bool, StoreError>;
    /// Every conversation, in id order.
    async fn list_conversations(&self) -> Result<Vec<Conversation>, StoreError>;
}
