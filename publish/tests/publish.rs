//! Publishing to S3 and CloudFront, and the rebuild function, against moto's
//! server on 127.0.0.1 (DynamoDB with its stream, S3, CloudFront).

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, Utc};
use generator::manifest::Manifest;
use generator::{BuildOptions, BuildReport, Site};
use offers::{Offer, Status};
use publish::rebuild::Rebuilder;
use publish::{Cdn, PublishError, Target, publish};
use serde_json::{Value, json};
use store::{DynamoStore, SqliteStore, Store};
use testkit::Moto;

const BUCKET: &str = "site";

fn site() -> Arc<Site> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Arc::new(Site::load(&root, &root.join("themes/default")).unwrap())
}

async fn target(moto: &Moto) -> Target {
    moto.bucket(BUCKET).await;
    let distribution = moto.distribution(BUCKET).await;
    Target {
        s3: moto.s3(),
        bucket: BUCKET.into(),
        prefix: String::new(),
        cdn: Some(Cdn {
            client: moto.cloudfront(),
            distribution,
        }),
    }
}

fn build(out: &Path, offers: &[Offer]) -> BuildReport {
    let options = BuildOptions {
        out: out.to_owned(),
        now: Utc::now(),
        force: false,
        search: true,
        progress: None,
    };
    generator::build(&site(), offers, &options).unwrap()
}

