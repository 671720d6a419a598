//! What every kind of item in the table is written and read with: created
//! only if new, replaced only at the version it was read at, read, erased and
//! listed by key prefix.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use ulid::Ulid;

use super::{DynamoStore, backend, is_condition_failure, key, number, read_number, string};
use crate::StoreError;

/// An item as the SDK gives it.
pub(super) type Item = HashMap<String, AttributeValue>;

fn partition_key(item: &Item) -> Result<String, StoreError> {
    item.get("pk")
        .and_then(|pk| pk.as_s().ok())
        .cloned()
        .ok_or_else(|| StoreError::Backend("item without pk".into()))
}

impl DynamoStore {
    /// Writes `item` (the record `id`) unless its key exists.
    pub(super) async fn put_new(&self, item: Item, id: Ulid) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => Err(StoreError::AlreadyExists(id)),
            Err(error) => Err(backend(error)),
        }
    }

    /// Writes `item` (the record `id`, its `version` already bumped) if the
    /// stored item's version is still `expected`.
    pub(super) async fn put_versioned(
        &self,
        item: Item,
        id: Ulid,
        expected: u64,
    ) -> Result<(), StoreError> {
        let pk = partition_key(&item)?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", number(expected))
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => {
                let stored = self
                    .item(pk)
                    .await?
                    .map(|item| read_number(&item, "version"))
                    .transpose()?;
                Err(StoreError::refused_write(id, expected, stored))
            }
            Err(error) => Err(backend(error)),
        }
    }

    /// The item of key `pk`, read consistently.
    pub(super) async fn item(&self, pk: String) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(output.item)
    }

    /// Erases the item of key `pk`; `false` if there was none.
    pub(super) async fn delete_item(&self, pk: String) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(backend)?;
        Ok(output.attributes().is_some_and(|item| !item.is_empty()))
    }

    /// Every item whose key starts with `prefix` (a scan of the whole table).
    pub(super) async fn items_with_prefix(&self, prefix: &str) -> Result<Vec<Item>, StoreError> {
        all_pages(|start| async move {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .filter_expression("begins_with(pk, :prefix)")
                .expression_attribute_values(":prefix", string(prefix))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            Ok((page.items.unwrap_or_default(), page.last_evaluated_key))
        })
        .await
    }
}

/// Every item of every page a request gives; `page` sends the request from a
/// page's start key and returns its items and the next key.
pub(super) async fn all_pages<F, Fut>(mut page: F) -> Result<Vec<Item>, StoreError>
where
    F: FnMut(Option<Item>) -> Fut,
    Fut: Future<Output = Result<(Vec<Item>, Option<Item>), StoreError>>,
{
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let (page_items, next) = page(start).await?;
        items.extend(page_items);
        match next {
            Some(next) if !next.is_empty() => start = Some(next),
            _ => break,
        }
    }
    Ok(items)
}

/// A record kept as JSON in the item's `data`.
pub(super) fn json_data<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let data = item
        .get("data")
        .and_then(|value| value.as_s().ok())
        .ok_or_else(|| StoreError::Backend("item without data".into()))?;
    Ok(serde_json::from_str(data)?)
}
