//! `POST /api/report` and `GET /api/moderate`.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Harness, clock, harness, link_in, post_to, text, unfolded};
use offers::demo::demo_offers;
use offers::{Offer, Status};

async fn published_offer() -> (Harness, Offer) {
    let h = harness();
    let mut offer = demo_offers(1, 8, clock()).unwrap().remove(0);
    offer.status = Status::Published;
    offer.expires = clock() + chrono::Duration::days(10);
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    (h, offer)
}

fn report(offer: &Offer, reason: &str) -> String {
    format!(
        "offer={}&reason={reason}&message=Cette+annonce+demande+de+l%27argent.",
        offer.id
    )
}

#[tokio::test]
async fn reports_reach_the_moderators_and_enough_of_them_hide_the_offer() {
    let (h, offer) = published_offer().await;
    for n in 1..=2 {
        let response = h
            .send(post_to("/api/report", &report(&offer, "scam")))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "report {n}");
        assert_eq!(response.headers()[header::LOCATION], "/signalement/merci/");
    }
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Published,
        "two reports are not enough"
    );
    let mails = h.mails();
    assert!(
        mails[0].contains("To: moderation@localhost"),
        "{}",
        mails[0]
    );
    let first = unfolded(&mails[0]);
    assert!(
        first.contains("arnaque") && first.contains("/api/moderate?action=hide"),
        "{first}"
    );
    assert!(
        !mails[0].contains(&offer.email),
        "moderators get no poster address"
    );

    h.send(post_to("/api/report", &report(&offer, "scam")))
        .await;
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Removed,
        "the third hides it"
    );
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 1);

    let restore = link_in(&h.mails()[2], "/api/moderate?action=restore");
    let response = h
        .send(Request::get(&restore).body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("rétablie"));
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Published
    );
    h.send(post_to("/api/report", &report(&offer, "other")))
        .await;
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Published,
        "the count starts again"
    );

    let hide = link_in(&h.mails()[3], "/api/moderate?action=hide");
    h.send(Request::get(&hide).body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Removed
    );
}

#[tokio::test]
async fn errors_on_bad_reports_and_forged_moderation() {
    let (h, offer) = published_offer().await;
    let response = h
        .send(post_to("/api/report", &report(&offer, "parce-que")))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("Choisissez le motif"));
    let mut request = post_to("/api/report", &report(&offer, "scam"));
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    assert_eq!(h.send(request).await.status(), StatusCode::FORBIDDEN);
    assert!(h.mails().is_empty());

    let now = clock().timestamp();
    let manage = h.state.secret.sign(
        functions::tokens::Purpose::Manage,
        &offer.id.to_string(),
        0,
        now,
        now + 60,
    );
    let response = h
        .send(
            Request::get(format!("/api/moderate?action=hide&token={manage}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a poster's link cannot moderate"
    );
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().status,
        Status::Published
    );
}
