//! Alerts in the DynamoDB table. Items:
//! - `alert#ID`: `data` (the alert as JSON), `version`, and the attributes of
//!   the three indexes that find it: `akey` (its index key, index `alerts`),
//!   `alert_owner` (its address digest, index `owners`), `alert_queue` +
//!   `alert_due` (while offers wait for its mail, index `due`); `ttl` while it waits for its
//!   confirmation, so that DynamoDB erases it if the sweep does not;
//! - `cursor#NAME`: `value`, a position in the change feed.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, ScalarAttributeType, WriteRequest};
use chrono::{DateTime, Duration, Utc};
use offers::alerts::{Alert, AlertStatus, UNCONFIRMED_HOURS};
use ulid::Ulid;

use super::records::{Item, all_pages, json_data};
use super::{BATCH_SIZE, DynamoStore, backend, key, number, read_number, string};
use crate::{AlertStore, StoreError};

const ALERT: &str = "alert#";
const CURSOR: &str = "cursor#";
/// Every alert with offers waiting shares this partition of the `due` index.
const QUEUE: &str = "due";

/// The alert indexes: name, hash key, range key (their projection is whole).
pub(super) const INDEXES: [(&str, &str, &str); 3] = [
    ("alerts", "akey", "pk"),
    ("owners", "alert_owner", "pk"),
    ("due", "alert_queue", "alert_due"),
];
/// The attributes those keys use, beyond `pk`.
pub(super) const ATTRIBUTES: [(&str, ScalarAttributeType); 4] = [
    ("akey", ScalarAttributeType::S),
    ("alert_owner", ScalarAttributeType::S),
    ("alert_queue", ScalarAttributeType::S),
    ("alert_due", ScalarAttributeType::N),
];

fn alert_key(id: Ulid) -> String {
    format!("{ALERT}{id}")
}

fn alert_item(alert: &Alert) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item = key(alert_key(alert.id));
    item.insert("data".into(), string(&serde_json::to_string(alert)?));
    item.insert("version".into(), number(alert.version));
    item.insert("alert_owner".into(), string(&alert.owner));
    if let Some(index_key) = alert.index_key() {
        item.insert("akey".into(), string(&index_key));
    }
    if let Some(due) = alert.due {
        item.insert("alert_queue".into(), string(QUEUE));
        item.insert("alert_due".into(), number(due.timestamp()));
    }
    if alert.status == AlertStatus::Pending {
        let lapse = alert.created + Duration::hours(UNCONFIRMED_HOURS);
        item.insert("ttl".into(), number(lapse.timestamp()));
    }
    Ok(item)
}

/// Every alert of the items, in id order.
fn alerts_of(items: &[Item]) -> Result<Vec<Alert>, StoreError> {
    let mut alerts = items
        .iter()
        .map(json_data)
        .collect::<Result<Vec<Alert>, _>>()?;
    alerts.sort_unstable_by_key(|alert| alert.id);
    Ok(alerts)
}

impl DynamoStore {
    /// Every alert an index query finds, in id order.
    async fn query_alerts(
        &self,
        index: &str,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<Vec<Alert>, StoreError> {
        let items = all_pages(|start| async move {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(condition)
                .set_exclusive_start_key(start);
            for (name, value) in values {
                query = query.expression_attribute_values(*name, value.clone());
            }
            let page = query.send().await.map_err(backend)?;
            Ok((page.items.unwrap_or_default(), page.last_evaluated_key))
        })
        .await?;
        alerts_of(&items)
    }
}

#[async_trait]
impl AlertStore for DynamoStore {
    async fn create_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        self.put_new(alert_item(alert)?, alert.id).await
    }

    async fn get_alert(&self, id: Ulid) -> Result<Option<Alert>, StoreError> {
        self.item(alert_key(id))
            .await?
            .as_ref()
            .map(json_data)
            .transpose()
    }

    async fn update_alert(&self, alert: &Alert) -> Result<Alert, StoreError> {
        let mut updated = alert.clone();
        updated.version += 1;
        self.put_versioned(alert_item(&updated)?, alert.id, alert.version)
            .await?;
        Ok(updated)
    }

    async fn delete_alert(&self, id: Ulid) -> Result<bool, StoreError> {
        self.delete_item(alert_key(id)).await
    }

    async fn alerts_by_key(&self, index_key: &str) -> Result<Vec<Alert>, StoreError> {
        self.query_alerts("alerts", "akey = :key", &[(":key", string(index_key))])
            .await
    }

    async fn alerts_of_owner(&self, owner: &str) -> Result<Vec<Alert>, StoreError> {
        self.query_alerts(
            "owners",
            "alert_owner = :owner",
            &[(":owner", string(owner))],
        )
        .await
    }

    async fn due_alerts(&self, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        self.query_alerts(
            "due",
            "alert_queue = :queue AND alert_due <= :now",
            &[(":queue", string(QUEUE)), (":now", number(now.timestamp()))],
        )
        .await
    }

    async fn list_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        alerts_of(&self.items_with_prefix(ALERT).await?)
    }

    async fn import_alerts(&self, alerts: &[Alert]) -> Result<(), StoreError> {
        for chunk in alerts.chunks(BATCH_SIZE) {
            let requests = chunk
                .iter()
                .map(|alert| {
                    let put = PutRequest::builder()
                        .set_item(Some(alert_item(alert)?))
                        .build()
                        .map_err(backend)?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            self.write_batch(requests).await?;
        }
        Ok(())
    }

    async fn cursor(&self, name: &str) -> Result<u64, StoreError> {
        self.item(format!("{CURSOR}{name}"))
            .await?
            .map_or(Ok(0), |item| read_number(&item, "value"))
    }

    async fn save_cursor(&self, name: &str, value: u64) -> Result<(), StoreError> {
        let mut item = key(format!("{CURSOR}{name}"));
        item.insert("value".into(), number(value));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }
}