/// The object's body, or `None` if the bucket has no such key.
async fn object(target: &Target, key: &str) -> Option<String> {
    let fetched = target.s3.get_object().bucket(BUCKET).key(key).send().await;
    let object = fetched.ok()?;
    let bytes = object.body.collect().await.unwrap().into_bytes();
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

fn page(offer: &Offer) -> String {
    format!("annonces/{}/index.html", offer.id)
}

async fn invalidations(target: &Target) -> usize {
    let cdn = target.cdn.as_ref().unwrap();
    let listed = cdn
        .client
        .list_invalidations()
        .distribution_id(&cdn.distribution)
        .send()
        .await
        .unwrap();
    listed
        .invalidation_list
        .map_or(0, |list| list.quantity as usize)
}

fn published_offer(offers: &[Offer]) -> Offer {
    offers
        .iter()
        .find(|offer| offer.status == Status::Published && offer.expires > Utc::now())
        .unwrap()
        .clone()
}

#[tokio::test]
async fn can_publish_only_what_changed_and_survive_an_interruption() {
    let moto = Moto::start();
    let target = target(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let mut offers = offers::demo::demo_offers(150, 3, Utc::now()).unwrap();

    // First publish: everything, with its type and caching.
    build(&out, &offers);
    let files = Manifest::load(&out).files.len();
    let first = publish(&out, &target, false).await.unwrap();
    assert_eq!(
        (first.uploaded, first.unchanged, first.deleted),
        (files, 0, 0)
    );
    let home = target
        .s3
        .head_object()
        .bucket(BUCKET)
        .key("index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(home.content_type(), Some("text/html; charset=utf-8"));
    assert!(home.cache_control().unwrap().contains("max-age=0"));
    let asset = Manifest::load(&out)
        .files
        .into_keys()
        .find(|path| path.starts_with("assets/"))
        .unwrap();
    let asset = target
        .s3
        .head_object()
        .bucket(BUCKET)
        .key(&asset)
        .send()
        .await
        .unwrap();
    assert!(asset.cache_control().unwrap().contains("immutable"));
    assert_eq!(invalidations(&target).await, 1);

    // One offer changes: only the files its build rewrote are sent and invalidated.
    let changed = published_offer(&offers);
    let index = offers
        .iter()
        .position(|offer| offer.id == changed.id)
        .unwrap();
    offers[index].title = "Un titre tout neuf pour cette annonce".into();
    let rebuilt = build(&out, &offers);
    assert!(
        rebuilt.written > 0 && rebuilt.written < files / 4,
        "{rebuilt:?}"
    );
    let second = publish(&out, &target, false).await.unwrap();
    // The search index's bucket names its files by content: old ones go.
    assert_eq!(
        (second.uploaded, second.deleted),
        (rebuilt.written, rebuilt.removed)
    );
    assert_eq!(second.invalidated, rebuilt.written + rebuilt.removed);
    assert!(
        object(&target, &page(&changed))
            .await
            .unwrap()
            .contains("Un titre tout neuf")
    );
    assert_eq!(invalidations(&target).await, 2);

    // Erased: its page leaves the bucket.
    offers.remove(index);
    build(&out, &offers);
    let third = publish(&out, &target, false).await.unwrap();
    assert!(third.deleted >= 1, "{third:?}");
    assert_eq!(object(&target, &page(&changed)).await, None);

    // Interrupted: a file the publish must send is gone; nothing is deleted, the
    // published manifest stays, and the next publish completes the site.
    let before = object(&target, ".manifest.json").await.unwrap();
    let other = published_offer(&offers);
    let index = offers
        .iter()
        .position(|offer| offer.id == other.id)
        .unwrap();
    offers[index].title = "Encore un autre titre pour une annonce".into();
    build(&out, &offers);
    std::fs::remove_file(out.join(page(&other))).unwrap();
    let failed = publish(&out, &target, false).await;
    assert!(matches!(failed, Err(PublishError::Read(..))), "{failed:?}");
    assert_eq!(object(&target, ".manifest.json").await.unwrap(), before);
    assert!(
        !object(&target, &page(&other))
            .await
            .unwrap()
            .contains("Encore un autre titre")
    );
    build(&out, &offers);
    let fourth = publish(&out, &target, false).await.unwrap();
    assert!(fourth.uploaded > 1, "{fourth:?}");
    assert!(
        object(&target, &page(&other))
            .await
            .unwrap()
            .contains("Encore un autre titre")
    );
    assert_ne!(object(&target, ".manifest.json").await.unwrap(), before);
}

#[tokio::test]
async fn errors_on_a_mass_deletion_and_changes_nothing() {
    let moto = Moto::start();
    let target = target(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    build(
        &out,
        &offers::demo::demo_offers(600, 4, Utc::now()).unwrap(),
    );
    publish(&out, &target, false).await.unwrap();
    let published = object(&target, ".manifest.json").await.unwrap();
    build(&out, &[]);
    let refused = publish(&out, &target, false).await;
    assert!(
        matches!(refused, Err(PublishError::MassDeletion { .. })),
        "{refused:?}"
    );
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("--allow-mass-deletion")
    );
    assert_eq!(object(&target, ".manifest.json").await.unwrap(), published);
    let allowed = publish(&out, &target, true).await.unwrap();
    assert!(allowed.deleted > 150);
}

#[tokio::test]
async fn errors_on_a_folder_that_was_never_built() {
    let moto = Moto::start();
    let target = target(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let refused = publish(dir.path(), &target, false).await;
    assert!(
        matches!(refused, Err(PublishError::NotBuilt(_))),
        "{refused:?}"
    );
}

/// The table's stream as Lambda delivers it, read from moto's stream.
struct Stream {
    client: aws_sdk_dynamodbstreams::Client,
    iterator: Option<String>,
}

impl Stream {
    async fn open(moto: &Moto, table: &str) -> Stream {
        let described = moto
            .dynamodb()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let arn = described.table.unwrap().latest_stream_arn.unwrap();
        let client = aws_sdk_dynamodbstreams::Client::new(&moto.sdk_config());
        let stream = client
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .unwrap();
        let shard = stream.stream_description.unwrap().shards.unwrap().remove(0);
        let iterator = client
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id.unwrap())
            .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator;
        Stream { client, iterator }
    }

    /// The records written since the last read, as Lambda event records.
    async fn records(&mut self) -> Vec<Value> {
        let read = self
            .client
            .get_records()
            .shard_iterator(self.iterator.take().unwrap())
            .send()
            .await
            .unwrap();
        self.iterator = read.next_shard_iterator;
        read.records
            .unwrap_or_default()
            .into_iter()
            .map(|record| {
                let change = record.dynamodb.unwrap();
                let pk = change.keys.unwrap()["pk"].as_s().unwrap().clone();
                let image: serde_json::Map<String, Value> = change
                    .new_image
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, value)| (name, lambda_json(value)))
                    .collect();
                json!({
                    "eventID": record.event_id,
                    "eventName": record.event_name.unwrap().as_str(),
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": testkit::REGION,
                    "dynamodb": {
                        "Keys": { "pk": { "S": pk } },
                        "NewImage": image,
                        "SequenceNumber": change.sequence_number,
                        "SizeBytes": change.size_bytes,
                        "StreamViewType": "NEW_AND_OLD_IMAGES"
                    }
                })
            })
            .collect()
    }
}

/// An attribute value as Lambda's JSON carries it.
fn lambda_json(value: aws_sdk_dynamodbstreams::types::AttributeValue) -> Value {
    use aws_sdk_dynamodbstreams::types::AttributeValue;
    use base64::Engine;
    match value {
        AttributeValue::S(text) => json!({ "S": text }),
        AttributeValue::N(number) => json!({ "N": number }),
        AttributeValue::B(blob) => {
            json!({ "B": base64::engine::general_purpose::STANDARD.encode(blob.as_ref()) })
        }
        other => panic!("unexpected attribute {other:?}"),
    }
}

fn failures(response: &Value) -> Vec<&str> {
    response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|failure| failure["itemIdentifier"].as_str().unwrap())
        .collect()
}

