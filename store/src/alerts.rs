//! Where alerts live: the part of the store contract that keeps them, filed by
//! the key that narrows them most (`Alert::index_key`), by address and by the
//! time their next mail is due; and the cursor of the change feed up to which
//! new offers were matched.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use offers::alerts::{Alert, PENDING_KEY};
use ulid::Ulid;

use crate::StoreError;

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a new alert; refused if its id exists.
    async fn create_alert(&self, alert: &Alert) -> Result<(), StoreError>;
    async fn get_alert(&self, id: Ulid) -> Result<Option<Alert>, StoreError>;
    /// Writes `alert` if the stored version is still `alert.version`, and
    /// returns it as stored, with its version bumped.
    async fn update_alert(&self, alert: &Alert) -> Result<Alert, StoreError>;
    /// Erases an alert for good; `false` if there was none.
    async fn delete_alert(&self, id: Ulid) -> Result<bool, StoreError>;
    /// The alerts filed under `key`, in id order.
    async fn alerts_by_key(&self, key: &str) -> Result<Vec<Alert>, StoreError>;
    /// The alerts of one address (`Alert::owner`), in id order.
    async fn alerts_of_owner(&self, owner: &str) -> Result<Vec<Alert>, StoreError>;
    /// The alerts with offers waiting whose mail is due at `now`, in id order.
    async fn due_alerts(&self, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError>;
    /// Every alert (a backup), in id order.
    async fn list_alerts(&self) -> Result<Vec<Alert>, StoreError>;
    /// Writes alerts exactly as given (restore), all or none.
    async fn import_alerts(&self, alerts: &[Alert]) -> Result<(), StoreError>;
    /// A named position in the change feed (0 if never saved).
    async fn cursor(&self, name: &str) -> Result<u64, StoreError>;
    async fn save_cursor(&self, name: &str, value: u64) -> Result<(), StoreError>;

    /// Erases the alerts whose confirmation link lapsed; how many.
    async fn erase_unconfirmed_alerts(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut erased = 0;
        for alert in self.alerts_by_key(PENDING_KEY).await? {
            if alert.is_unconfirmed_past(now) && self.delete_alert(alert.id).await? {
                erased += 1;
            }
        }
        Ok(erased)
    }
}
