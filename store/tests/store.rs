//! The store contract, run against the embedded SQLite store and against DynamoDB
//! served by moto on 127.0.0.1, plus crash durability of the SQLite file.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use offers::alerts::{Alert, AlertStatus, Frequency, PENDING_KEY};
use offers::conversations::{Conversation, Side};
use offers::demo::demo_offers;
use offers::search::Criteria;
use offers::{Status, Ulid};
#[cfg(feature = "dynamodb")]
use store::DynamoStore;
use store::{Marked, SqliteStore, Store, StoreError, open_store};
#[cfg(feature = "dynamodb")]
use testkit::Moto;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn sqlite_store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&dir.path().join("nested/entraide.db")).unwrap())
}

#[cfg(feature = "dynamodb")]
async fn dynamodb_store(moto: &Moto, table: &str) -> DynamoStore {
    let store = DynamoStore::new(moto.dynamodb(), table);
    assert!(store.create_table().await.unwrap(), "a new table");
    assert!(
        !store.create_table().await.unwrap(),
        "init twice is harmless"
    );
    store
}

async fn store_contract(store: Arc<dyn Store>) {
    offers_contract(store.as_ref()).await;
    counters_contract(store.as_ref()).await;
    marks_contract(store.as_ref()).await;
    alerts_contract(store.as_ref()).await;
    conversations_contract(store.as_ref()).await;
}

