//! `POST /api/offers/links`: fresh private links for a poster who lost theirs.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{link_in, post_to, text, with_offer};
use offers::Status;

fn ask(address: &str) -> axum::http::Request<Body> {
    post_to(
        "/api/offers/links",
        &format!("email={}&website=&form_token=", address.replace('@', "%40")),
    )
}

/// The mails once the links, sent after the answer, have had time to leave.
async fn mails_after_a_while(h: &common::Harness, at_least: usize) -> Vec<String> {
    for _ in 0..100 {
        if h.mails().len() >= at_least {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.mails()
}

#[tokio::test]
async fn a_poster_gets_fresh_links_and_a_stranger_learns_nothing() {
    let (h, offer, _) = with_offer(Status::Published).await;
    let response = h.send(ask(&offer.email.to_uppercase())).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/gerer/merci/");
    let mails = mails_after_a_while(&h, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("To: {}", offer.email)));
    let link = link_in(&mails[0], "/api/offers/manage?token=");
    let page = h
        .send(Request::get(&link).body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status(), StatusCode::OK, "the fresh link works");

    let response = h.send(ask("inconnue@exemple.org")).await;
    assert_eq!(
        (
            response.status(),
            response.headers()[header::LOCATION].to_str().unwrap()
        ),
        (StatusCode::SEE_OTHER, "/gerer/merci/"),
        "the same answer for an address without offers"
    );
    assert_eq!(mails_after_a_while(&h, 2).await.len(), 1, "and no mail");

    let response = h.send(ask("pas une adresse")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(response).await.contains("value=\"pas une adresse\""),
        "refilled"
    );
}

#[tokio::test]
async fn a_dead_link_explains_why_and_where_to_get_a_fresh_one() {
    let (h, _, _) = with_offer(Status::Published).await;
    let response = h
        .send(
            Request::get("/api/offers/manage?token=mort.mort")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = text(response).await;
    assert!(page.contains("un lien plus récent"), "{page}");
    assert!(page.contains("href=\"/gerer/\""), "{page}");
    assert!(
        !page.contains("publiez à nouveau"),
        "no invitation to duplicates"
    );
}
