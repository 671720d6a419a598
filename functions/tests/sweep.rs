//! The hourly sweep.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use std::sync::atomic::Ordering;

use chrono::Duration;
use common::{clock, harness};
use functions::sweep::{Swept, sweep};
use offers::Status;
use offers::conversations::Conversation;
use offers::demo::demo_offers;

#[tokio::test]
async fn can_sweep_unconfirmed_expired_and_long_closed_offers_and_ended_conversations() {
    let h = harness();
    let mut offers = demo_offers(8, 4, clock()).unwrap();
    let set = |offer: &mut offers::Offer, status, created_hours_ago: i64, expires_in_days: i64| {
        offer.status = status;
        offer.created = clock() - Duration::hours(created_hours_ago);
        offer.updated = offer.created;
        offer.published = Some(offer.created);
        offer.expires = clock() + Duration::days(expires_in_days);
    };
    set(&mut offers[0], Status::Pending, 49, 60); // unconfirmed for too long: erased
    set(&mut offers[1], Status::Pending, 47, 60); // still time to confirm: kept
    set(&mut offers[2], Status::Published, 24 * 61, -1); // past its date: expired
    set(&mut offers[3], Status::Published, 24, 30); // live: kept
    set(&mut offers[4], Status::Filled, 24 * 40, 20); // filled 40 days ago: erased
    set(&mut offers[5], Status::Filled, 24 * 5, 20); // filled 5 days ago: kept
    set(&mut offers[6], Status::Removed, 24 * 31, 20); // hidden 31 days ago: erased
    set(&mut offers[7], Status::Removed, 24 * 29, 20); // hidden 29 days ago: kept
    // Hidden 31 days ago, edited by its poster yesterday: erased all the same.
    offers[6].hidden = Some(clock() - Duration::days(31));
    offers[6].updated = clock() - Duration::days(1);
    h.store.import(&offers).await.unwrap();
    // Conversations: on a live offer and recent (kept), past the 90 days after
    // their last message (erased), on an offer the sweep erases (erased).
    let conversation = |offer: &offers::Offer, days_ago: i64| {
        let mut conversation = Conversation::open(
            offer.id,
            "lea@exemple.org",
            "Léa",
            clock() - Duration::days(100),
        );
        conversation.last_message = clock() - Duration::days(days_ago);
        conversation
    };
    let kept = conversation(&offers[3], 89);
    for conversation in [
        &kept,
        &conversation(&offers[3], 90),
        &conversation(&offers[4], 1),
    ] {
        h.store.create_conversation(conversation).await.unwrap();
    }

    let swept = sweep(&h.state).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            unconfirmed_erased: 1,
            expired: 1,
            closed_erased: 1,
            hidden_erased: 1,
            unconfirmed_alerts_erased: 0,
            conversations_erased: 2,
        }
    );
    let conversations = h.store.list_conversations().await.unwrap();
    assert_eq!(conversations, vec![kept]);
    let left: Vec<(offers::Ulid, Status)> = h
        .store
        .list(None)
        .await
        .unwrap()
        .iter()
        .map(|o| (o.id, o.status))
        .collect();
    assert!(
        !left
            .iter()
            .any(|(id, _)| [offers[0].id, offers[4].id, offers[6].id].contains(id))
    );
    assert!(left.contains(&(offers[2].id, Status::Expired)));
    assert!(left.contains(&(offers[7].id, Status::Removed)));
    assert_eq!(left.len(), 5);
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        sweep(&h.state).await.unwrap(),
        Swept::default(),
        "nothing left to do"
    );
    assert_eq!(
        h.rebuilds.0.load(Ordering::SeqCst),
        1,
        "and no rebuild for nothing"
    );
}