/// Offers: create, versioned update, import, lists, change feed, erasure.
async fn offers_contract(store: &dyn Store) {
    let offers = demo_offers(30, 3, now()).unwrap();
    let first = &offers[0];

    // create / get / duplicate
    store.create(first).await.unwrap();
    assert_eq!(store.get(first.id).await.unwrap().as_ref(), Some(first));
    assert!(matches!(
        store.create(first).await,
        Err(StoreError::AlreadyExists(_))
    ));

    // update with version check
    let mut edited = first.clone();
    edited.title = "Un tout nouveau titre pour l'annonce".into();
    let stored = store.update(&edited).await.unwrap();
    assert_eq!(stored.version, first.version + 1);
    assert_eq!(
        store.get(first.id).await.unwrap().unwrap().title,
        edited.title
    );
    let stale = store.update(&edited).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict { expected, stored, .. }) if expected == first.version && stored == first.version + 1),
        "a stale write is refused: {stale:?}"
    );
    assert_eq!(
        store.get(first.id).await.unwrap().unwrap().version,
        stored.version,
        "nothing lost"
    );

    // import, list, list by status
    let cursor = store.changes_since(0).await.unwrap().cursor;
    store.import(&offers[1..]).await.unwrap();
    let all = store.list(None).await.unwrap();
    assert_eq!(all.len(), offers.len());
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "id order");
    let published = store.list_published().await.unwrap();
    let expected = all.iter().filter(|o| o.status == Status::Published).count();
    assert_eq!(published.len(), expected);
    assert!(published.iter().all(|o| o.status == Status::Published));
    let pending = store.list(Some(Status::Pending)).await.unwrap();
    assert!(pending.iter().all(|o| o.status == Status::Pending));

    // change feed
    let changes = store.changes_since(cursor).await.unwrap();
    assert_eq!(changes.ids.len(), offers.len() - 1);
    assert!(changes.cursor > cursor);
    assert!(
        store
            .changes_since(changes.cursor)
            .await
            .unwrap()
            .ids
            .is_empty()
    );

    // erasure
    assert!(store.delete(first.id).await.unwrap());
    assert_eq!(store.get(first.id).await.unwrap(), None);
    assert!(!store.delete(first.id).await.unwrap());
    let after_delete = store.changes_since(changes.cursor).await.unwrap();
    assert_eq!(after_delete.ids, vec![first.id]);
    assert!(matches!(
        store.update(first).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Counters: rate limits and report counts.
async fn counters_contract(store: &dyn Store) {
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::hours(1);
    assert_eq!(store.bump("ip:192.0.2.1", now, later).await.unwrap(), 1);
    assert_eq!(store.bump("ip:192.0.2.1", now, later).await.unwrap(), 2);
    assert_eq!(
        store.bump("ip:192.0.2.2", now, later).await.unwrap(),
        1,
        "counters are separate"
    );
    let past = now - chrono::Duration::seconds(1);
    assert_eq!(store.bump("lapsed", now, past).await.unwrap(), 1);
    assert_eq!(
        store.bump("lapsed", now, later).await.unwrap(),
        1,
        "a lapsed counter starts again"
    );
    store.reset("ip:192.0.2.1").await.unwrap();
    assert_eq!(store.bump("ip:192.0.2.1", now, later).await.unwrap(), 1);
}

/// Marks: distinct members of a set, each until its own expiry.
async fn marks_contract(store: &dyn Store) {
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::hours(1);
    let mark = |member: &'static str, at, until| store.mark("reports:x", member, at, until);
    assert_eq!(
        mark("a", now, later).await.unwrap(),
        Marked {
            members: 1,
            new: true
        }
    );
    assert_eq!(
        mark("a", now, later).await.unwrap(),
        Marked {
            members: 1,
            new: false
        },
        "one member counts once"
    );
    assert_eq!(
        mark("b", now, later).await.unwrap(),
        Marked {
            members: 2,
            new: true
        }
    );
    assert_eq!(
        store.mark("reports:y", "a", now, later).await.unwrap(),
        Marked {
            members: 1,
            new: true
        },
        "sets are separate"
    );
    let much_later = later + chrono::Duration::hours(1);
    assert_eq!(
        mark("c", later, much_later).await.unwrap(),
        Marked {
            members: 1,
            new: true
        },
        "expired marks no longer count"
    );
    assert_eq!(
        mark("a", later, much_later).await.unwrap(),
        Marked {
            members: 2,
            new: true
        },
        "a member whose mark expired is new again"
    );
    let again = |at, until| store.mark("reports:z", "a", at, until);
    assert!(again(later, much_later).await.unwrap().new);
    let much_much_later = much_later + chrono::Duration::hours(1);
    assert_eq!(
        again(later, much_much_later).await.unwrap(),
        Marked {
            members: 1,
            new: false
        },
        "marking again extends nothing…"
    );
    assert_eq!(
        again(much_later, much_much_later).await.unwrap(),
        Marked {
            members: 1,
            new: true
        },
        "…so the first mark lapses on time"
    );
    assert!(store.is_marked("reports:z", "a", much_later).await.unwrap());
    assert!(
        !store
            .is_marked("reports:z", "a", much_much_later)
            .await
            .unwrap(),
        "a lapsed mark is no mark"
    );
    assert!(!store.is_marked("reports:z", "b", much_later).await.unwrap());
    store.reset("reports:x").await.unwrap();
    assert_eq!(
        mark("c", later, much_later).await.unwrap(),
        Marked {
            members: 1,
            new: true
        },
        "reset forgets the set"
    );
}

/// Alerts made one after the other have ids in that order.
fn alert(query: &str, status: AlertStatus, owner: &str) -> Alert {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let criteria = Criteria::from_query(query, &["sante".to_owned()]).unwrap();
    let email = format!("{owner}@exemple.org");
    Alert {
        id: offers::Ulid::from_parts(1_800_000_000_000 + made, 0),
        status,
        confirmed: (status != AlertStatus::Pending).then(now),
        version: 1,
        ..Alert::new(email, owner.into(), criteria, Frequency::Daily, now())
    }
}

/// Alerts: create, confirm, versioned update, delete, lists by index key, by
/// address and by due time, import, expiry of unconfirmed ones; cursors.
async fn alerts_contract(store: &dyn Store) {
    let ids = |alerts: Vec<Alert>| alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let pending = alert("departement=29", AlertStatus::Pending, "lea");
    store.create_alert(&pending).await.unwrap();
    assert_eq!(
        store.get_alert(pending.id).await.unwrap().as_ref(),
        Some(&pending)
    );
    assert!(matches!(
        store.create_alert(&pending).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(
        store.alerts_by_key("d:29").await.unwrap().is_empty(),
        "not confirmed yet"
    );
    assert_eq!(
        ids(store.alerts_by_key(PENDING_KEY).await.unwrap()),
        [pending.id]
    );

    // confirm: filed under its key, the stale write refused
    let mut confirmed = pending.clone();
    confirmed.status = AlertStatus::Active;
    confirmed.confirmed = Some(now());
    let stored = store.update_alert(&confirmed).await.unwrap();
    assert_eq!(stored.version, pending.version + 1);
    assert!(matches!(
        store.update_alert(&confirmed).await,
        Err(StoreError::VersionConflict { .. })
    ));
    assert_eq!(
        ids(store.alerts_by_key("d:29").await.unwrap()),
        [pending.id]
    );
    assert!(store.alerts_by_key(PENDING_KEY).await.unwrap().is_empty());

    // others: another key, another address, paused (filed under no key)
    let near = alert("pres=brest-29&rayon=20", AlertStatus::Active, "lea");
    let other = alert("departement=29", AlertStatus::Active, "noe");
    let paused = alert("departement=29", AlertStatus::Paused, "noe");
    for alert in [&near, &other, &paused] {
        store.create_alert(alert).await.unwrap();
    }
    assert_eq!(
        ids(store.alerts_by_key("d:29").await.unwrap()),
        [pending.id, other.id]
    );
    assert_eq!(
        ids(store.alerts_by_key("cell:48:-5").await.unwrap()),
        [near.id]
    );
    assert_eq!(
        ids(store.alerts_of_owner("lea").await.unwrap()),
        [pending.id, near.id]
    );
    assert_eq!(
        ids(store.alerts_of_owner("noe").await.unwrap()),
        [other.id, paused.id]
    );

    // due: offers waiting, mailed once the time comes
    assert!(store.due_alerts(now()).await.unwrap().is_empty());
    let mut waiting = stored.clone();
    waiting.queued = vec![offers::Ulid::new()];
    waiting.due = Some(now() + chrono::Duration::hours(1));
    let waiting = store.update_alert(&waiting).await.unwrap();
    assert!(store.due_alerts(now()).await.unwrap().is_empty(), "not yet");
    let due = store
        .due_alerts(now() + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(due, std::slice::from_ref(&waiting));
    let mut sent = waiting.clone();
    sent.sent = std::mem::take(&mut sent.queued);
    sent.due = None;
    store.update_alert(&sent).await.unwrap();
    assert!(
        store
            .due_alerts(now() + chrono::Duration::hours(2))
            .await
            .unwrap()
            .is_empty()
    );

    // delete, list, import
    assert!(store.delete_alert(other.id).await.unwrap());
    assert!(!store.delete_alert(other.id).await.unwrap());
    assert_eq!(store.get_alert(other.id).await.unwrap(), None);
    let all = store.list_alerts().await.unwrap();
    assert_eq!(ids(all.clone()), [pending.id, near.id, paused.id]);
    store
        .import_alerts(std::slice::from_ref(&other))
        .await
        .unwrap();
    assert_eq!(
        store.get_alert(other.id).await.unwrap(),
        Some(other.clone())
    );

    // an unconfirmed alert lapses after 48 hours
    let lapsing = alert("region=53", AlertStatus::Pending, "zoe");
    store.create_alert(&lapsing).await.unwrap();
    assert_eq!(
        store
            .erase_unconfirmed_alerts(now() + chrono::Duration::hours(47))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .erase_unconfirmed_alerts(now() + chrono::Duration::hours(48))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.get_alert(lapsing.id).await.unwrap(), None);
    assert!(
        store.get_alert(near.id).await.unwrap().is_some(),
        "confirmed alerts stay"
    );

    // cursors
    assert_eq!(store.cursor("alerts").await.unwrap(), 0);
    store.save_cursor("alerts", 42).await.unwrap();
    store.save_cursor("alerts", 43).await.unwrap();
    assert_eq!(store.cursor("alerts").await.unwrap(), 43);
    assert_eq!(store.cursor("other").await.unwrap(), 0);
}

/// Conversations: create once, versioned update, list, erasure.
async fn conversations_contract(store: &dyn Store) {
    let first = Conversation::open(Ulid::new(), "lea@exemple.org", "Léa", now());
    let second = Conversation::open(Ulid::new(), "noe@exemple.org", "Noé", now());
    store.create_conversation(&second).await.unwrap();
    store.create_conversation(&first).await.unwrap();
    assert!(matches!(
        store.create_conversation(&first).await,
        Err(StoreError::AlreadyExists(id)) if id == first.id
    ));
    assert_eq!(
        store.get_conversation(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.get_conversation(Ulid::new()).await.unwrap(), None);

    let mut answered = first.clone();
    answered.record(Side::Poster, now());
    let stored = store.update_conversation(&answered).await.unwrap();
    assert_eq!(stored.version, first.version + 1);
    assert_eq!(
        store.get_conversation(first.id).await.unwrap(),
        Some(stored.clone())
    );
    // A write from the older read is refused.
    assert!(matches!(
        store.update_conversation(&answered).await,
        Err(StoreError::VersionConflict {
            expected: 0,
            stored: 1,
            ..
        })
    ));

    let ids: Vec<Ulid> = store
        .list_conversations()
        .await
        .unwrap()
        .into_iter()
        .map(|conversation| conversation.id)
        .collect();
    let mut expected = vec![first.id, second.id];
    expected.sort();
    assert_eq!(ids, expected);

    assert!(store.delete_conversation(first.id).await.unwrap());
    assert!(!store.delete_conversation(first.id).await.unwrap());
    assert!(matches!(
        store.update_conversation(&stored).await,
        Err(StoreError::NotFound(id)) if id == first.id
    ));
    assert_eq!(store.list_conversations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    store_contract(sqlite_store(&dir)).await;
}

#[cfg(feature = "dynamodb")]
#[tokio::test]
async fn dynamodb_store_keeps_the_contract() {
    let moto = Moto::start();
    store_contract(Arc::new(dynamodb_store(&moto, "contract").await)).await;
}

#[cfg(feature = "dynamodb")]
#[tokio::test]
async fn dynamodb_store_lists_many_offers_across_scan_pages() {
    let moto = Moto::start();
    let store = dynamodb_store(&moto, "many").await;
    let offers = demo_offers(1_200, 5, now()).unwrap();
    store.import(&offers).await.unwrap();
    let mut expected = offers.clone();
    expected.sort_by_key(|offer| offer.id);
    assert_eq!(store.list(None).await.unwrap(), expected);
    assert_eq!(store.changes_since(0).await.unwrap().ids.len(), 1_200);
}

#[tokio::test]
async fn sqlite_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let offers = demo_offers(5, 9, now()).unwrap();
    sqlite_store(&dir).import(&offers).await.unwrap();
    assert_eq!(sqlite_store(&dir).list(None).await.unwrap(), offers);
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_store_files_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    let store = open_store(&format!("sqlite://{}/entraide.db", folder.display()))
        .await
        .unwrap();
    store
        .import(&demo_offers(2, 9, now()).unwrap())
        .await
        .unwrap();
    let mode = |name: &str| {
        std::fs::metadata(folder.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    for file in ["entraide.db", "entraide.db-wal", "entraide.db-shm"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
}

#[tokio::test]
async fn errors_on_unknown_store_url() {
    for url in ["postgres://x", "sqlite://", "dynamodb://", "dynamodb://a/b"] {
        assert!(
            matches!(open_store(url).await, Err(StoreError::BadUrl(_))),
            "{url}"
        );
    }
}

const CHILD_ENV: &str = "ENTRAIDE_CRASH_CHILD_DB";

/// Run by the durability test in a child process: writes offers one by one and
/// prints each id once its write is acknowledged, until killed.
#[tokio::test]
async fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = open_store(&format!("sqlite://{path}")).await.unwrap();
    for offer in demo_offers(1_000, 11, now()).unwrap() {
        store.create(&offer).await.unwrap();
        println!("acked {}", offer.id);
    }
}

#[tokio::test]
async fn sqlite_store_survives_kill_9() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(id) = line.unwrap().strip_prefix("acked ") {
            acked.push(id.to_owned());
        }
        if acked.len() == 200 {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    child.wait().unwrap();
    assert_eq!(acked.len(), 200, "the child wrote before being killed");
    let store = open_store(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let stored: Vec<String> = store
        .list(None)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id.to_string())
        .collect();
    for id in &acked {
        assert!(stored.contains(id), "acknowledged write {id} lost");
    }
}