fn poisoned(sequence_number: &str) -> Value {
    json!({
        "eventID": "poison",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": testkit::REGION,
        "dynamodb": { "Keys": { "pk": { "S": "offer#n'importe-quoi" } }, "SequenceNumber": sequence_number }
    })
}

#[tokio::test]
async fn rebuild_follows_the_stream_with_duplicates_and_a_poisoned_record() {
    let moto = Moto::start();
    let target = target(&moto).await;
    let store = Arc::new(DynamoStore::new(moto.dynamodb(), "offers"));
    store.create_table().await.unwrap();
    let mut stream = Stream::open(&moto, "offers").await;
    let dir = tempfile::tempdir().unwrap();
    let rebuilder = Rebuilder::new(store.clone(), site(), dir.path().join("public"), target);
    let offers = offers::demo::demo_offers(60, 6, Utc::now()).unwrap();
    store.import(&offers).await.unwrap();

    // A first batch, one record delivered twice, and a record nobody can read.
    let mut records = stream.records().await;
    let of_offers = |records: &[Value]| {
        records
            .iter()
            .filter(|r| {
                r.pointer("/dynamodb/Keys/pk/S")
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .starts_with("offer#")
            })
            .count()
    };
    assert_eq!(
        of_offers(&records),
        60,
        "moto's stream carries every import"
    );
    records.push(records[3].clone());
    records.push(poisoned("9999"));
    let response = rebuilder
        .handle(json!({ "Records": records }))
        .await
        .unwrap();
    assert_eq!(
        failures(&response),
        vec!["9999"],
        "only the poisoned record fails"
    );
    let live = published_offer(&offers);
    let target = &rebuilder.target;
    assert!(
        object(target, &page(&live))
            .await
            .unwrap()
            .contains(&live.title)
    );

    // An edit reaches the bucket through the next batch, even delivered out of
    // order, from the records alone: the warm function reads nothing from the
    // table, which is gone by then.
    let mut edited = store.get(live.id).await.unwrap().unwrap();
    edited.title = "Titre modifié par son annonceur".into();
    let edited = store.update(&edited).await.unwrap();
    let mut newer = edited.clone();
    newer.title = "Titre modifié une seconde fois".into();
    store.update(&newer).await.unwrap();
    store.delete(offers[0].id).await.unwrap();
    let mut batch = stream.records().await;
    assert_eq!(of_offers(&batch), 3, "two edits and the erasure");
    moto.dynamodb()
        .delete_table()
        .table_name("offers")
        .send()
        .await
        .unwrap();
    batch.reverse();
    let response = rebuilder.handle(json!({ "Records": batch })).await.unwrap();
    assert!(failures(&response).is_empty());
    let page_now = object(target, &page(&live)).await.unwrap();
    assert!(
        page_now.contains("Titre modifié une seconde fois"),
        "the newer image wins"
    );
    assert_eq!(object(target, &page(&offers[0])).await, None);
}

#[tokio::test]
async fn rebuild_ignores_counters_and_ttl_deletions() {
    let moto = Moto::start();
    let target = target(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("offers.db")).unwrap();
    let rebuilder = Rebuilder::new(Arc::new(store), site(), dir.path().join("public"), target);
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/stream-ignored.json")).unwrap();
    let response = rebuilder.handle(fixture).await.unwrap();
    assert_eq!(failures(&response), vec!["300000000000000000003"]);
    assert!(
        !dir.path().join("public").exists(),
        "no build for these records"
    );
    let listed = rebuilder
        .target
        .s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(0), "nothing published");
}

#[tokio::test]
async fn rebuild_sweeps_expired_offers_on_schedule() {
    let moto = Moto::start();
    let target = target(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("offers.db")).unwrap();
    let mut offers = offers::demo::demo_offers(40, 2, Utc::now()).unwrap();
    let stale = offers
        .iter()
        .position(|o| o.status == Status::Published)
        .unwrap();
    offers[stale].expires = Utc::now() - Duration::hours(1);
    store.import(&offers).await.unwrap();
    let store = Arc::new(store);
    let rebuilder = Rebuilder::new(store.clone(), site(), dir.path().join("public"), target);
    let done = rebuilder.handle(json!({ "task": "sweep" })).await.unwrap();
    assert!(
        !done["swept"].as_str().unwrap().contains(" expired: 0"),
        "{done}"
    );
    let expired = store.get(offers[stale].id).await.unwrap().unwrap();
    assert_eq!(expired.status, Status::Expired);
    assert!(object(&rebuilder.target, "index.html").await.is_some());
    let refused = rebuilder.handle(json!({ "task": "dance" })).await;
    assert!(refused.is_err());
}
