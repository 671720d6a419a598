//! What follows an offer once online, through a pass of `run_alerts`: the
//! « still needed? » mail and its two buttons, the reminder of unanswered
//! conversations, and the first replies that tell how fast a poster answers.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::relay::{POSTER, fixture, opened};
use common::{Harness, clock, link_in, post_to, text, with_offer};
use functions::alerts_run::run_alerts;
use functions::relay;
use offers::Status;

/// An offer that expires in `days` days.
async fn expiring(days: i64) -> (Harness, offers::Offer) {
    let (h, mut offer, _) = with_offer(Status::Published).await;
    offer.expires = clock() + Duration::days(days);
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    (h, offer)
}

/// The follow-up runs once an hour: forget when it last ran.
async fn next_hour(h: &Harness) {
    h.store.save_cursor("followups", 0).await.unwrap();
}

async fn get(h: &Harness, link: &str) -> (StatusCode, String) {
    let response = h
        .send(Request::get(link).body(Body::empty()).unwrap())
        .await;
    let status = response.status();
    (status, text(response).await)
}

#[tokio::test]
async fn a_poster_is_asked_once_a_period_and_renews_from_the_mail() {
    let (h, offer) = expiring(6).await;
    run_alerts(&h.state).await.unwrap();
    let mails = h.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert!(mail.contains(&format!("To: {}", offer.email)), "{mail}");
    assert!(
        common::unfolded(mail).contains("toujours d'actualit"),
        "{mail}"
    );

    // Once per period: the next hours send nothing more.
    next_hour(&h).await;
    run_alerts(&h.state).await.unwrap();
    assert_eq!(h.mails().len(), 1);

    // « Toujours d'actualité »: the link shows a button, its POST renews.
    let renew = link_in(mail, "/api/offers/still-needed?token=");
    assert!(renew.ends_with("&choix=renew"), "{renew}");
    let (status, page) = get(&h, &renew).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Oui, toujours d&#x27;actualité"), "{page}");
    assert_eq!(h.store.get(offer.id).await.unwrap().unwrap(), {
        let mut unchanged = offer.clone();
        unchanged.followup.reminded_for = Some(offer.expires);
        unchanged.version = offer.version + 1;
        unchanged
    });
    let response = h.send(post_to(&renew, "")).await;
    let (status, page) = (response.status(), text(response).await);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("reste en ligne"), "{page}");
    let renewed = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(renewed.followup.still_needed, Some(clock()));
    assert!(renewed.expires > offer.expires + Duration::days(30));
    assert_eq!(h.rebuilds.0.load(std::sync::atomic::Ordering::SeqCst), 1);

    // The new period is far: no mail; a cross-site post acts on nothing.
    next_hour(&h).await;
    run_alerts(&h.state).await.unwrap();
    assert_eq!(h.mails().len(), 1);
    let forged = Request::post(renew.as_str())
        .header("origin", "https://ailleurs.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(forged).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_poster_marks_the_offer_filled_from_the_mail() {
    let (h, offer) = expiring(3).await;
    run_alerts(&h.state).await.unwrap();
    let fill = link_in(&h.mails()[0], "/api/offers/still-needed?token=")
        .replace("choix=renew", "choix=fill");
    let (status, page) = get(&h, &fill).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Oui, elle est pourvue"), "{page}");
    assert_eq!(h.send(post_to(&fill, "")).await.status(), StatusCode::OK);
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Filled
    );
    // Filled: « still needed » is no longer a choice.
    let renew = fill.replace("choix=fill", "choix=renew");
    let response = h.send(post_to(&renew, "")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("plus possible"));
}

#[tokio::test]
async fn no_reminder_outside_the_last_week_or_to_an_address_that_refused_our_mail() {
    let (h, offer) = expiring(8).await;
    run_alerts(&h.state).await.unwrap();
    assert!(h.mails().is_empty());
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(stored.followup.reminded_for, None);

    let (h, offer_soon) = expiring(2).await;
    functions::alerts_run::suppress(&h.state, &offer_soon.email, clock())
        .await
        .unwrap();
    run_alerts(&h.state).await.unwrap();
    assert!(h.mails().is_empty(), "{:?}", h.mails());
}

#[tokio::test]
async fn a_poster_who_leaves_three_conversations_unanswered_is_reminded_privately() {
    let (h, offer, _, _) = opened().await;
    // Two more visitors wrote; all three wait since eight days.
    for _ in 0..2 {
        common::relay::contact(&h, &offer).await;
    }
    for mut conversation in h.store.list_conversations().await.unwrap() {
        conversation.opened = clock() - Duration::days(8);
        h.store.update_conversation(&conversation).await.unwrap();
    }
    h.outbox.lock().unwrap().clear();
    run_alerts(&h.state).await.unwrap();
    let mails = h.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains(&format!("To: {POSTER}")), "{}", mails[0]);
    assert!(common::unfolded(&mails[0]).contains("attendent encore votre r"));
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(stored.followup.unanswered, 0, "counted, then reset");
    // Counted once: no second reminder.
    next_hour(&h).await;
    run_alerts(&h.state).await.unwrap();
    assert_eq!(h.mails().len(), 1);
}

#[tokio::test]
async fn first_replies_tell_how_fast_a_poster_answers() {
    let (h, offer, first, _) = opened().await;
    let mut conversations = vec![first];
    for _ in 0..2 {
        conversations.push(common::relay::contact(&h, &offer).await);
    }
    // Opened 30, 50 and 10 hours before the replies.
    for (conversation, hours) in conversations.iter().zip([30, 50, 10]) {
        let mut earlier = h
            .store
            .get_conversation(conversation.id)
            .await
            .unwrap()
            .unwrap();
        earlier.opened = clock() - Duration::hours(hours);
        h.store.update_conversation(&earlier).await.unwrap();
        let to = common::relay::address(&h, conversation, offers::conversations::Side::Poster);
        let recipient = relay::recipient(&h.state, &to).await.unwrap();
        let raw = fixture("plain.eml", &to, POSTER);
        relay::relay(&h.state, &recipient, POSTER, &raw)
            .await
            .unwrap();
        // A second reply in the same conversation is not a first reply.
        relay::relay(&h.state, &recipient, POSTER, &raw)
            .await
            .unwrap();
    }
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(stored.followup.reply_hours, vec![30, 50, 10]);
    assert_eq!(stored.followup.reply_days(), Some(2));
    assert!(
        h.rebuilds.0.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the page shows it"
    );
}
