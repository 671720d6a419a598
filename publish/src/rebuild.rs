//! The `rebuild` Lambda's work: a DynamoDB stream batch (or the hourly sweep)
//! in, the site rebuilt from the store's current state and published out.
//!
//! A cold function reads every offer once (a parallel scan); a warm one keeps them
//! in memory and reads nothing more from the table: each record's new image
//! carries the offer. Images are applied by version (an older image never
//! replaces a newer one) and erasures are final (ids are never reused), so the
//! function is idempotent under at-least-once delivery and indifferent to the
//! order of batches.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::Utc;
use generator::{BuildOptions, BuildReport, Site};
use offers::{Offer, Ulid};
use serde::Deserialize;
use serde_json::{Value, json};
use store::Store;
use store::dynamodb::{decode_data, key_offer_id};
use tokio::sync::Mutex;

use crate::{PublishError, Report, Target, publish};

/// Who deletes items whose `ttl` has passed.
const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("unreadable invocation: {0}")]
    Event(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("build failed: {0}")]
    Build(String),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// What the function is invoked with.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Invocation {
    /// The hourly schedule: `{"task": "sweep"}`; `{"task": "build"}` on demand.
    Task { task: Task },
    /// A batch of the table's stream.
    Stream {
        #[serde(rename = "Records")]
        records: Vec<Value>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Task {
    Sweep,
    Build,
}

/// What one stream record asks for.
#[derive(Debug, PartialEq, Eq)]
enum Record {
    /// An offer as it now is (its new image).
    Upsert(Box<Offer>),
    /// An offer erased for good.
    Erase(Ulid),
    /// Counters, the sequence, TTL deletions: nothing visitors see.
    Ignored,
    /// A record nobody can read: reported alone, by its sequence number.
    Poisoned(Option<String>),
}

fn classify(raw: &Value) -> Record {
    let poisoned = || {
        Record::Poisoned(
            raw.pointer("/dynamodb/SequenceNumber")
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
    };
    let Ok(record) = serde_json::from_value::<EventRecord>(raw.clone()) else {
        return poisoned();
    };
    let key = match record.change.keys.get("pk") {
        Some(serde_dynamo::AttributeValue::S(key)) => key.clone(),
        _ => return poisoned(),
    };
    let expired = record.event_name == "REMOVE"
        && record
            .user_identity
            .is_some_and(|who| who.principal_id == TTL_PRINCIPAL);
    if expired || key.starts_with("counter#") || key.starts_with("meta#") {
        return Record::Ignored;
    }
    let Some(id) = key_offer_id(&key) else {
        return poisoned();
    };
    if key.starts_with("gone#") || record.event_name == "REMOVE" {
        return Record::Erase(id);
    }
    let offer = match record.change.new_image.get("data") {
        Some(serde_dynamo::AttributeValue::B(bytes)) => decode_data(bytes).ok(),
        _ => None,
    };
    match offer {
        Some(offer) if offer.id == id => Record::Upsert(Box::new(offer)),
        _ => poisoned(),
    }
}

/// The offers as the function last knew them.
#[derive(Default)]
struct Known {
    offers: HashMap<Ulid, Offer>,
    erased: HashSet<Ulid>,
}

impl Known {
    fn from_store(offers: Vec<Offer>) -> Known {
        Known {
            offers: offers.into_iter().map(|offer| (offer.id, offer)).collect(),
            erased: HashSet::new(),
        }
    }

    /// Applies one record; `true` if the offers changed.
    fn apply(&mut self, record: &Record) -> bool {
        match record {
            Record::Upsert(offer) => {
                let stale = self.erased.contains(&offer.id)
                    || self
                        .offers
                        .get(&offer.id)
                        .is_some_and(|known| known.version > offer.version || known == &**offer);
                if !stale {
                    self.offers.insert(offer.id, (**offer).clone());
                }
                !stale
            }
            Record::Erase(id) => {
                self.erased.insert(*id);
                self.offers.remove(id).is_some()
            }
            Record::Ignored | Record::Poisoned(_) => false,
        }
    }

    fn snapshot(&self) -> Vec<Offer> {
        let mut offers: Vec<Offer> = self.offers.values().cloned().collect();
        offers.sort_unstable_by_key(|offer| offer.id);
        offers
    }
}

fn failures(sequence_numbers: impl IntoIterator<Item = String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for sequence_number in sequence_numbers {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number);
        response.batch_item_failures.push(failure);
    }
    response
}

pub struct Rebuilder {
    store: Arc<dyn Store>,
    site: Arc<Site>,
    /// The build folder: kept between invocations of a warm function, so that
    /// only pages whose inputs changed are drawn again.
    out: PathBuf,
    pub target: Target,
    /// `None` until the first build of this instance has read the store.
    known: Mutex<Option<Known>>,
}

impl Rebuilder {
    pub fn new(store: Arc<dyn Store>, site: Arc<Site>, out: PathBuf, target: Target) -> Self {
        Rebuilder {
            store,
            site,
            out,
            target,
            known: Mutex::new(None),
        }
    }

    /// Handles one invocation; a stream batch gets the Lambda partial-failure
    /// response.
    pub async fn handle(&self, event: Value) -> Result<Value, RebuildError> {
        let invocation: Invocation =
            serde_json::from_value(event).map_err(|e| RebuildError::Event(e.to_string()))?;
        let mut swept = None;
        match invocation {
            Invocation::Task { task: Task::Sweep } => {
                let keep = store::sweep::Keep {
                    closed_days: self.site.config.keep_closed_days,
                    conversation_days: self.site.config.conversation_days,
                };
                let done = store::sweep::sweep_store(self.store.as_ref(), keep, Utc::now()).await?;
                tracing::info!(?done, "sweep");
                swept = Some(format!("{done:?}"));
            }
            Invocation::Task { task: Task::Build } => {}
            Invocation::Stream { records } => return self.handle_stream(&records).await,
        }
        // Tasks start again from the store: the hourly reading repairs anything
        // the stream may have missed.
        let offers = self.store.list(None).await?;
        let mut known = self.known.lock().await;
        let (built, published) = self
            .rebuild(known.insert(Known::from_store(offers)))
            .await?;
        Ok(json!({ "swept": swept, "written": built.written, "published": published.to_string() }))
    }

    async fn handle_stream(&self, records: &[Value]) -> Result<Value, RebuildError> {
        let classified: Vec<Record> = records.iter().map(classify).collect();
        let poisoned: Vec<String> = classified
            .iter()
            .filter_map(|record| match record {
                Record::Poisoned(sequence_number) => {
                    tracing::error!(?sequence_number, "unreadable stream record");
                    sequence_number.clone()
                }
                _ => None,
            })
            .collect();
        let mut known = self.known.lock().await;
        let changed = match known.as_mut() {
            // Every record is applied: no short-circuit.
            Some(known) => {
                classified
                    .iter()
                    .map(|record| known.apply(record))
                    .filter(|&changed| changed)
                    .count()
                    > 0
            }
            None => {
                let wanted = classified
                    .iter()
                    .any(|record| matches!(record, Record::Upsert(_) | Record::Erase(_)));
                if wanted {
                    // Cold: the store already holds every change of the batch.
                    let mut loaded = Known::from_store(self.store.list(None).await?);
                    for record in &classified {
                        loaded.apply(record);
                    }
                    *known = Some(loaded);
                }
                wanted
            }
        };
        if let (true, Some(known)) = (changed, known.as_ref()) {
            // A failed build fails the batch: the stream retries it, bisecting.
            let (built, published) = self.rebuild(known).await?;
            tracing::info!(written = built.written, %published, "rebuilt");
        }
        serde_json::to_value(failures(poisoned)).map_err(|e| RebuildError::Event(e.to_string()))
    }

    /// Builds the known offers, then publishes what changed.
    async fn rebuild(&self, known: &Known) -> Result<(BuildReport, Report), RebuildError> {
        let offers = known.snapshot();
        let site = Arc::clone(&self.site);
        let out = self.out.clone();
        let built = tokio::task::spawn_blocking(move || {
            let options = BuildOptions {
                out,
                now: Utc::now(),
                force: false,
                search: true,
                progress: None,
            };
            generator::build(&site, &offers, &options)
        })
        .await
        .map_err(|e| RebuildError::Build(e.to_string()))?
        .map_err(|e| RebuildError::Build(e.to_string()))?;
        let published = publish(&self.out, &self.target, false).await?;
        Ok((built, published))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event_name: &str, key: &str, principal: Option<&str>) -> Value {
        let mut record = json!({
            "eventID": "1",
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-3",
            "dynamodb": {
                "Keys": { "pk": { "S": key } },
                "SequenceNumber": "4100000000000000000001",
                "SizeBytes": 10,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        });
        if let Some(principal) = principal {
            record["userIdentity"] = json!({ "type": "Service", "principalId": principal });
        }
        record
    }

    fn with_image(mut record: Value, offer: &Offer) -> Value {
        let item = store::dynamodb::offer_item(offer, 1).unwrap();
        let data = item["data"].as_b().unwrap().as_ref().to_vec();
        record["dynamodb"]["NewImage"] = json!({ "data": serde_dynamo::AttributeValue::B(data) });
        record
    }

    #[test]
    fn can_classify_stream_records() {
        let offer = offers::demo::demo_offers(1, 1, Utc::now())
            .unwrap()
            .remove(0);
        let key = format!("offer#{}", offer.id);
        assert_eq!(
            classify(&with_image(record("MODIFY", &key, None), &offer)),
            Record::Upsert(Box::new(offer.clone()))
        );
        assert_eq!(
            classify(&record("REMOVE", &key, None)),
            Record::Erase(offer.id)
        );
        let gone = format!("gone#{}", offer.id);
        assert_eq!(
            classify(&record("INSERT", &gone, None)),
            Record::Erase(offer.id)
        );
        assert_eq!(
            classify(&record("REMOVE", &key, Some(TTL_PRINCIPAL))),
            Record::Ignored,
            "TTL deletions of pending offers"
        );
        assert_eq!(
            classify(&record("INSERT", "counter#ip:x", None)),
            Record::Ignored
        );
        let sequence_number = Record::Poisoned(Some("4100000000000000000001".into()));
        assert_eq!(
            classify(&record("INSERT", "offer#not-an-id", None)),
            sequence_number
        );
        assert_eq!(
            classify(&record("MODIFY", &key, None)),
            sequence_number,
            "no image"
        );
        assert_eq!(classify(&json!({ "eventName": 3 })), Record::Poisoned(None));
    }

    #[test]
    fn can_apply_records_in_any_order_and_twice() {
        let offer = offers::demo::demo_offers(1, 1, Utc::now())
            .unwrap()
            .remove(0);
        let mut newer = offer.clone();
        newer.version += 1;
        newer.title = "Un titre plus récent que l'autre".into();
        let mut known = Known::default();
        assert!(known.apply(&Record::Upsert(Box::new(newer.clone()))));
        assert!(
            !known.apply(&Record::Upsert(Box::new(newer.clone()))),
            "a duplicate"
        );
        assert!(
            !known.apply(&Record::Upsert(Box::new(offer.clone()))),
            "an older image"
        );
        assert_eq!(known.snapshot(), vec![newer.clone()]);
        assert!(known.apply(&Record::Erase(offer.id)));
        assert!(
            !known.apply(&Record::Upsert(Box::new(newer))),
            "erasure is final"
        );
        assert!(known.snapshot().is_empty());
    }
}
