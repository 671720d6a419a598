//! The production store: one DynamoDB table. The layout, its size budget and its
//! costs are explained in `docs/dynamodb.md`.
//!
//! Over 600 lines on purpose: one backend of the `Store` trait, whose methods
//! share the item layout below and read best together.
//!
//! Items, all under the partition key `pk`:
//! - `offer#ID`: `status`, `version`, `data` (the offer as deflated JSON), the
//!   change-feed keys `feed` + `seq`, and `ttl` while the offer is pending;
//! - `gone#ID`: what is left of an erased offer for the change feed (no data),
//!   forgotten through `ttl` after 30 days;
//! - `counter#KEY`: `count`, `expires`, `ttl` (rate limits);
//! - `marks#KEY`: `members` (a map of member → expiry), `ttl` (who reported an
//!   offer); expired members leave the map at the next mark;
//! - `meta#seq`: the change sequence, bumped atomically;
//! - `alert#ID` and `cursor#NAME`: see the `alerts` module.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, PutRequest, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification, TransactWriteItem, WriteRequest,
};
use chrono::{DateTime, Duration, Utc};
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use tokio::sync::mpsc::Sender;
use ulid::Ulid;

mod alerts;
mod conversations;
mod records;

use crate::{Changes, Marked, Store, StoreError};
use offers::{Offer, PENDING_HOURS, Status};

/// The global secondary index that serves the change feed.
pub const CHANGES_INDEX: &str = "changes";
/// Every change-feed entry shares this partition of the index.
const FEED: &str = "changes";
const OFFER: &str = "offer#";
const GONE: &str = "gone#";
const COUNTER: &str = "counter#";
const MARKS: &str = "marks#";
const SEQUENCE_KEY: &str = "meta#seq";
/// How long the trace of an erased offer stays in the change feed.
const GONE_DAYS: i64 = 30;
/// Scan segments read in parallel for full listings.
const SCAN_SEGMENTS: i32 = 4;
/// BatchWriteItem's limit.
const BATCH_SIZE: usize = 25;

pub struct DynamoStore {
    client: Client,
    table: String,
}

fn backend<E>(error: E) -> StoreError
where
    E: std::error::Error,
{
    StoreError::Backend(DisplayErrorContext(error).to_string())
}

fn is_condition_failure<E: ProvideErrorMetadata>(error: &E) -> bool {
    matches!(
        error.code(),
        Some("ConditionalCheckFailedException" | "TransactionCanceledException")
    )
}

fn string(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn number(value: impl ToString + Copy) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(value: String) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), AttributeValue::S(value))])
}

fn offer_key(id: Ulid) -> String {
    format!("{OFFER}{id}")
}

fn read_number(item: &HashMap<String, AttributeValue>, name: &str) -> Result<u64, StoreError> {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| StoreError::Backend(format!("item without a numeric {name}")))
}

/// The offer as stored: deflated JSON, about a third of its plain size.
fn encode(offer: &Offer) -> Result<Blob, StoreError> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    serde_json::to_writer(&mut encoder, offer)?;
    let bytes = encoder
        .finish()
        .map_err(|e| StoreError::Backend(format!("cannot compress an offer: {e}")))?;
    Ok(Blob::new(bytes))
}

/// Reads an offer back from an item of the table.
pub fn decode_item(item: &HashMap<String, AttributeValue>) -> Result<Offer, StoreError> {
    let blob = item
        .get("data")
        .and_then(|value| value.as_b().ok())
        .ok_or_else(|| StoreError::Backend("offer item without data".into()))?;
    decode_data(blob.as_ref())
}

/// Reads an offer back from an item's `data` (also found in stream images).
pub fn decode_data(bytes: &[u8]) -> Result<Offer, StoreError> {
    let mut json = Vec::with_capacity(bytes.len() * 3);
    DeflateDecoder::new(bytes)
        .read_to_end(&mut json)
        .map_err(|e| StoreError::Backend(format!("corrupt offer record: {e}")))?;
    Ok(serde_json::from_slice(&json)?)
}

/// The offer id an item key names, for offers and their erasure traces.
pub fn key_offer_id(pk: &str) -> Option<Ulid> {
    pk.strip_prefix(OFFER)
        .or_else(|| pk.strip_prefix(GONE))
        .and_then(|id| Ulid::from_string(id).ok())
}

