//! The `rebuild` Lambda's work: a DynamoDB stream batch (or the hourly sweep)
//! in, the site rebuilt from the store's current state and published out.
//!
//! Building from the store rather than from the records makes the function
//! idempotent under at-least-once delivery and indifferent to the order of
//! batches: a duplicate or late record only triggers a build that finds nothing
//! new. Records are only read to decide whether a build is needed.

use std::path::PathBuf;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::Utc;
use generator::{BuildOptions, BuildReport, Site};
use offers::Store;
use offers::dynamodb::key_offer_id;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{PublishError, Report, Target, publish};

/// Who deletes items whose `ttl` has passed.
const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("unreadable invocation: {0}")]
    Event(String),
    #[error(transparent)]
    Store(#[from] offers::StoreError),
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
    /// An offer changed: the site must follow.
    Offer,
    /// Counters, the sequence, TTL deletions: nothing visitors see.
    Ignored,
    /// A record nobody can read: reported alone, by its sequence number.
    Poisoned(Option<String>),
}

fn classify(raw: &Value) -> Record {
    let sequence_number = || {
        raw.pointer("/dynamodb/SequenceNumber")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let Ok(record) = serde_json::from_value::<EventRecord>(raw.clone()) else {
        return Record::Poisoned(sequence_number());
    };
    let key = match record.change.keys.get("pk") {
        Some(serde_dynamo::AttributeValue::S(key)) => key.clone(),
        _ => return Record::Poisoned(sequence_number()),
    };
    let expired = record.event_name == "REMOVE"
        && record
            .user_identity
            .is_some_and(|who| who.principal_id == TTL_PRINCIPAL);
    if expired || key.starts_with("counter#") || key.starts_with("meta#") {
        return Record::Ignored;
    }
    match key_offer_id(&key) {
        Some(_) => Record::Offer,
        None => Record::Poisoned(sequence_number()),
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
    pub store: Arc<dyn Store>,
    pub site: Arc<Site>,
    /// The build folder: kept between invocations of a warm function, so that
    /// only pages whose inputs changed are drawn again.
    pub out: PathBuf,
    pub target: Target,
}

impl Rebuilder {
    /// Handles one invocation; a stream batch gets the Lambda partial-failure
    /// response.
    pub async fn handle(&self, event: Value) -> Result<Value, RebuildError> {
        let invocation: Invocation =
            serde_json::from_value(event).map_err(|e| RebuildError::Event(e.to_string()))?;
        match invocation {
            Invocation::Task { task: Task::Sweep } => {
                let keep = self.site.config.keep_closed_days;
                let swept =
                    functions::sweep::sweep_store(self.store.as_ref(), keep, Utc::now()).await?;
                tracing::info!(?swept, "sweep");
                let (built, published) = self.rebuild().await?;
                Ok(
                    json!({ "swept": format!("{swept:?}"), "written": built.written, "published": published.to_string() }),
                )
            }
            Invocation::Task { task: Task::Build } => {
                let (built, published) = self.rebuild().await?;
                Ok(json!({ "written": built.written, "published": published.to_string() }))
            }
            Invocation::Stream { records } => self.handle_stream(&records).await,
        }
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
        if classified.contains(&Record::Offer) {
            // A failed build fails the batch: the stream retries it, bisecting.
            let (built, published) = self.rebuild().await?;
            tracing::info!(written = built.written, %published, "rebuilt");
        }
        serde_json::to_value(failures(poisoned)).map_err(|e| RebuildError::Event(e.to_string()))
    }

    /// Builds from the store's current state, then publishes what changed.
    pub async fn rebuild(&self) -> Result<(BuildReport, Report), RebuildError> {
        let offers = self.store.list(None).await?;
        let site = Arc::clone(&self.site);
        let out = self.out.clone();
        let built = tokio::task::spawn_blocking(move || {
            let options = BuildOptions {
                out,
                now: Utc::now(),
                force: false,
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

    #[test]
    fn can_classify_stream_records() {
        let id = ulid::Ulid::new();
        let offer = format!("offer#{id}");
        assert_eq!(classify(&record("MODIFY", &offer, None)), Record::Offer);
        assert_eq!(
            classify(&record("REMOVE", &format!("gone#{id}"), None)),
            Record::Offer
        );
        assert_eq!(
            classify(&record("REMOVE", &offer, Some(TTL_PRINCIPAL))),
            Record::Ignored,
            "TTL deletions of pending offers"
        );
        assert_eq!(
            classify(&record("INSERT", "counter#ip:x", None)),
            Record::Ignored
        );
        assert_eq!(
            classify(&record("INSERT", "offer#not-an-id", None)),
            Record::Poisoned(Some("4100000000000000000001".into()))
        );
        assert_eq!(classify(&json!({ "eventName": 3 })), Record::Poisoned(None));
    }
}
