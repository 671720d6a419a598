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

use super::{
    BATCH_SIZE, DynamoStore, backend, is_condition_failure, key, number, read_number, string,
};
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

fn decode(item: &HashMap<String, AttributeValue>) -> Result<Alert, StoreError> {
    let data = item
        .get("data")
        .and_then(|value| value.as_s().ok())
        .ok_or_else(|| StoreError::Backend("alert item without data".into()))?;
    Ok(serde_json::from_str(data)?)
}

/// An item as the SDK gives it.
type Item = HashMap<String, AttributeValue>;

/// Every alert of every page a request gives, in id order; `page` sends the
/// request from a page's start key and returns its items and the next key.
async fn all_pages<F, Fut>(mut page: F) -> Result<Vec<Alert>, StoreError>
where
    F: FnMut(Option<Item>) -> Fut,
    Fut: Future<Output = Result<(Vec<Item>, Option<Item>), StoreError>>,
{
    let mut alerts = Vec::new();
    let mut start = None;
    loop {
        let (items, next) = page(start).await?;
        for item in &items {
            alerts.push(decode(item)?);
        }
        match next {
            Some(next) if !next.is_empty() => start = Some(next),
            _ => break,
        }
    }
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
        all_pages(|start| async move {
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
        .await
    }

    async fn stored_alert_version(&self, id: Ulid) -> Result<Option<u64>, StoreError> {
        Ok(self.get_alert(id).await?.map(|alert| alert.version))
    }
}

#[async_trait]
impl AlertStore for DynamoStore {
    async fn create_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(alert_item(alert)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => Err(StoreError::AlreadyExists(alert.id)),
            Err(error) => Err(backend(error)),
        }
    }

    async fn get_alert(&self, id: Ulid) -> Result<Option<Alert>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(alert_key(id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        output.item().map(decode).transpose()
    }

    async fn update_alert(&self, alert: &Alert) -> Result<Alert, StoreError> {
        let mut updated = alert.clone();
        updated.version += 1;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(alert_item(&updated)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", number(alert.version))
            .send()
            .await;
        match put {
            Ok(_) => Ok(updated),
            Err(error) if is_condition_failure(&error) => {
                match self.stored_alert_version(alert.id).await? {
                    None => Err(StoreError::NotFound(alert.id)),
                    Some(stored) => Err(StoreError::VersionConflict {
                        id: alert.id,
                        expected: alert.version,
                        stored,
                    }),
                }
            }
            Err(error) => Err(backend(error)),
        }
    }

    async fn delete_alert(&self, id: Ulid) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(alert_key(id))))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(backend)?;
        Ok(output.attributes().is_some_and(|item| !item.is_empty()))
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
        all_pages(|start| async move {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .filter_expression("begins_with(pk, :alert)")
                .expression_attribute_values(":alert", string(ALERT))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            Ok((page.items.unwrap_or_default(), page.last_evaluated_key))
        })
        .await
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
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("{CURSOR}{name}"))))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        output
            .item()
            .map_or(Ok(0), |item| read_number(item, "value"))
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