/// The item that stores `offer`, as change number `seq`.
pub fn offer_item(offer: &Offer, seq: u64) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item = key(offer_key(offer.id));
    item.insert("status".into(), string(offer.status.as_str()));
    item.insert("version".into(), number(offer.version));
    item.insert("data".into(), AttributeValue::B(encode(offer)?));
    item.insert("feed".into(), string(FEED));
    item.insert("seq".into(), number(seq));
    if offer.status == Status::Pending {
        // Best effort only (TTL deletions lag): the hourly sweep is the exact rule.
        let forget = offer.created + Duration::hours(PENDING_HOURS);
        item.insert("ttl".into(), number(forget.timestamp()));
    }
    Ok(item)
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A client configured from the standard AWS environment (region, endpoint,
    /// credentials).
    pub async fn from_env(table: &str) -> Self {
        let config = aws_config::load_from_env().await;
        DynamoStore::new(Client::new(&config), table)
    }

    /// Creates the table, its change-feed index, its stream and its TTL; does
    /// nothing if it exists.
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        let attribute = |name: &str, kind| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(kind)
                .build()
                .map_err(backend)
        };
        let key_element = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(backend)
        };
        let index = |name: &str, hash: &str, range: &str, projection| {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key_element(hash, KeyType::Hash)?)
                .key_schema(key_element(range, KeyType::Range)?)
                .projection(Projection::builder().projection_type(projection).build())
                .build()
                .map_err(backend)
        };
        let mut table = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element("pk", KeyType::Hash)?)
            .global_secondary_indexes(index(
                CHANGES_INDEX,
                "feed",
                "seq",
                ProjectionType::KeysOnly,
            )?);
        for (name, hash, range) in alerts::INDEXES {
            table = table.global_secondary_indexes(index(name, hash, range, ProjectionType::All)?);
        }
        for (name, kind) in [
            ("pk", ScalarAttributeType::S),
            ("feed", ScalarAttributeType::S),
            ("seq", ScalarAttributeType::N),
        ]
        .into_iter()
        .chain(alerts::ATTRIBUTES)
        {
            table = table.attribute_definitions(attribute(name, kind)?);
        }
        let created = table
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceInUseException") => return Ok(false),
            Err(error) => return Err(backend(error)),
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("ttl")
                    .enabled(true)
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await
            .map_err(backend)?;
        Ok(true)
    }

    /// Reserves `count` numbers of the change sequence and returns the last one.
    async fn reserve_sequence(&self, count: usize) -> Result<u64, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(SEQUENCE_KEY.into())))
            .update_expression("ADD seq :count")
            .expression_attribute_values(":count", number(count))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(backend)?;
        read_number(output.attributes().unwrap_or(&HashMap::new()), "seq")
    }

    /// Reads one segment of the table, sending each page once decoded.
    async fn scan_segment(
        &self,
        segment: i32,
        status: Option<Status>,
        pages: &Sender<Vec<Offer>>,
    ) -> Result<(), StoreError> {
        let mut start = None;
        loop {
            let mut scan = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .segment(segment)
                .total_segments(SCAN_SEGMENTS)
                .projection_expression("#data")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":offer", string(OFFER))
                .set_exclusive_start_key(start);
            scan = match status {
                Some(status) => scan
                    .filter_expression("begins_with(pk, :offer) AND #status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", string(status.as_str())),
                None => scan.filter_expression("begins_with(pk, :offer)"),
            };
            let page = scan.send().await.map_err(backend)?;
            let offers = page
                .items()
                .iter()
                .map(decode_item)
                .collect::<Result<Vec<_>, _>>()?;
            if pages.send(offers).await.is_err() {
                return Ok(()); // nobody listens any more
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(()),
            }
        }
    }

    /// A parallel scan: every segment at once, pages sent as they are decoded.
    async fn scan(
        &self,
        status: Option<Status>,
        pages: &Sender<Vec<Offer>>,
    ) -> Result<(), StoreError> {
        let segments = (0..SCAN_SEGMENTS).map(|segment| self.scan_segment(segment, status, pages));
        futures_util::future::try_join_all(segments).await?;
        Ok(())
    }

    async fn write_batch(&self, mut requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for attempt in 0..8u32 {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(backend)?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            // Throttled: back off before sending what is left.
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
        }
        Err(StoreError::Backend(
            "DynamoDB kept refusing a batch of writes".into(),
        ))
    }

    /// Sets `member`'s expiry and removes the `expired` members of a set
    /// (`member` among them when its mark had lapsed).
    async fn renew_and_prune(
        &self,
        set: &str,
        member: &str,
        expires: i64,
        expired: &[&String],
    ) -> Result<(), StoreError> {
        let mut names = HashMap::from([("#member".to_owned(), member.to_owned())]);
        let removed: Vec<String> = expired
            .iter()
            .filter(|name| name.as_str() != member)
            .enumerate()
            .map(|(index, name)| {
                names.insert(format!("#gone{index}"), (*name).clone());
                format!("members.#gone{index}")
            })
            .collect();
        let mut expression = "SET members.#member = :expires".to_owned();
        if !removed.is_empty() {
            expression.push_str(" REMOVE ");
            expression.push_str(&removed.join(", "));
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(set.to_owned())))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":expires", number(expires))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn restart_counter(
        &self,
        counter: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key(counter.to_owned())))
            .item("count", number(1))
            .item("expires", number(expires))
            .item("ttl", number(expires))
            .condition_expression("attribute_not_exists(pk) OR expires <= :now")
            .expression_attribute_values(":now", number(now))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn create(&self, offer: &Offer) -> Result<(), StoreError> {
        let seq = self.reserve_sequence(1).await?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(offer_item(offer, seq)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => Err(StoreError::AlreadyExists(offer.id)),
            Err(error) => Err(backend(error)),
        }
    }

    async fn get(&self, id: Ulid) -> Result<Option<Offer>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(offer_key(id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        output.item().map(decode_item).transpose()
    }

    async fn update(&self, offer: &Offer) -> Result<Offer, StoreError> {
        let mut updated = offer.clone();
        updated.version += 1;
        let seq = self.reserve_sequence(1).await?;
        self.put_versioned(offer_item(&updated, seq)?, offer.id, offer.version)
            .await?;
        Ok(updated)
    }

    async fn list(&self, status: Option<Status>) -> Result<Vec<Offer>, StoreError> {
        let (sender, mut pages) = tokio::sync::mpsc::channel(SCAN_SEGMENTS as usize);
        let reading = async move { self.scan(status, &sender).await };
        let collecting = async {
            let mut offers = Vec::new();
            while let Some(page) = pages.recv().await {
                offers.extend(page);
            }
            offers
        };
        let (read, mut offers) = tokio::join!(reading, collecting);
        read?;
        offers.sort_unstable_by_key(|offer| offer.id);
        Ok(offers)
    }

    async fn list_pages(&self, pages: Sender<Vec<Offer>>) -> Result<(), StoreError> {
        self.scan(None, &pages).await
    }

    async fn delete(&self, id: Ulid) -> Result<bool, StoreError> {
        let seq = self.reserve_sequence(1).await?;
        let forget = Utc::now() + Duration::days(GONE_DAYS);
        let erase = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(offer_key(id))))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(backend)?;
        let trace = Put::builder()
            .table_name(&self.table)
            .set_item(Some(key(format!("{GONE}{id}"))))
            .item("feed", string(FEED))
            .item("seq", number(seq))
            .item("ttl", number(forget.timestamp()))
            .build()
            .map_err(backend)?;
        let written = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(erase).build())
            .transact_items(TransactWriteItem::builder().put(trace).build())
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) && self.get(id).await?.is_none() => {
                Ok(false)
            }
            Err(error) => Err(backend(error)),
        }
    }

    /// Batches of 25 written eight at a time. DynamoDB has no transaction of this
    /// size: a failed import leaves whole offers behind, and running it again
    /// completes it (same ids, same contents).
    async fn import(&self, offers: &[Offer]) -> Result<(), StoreError> {
        if offers.is_empty() {
            return Ok(());
        }
        let last = self.reserve_sequence(offers.len()).await?;
        let first = last + 1 - offers.len() as u64;
        let mut batches = Vec::new();
        for (chunk_index, chunk) in offers.chunks(BATCH_SIZE).enumerate() {
            let mut requests = Vec::with_capacity(chunk.len());
            for (index, offer) in chunk.iter().enumerate() {
                let seq = first + (chunk_index * BATCH_SIZE + index) as u64;
                let put = PutRequest::builder()
                    .set_item(Some(offer_item(offer, seq)?))
                    .build()
                    .map_err(backend)?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            batches.push(self.write_batch(requests));
        }
        use futures_util::StreamExt;
        let mut writes = futures_util::stream::iter(batches).buffer_unordered(8);
        while let Some(result) = writes.next().await {
            result?;
        }
        Ok(())
    }

    async fn changes_since(&self, cursor: u64) -> Result<Changes, StoreError> {
        let mut changes = Changes {
            ids: Vec::new(),
            cursor,
        };
        let mut seen = HashSet::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(CHANGES_INDEX)
                .key_condition_expression("feed = :feed AND seq > :cursor")
                .expression_attribute_values(":feed", string(FEED))
                .expression_attribute_values(":cursor", number(cursor))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            for item in page.items() {
                let id = item
                    .get("pk")
                    .and_then(|pk| pk.as_s().ok())
                    .and_then(|pk| key_offer_id(pk))
                    .ok_or_else(|| StoreError::Backend("bad key in change feed".into()))?;
                changes.cursor = changes.cursor.max(read_number(item, "seq")?);
                if seen.insert(id) {
                    changes.ids.push(id);
                }
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(changes),
            }
        }
    }

    async fn is_marked(
        &self,
        key_name: &str,
        member: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("{MARKS}{key_name}"))))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        let expiry = output
            .item()
            .and_then(|item| item.get("members"))
            .and_then(|members| members.as_m().ok())
            .and_then(|members| members.get(member))
            .and_then(|expiry| expiry.as_n().ok())
            .and_then(|expiry| expiry.parse::<i64>().ok());
        Ok(expiry.is_some_and(|expiry| expiry > now.timestamp()))
    }

    async fn bump(
        &self,
        key_name: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let counter = format!("{COUNTER}{key_name}");
        let (now, expires) = (now.timestamp(), expires.timestamp());
        // Two writers may race to restart a lapsed counter: the loser counts again.
        for _ in 0..3 {
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(counter.clone())))
                .update_expression(
                    "ADD #count :one SET expires = if_not_exists(expires, :expires), #ttl = if_not_exists(#ttl, :expires)",
                )
                .condition_expression("attribute_not_exists(pk) OR expires > :now")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":one", number(1))
                .expression_attribute_values(":expires", number(expires))
                .expression_attribute_values(":now", number(now))
                .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
                .send()
                .await;
            match counted {
                Ok(output) => {
                    return read_number(output.attributes().unwrap_or(&HashMap::new()), "count");
                }
                Err(error) if is_condition_failure(&error) => {
                    if self.restart_counter(&counter, now, expires).await? {
                        return Ok(1);
                    }
                }
                Err(error) => return Err(backend(error)),
            }
        }
        Err(StoreError::Backend(format!(
            "counter {key_name} kept changing"
        )))
    }

    async fn reset(&self, key_name: &str) -> Result<(), StoreError> {
        for prefix in [COUNTER, MARKS] {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(format!("{prefix}{key_name}"))))
                .send()
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn mark(
        &self,
        key_name: &str,
        member: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<Marked, StoreError> {
        let set = format!("{MARKS}{key_name}");
        let (now, expires) = (now.timestamp(), expires.timestamp());
        let live = |expiry: &AttributeValue| {
            expiry
                .as_n()
                .ok()
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|expiry| expiry > now)
        };
        // Two writers may race to create the set: the loser marks again.
        for _ in 0..3 {
            let marked = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(set.clone())))
                .update_expression(
                    "SET members.#member = if_not_exists(members.#member, :expires), #ttl = :expires",
                )
                .condition_expression("attribute_exists(members)")
                .expression_attribute_names("#member", member)
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":expires", number(expires))
                .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
                .send()
                .await;
            match marked {
                Ok(output) => {
                    let before = output
                        .attributes()
                        .and_then(|item| item.get("members"))
                        .and_then(|members| members.as_m().ok());
                    let others = before.map_or(0, |members| {
                        members
                            .iter()
                            .filter(|(name, expiry)| name.as_str() != member && live(expiry))
                            .count()
                    });
                    let previous = before.and_then(|members| members.get(member));
                    let expired: Vec<&String> = before.map_or(Vec::new(), |members| {
                        members
                            .iter()
                            .filter(|(_, expiry)| !live(expiry))
                            .map(|(name, _)| name)
                            .collect()
                    });
                    // An expired mark of this member is renewed, and every expired
                    // one leaves the map: the item holds live members only.
                    if !expired.is_empty() {
                        self.renew_and_prune(&set, member, expires, &expired)
                            .await?;
                    }
                    return Ok(Marked {
                        members: others as u64 + 1,
                        new: !previous.is_some_and(live),
                    });
                }
                Err(error) if is_condition_failure(&error) => {
                    let created = self
                        .client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(key(set.clone())))
                        .item(
                            "members",
                            AttributeValue::M(HashMap::from([(
                                member.to_owned(),
                                number(expires),
                            )])),
                        )
                        .item("ttl", number(expires))
                        .condition_expression("attribute_not_exists(pk)")
                        .send()
                        .await;
                    match created {
                        Ok(_) => {
                            return Ok(Marked {
                                members: 1,
                                new: true,
                            });
                        }
                        Err(error) if is_condition_failure(&error) => {}
                        Err(error) => return Err(backend(error)),
                    }
                }
                Err(error) => return Err(backend(error)),
            }
        }
        Err(StoreError::Backend(format!("set {key_name} kept changing")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_round_trip_an_offer_item() {
        let now = Utc::now();
        let offer = offers::demo::demo_offers(1, 4, now).unwrap().remove(0);
        let item = offer_item(&offer, 7).unwrap();
        assert_eq!(decode_item(&item).unwrap(), offer);
        assert_eq!(key_offer_id(item["pk"].as_s().unwrap()), Some(offer.id));
        assert_eq!(item["seq"], number(7));
    }

    #[test]
    fn errors_on_bad_table_names() {
        use crate::valid_table_name;
        assert!(valid_table_name("entraide-prod.v2"));
        assert!(!valid_table_name("ab"));
        assert!(!valid_table_name("a b c"));
        assert!(!valid_table_name("table/../x"));
    }
}
