//! `GET|POST /api/offers/manage`: edit, renew, close and erase through the
//! private link, with optimistic concurrency.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{clock, edit_form, post_to, text, with_offer};
use functions::tokens::Purpose;
use offers::Status;

fn action_form(action: &str, version: u64) -> String {
    format!("action={action}&version={version}")
}

fn manage(token: &str) -> String {
    format!("/api/offers/manage?token={token}")
}

#[tokio::test]
async fn can_open_the_management_page() {
    let (h, offer, token) = with_offer(Status::Published).await;
    let response = h
        .send(Request::get(manage(&token)).body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    assert!(page.contains(&format!("name=\"version\" value=\"{}\"", offer.version)));
    assert!(page.contains("Marquer comme pourvue") && page.contains("Supprimer définitivement"));
    let commune = offers::communes::geography()
        .commune(offer.commune.as_deref().unwrap())
        .unwrap();
    assert!(
        page.contains(&format!(
            "value=\"{} ({})\"",
            commune.name, commune.department
        )),
        "the commune as people write it, not its INSEE code"
    );
    assert!(page.contains("en ligne jusqu&#x27;au") && !page.contains("en ligne, en ligne"));
    assert!(
        page.contains(&offer.email),
        "the poster sees their own address on their private page"
    );
}

#[tokio::test]
async fn can_edit_and_errors_keep_what_was_typed() {
    let (h, offer, token) = with_offer(Status::Published).await;
    let response = h
        .send(post_to(
            &manage(&token),
            &edit_form(&offer, offer.version, "Un nouveau titre bien plus précis"),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("&fait=edit")
    );
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(stored.title, "Un nouveau titre bien plus précis");
    assert_eq!(
        (stored.status, stored.version),
        (Status::Published, offer.version + 1)
    );
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 1);

    let response = h
        .send(post_to(
            &manage(&token),
            &edit_form(&stored, stored.version, "Court"),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(response).await;
    assert!(
        page.contains("Le titre doit faire entre 10 et 120 caractères.")
            && page.contains("value=\"Court\"")
    );
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap(),
        stored,
        "nothing written"
    );
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_nothing_is_lost() {
    let (h, offer, token) = with_offer(Status::Published).await;
    let first = h
        .send(post_to(
            &manage(&token),
            &edit_form(&offer, offer.version, "Premier onglet : titre modifié"),
        ))
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let stale = h
        .send(post_to(
            &manage(&token),
            &edit_form(&offer, offer.version, "Second onglet : autre titre"),
        ))
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let page = text(stale).await;
    assert!(page.contains("modifiée depuis l&#x27;ouverture de cette page"));
    assert!(
        page.contains("value=\"Second onglet : autre titre\""),
        "what was typed is kept"
    );
    assert!(
        page.contains(&format!("name=\"version\" value=\"{}\"", offer.version + 1)),
        "a resend will go through"
    );
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().title,
        "Premier onglet : titre modifié"
    );
}

#[tokio::test]
async fn can_renew_fill_and_delete() {
    let (h, offer, token) = with_offer(Status::Expired).await;
    let response = h
        .send(post_to(
            &manage(&token),
            &action_form("renew", offer.version),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let renewed = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(renewed.status, Status::Published);
    assert_eq!(renewed.expires, clock() + chrono::Duration::days(60));

    let response = h
        .send(post_to(
            &manage(&token),
            &action_form("fill", renewed.version),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let filled = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(filled.status, Status::Filled);
    let response = h
        .send(post_to(
            &manage(&token),
            &action_form("fill", filled.version),
        ))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a filled offer cannot be filled again"
    );

    // Not filled after all: back online, and filled again.
    let response = h
        .send(post_to(
            &manage(&token),
            &action_form("unfill", filled.version),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let unfilled = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(unfilled.status, Status::Published);
    h.send(post_to(
        &manage(&token),
        &action_form("fill", unfilled.version),
    ))
    .await;
    let filled = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(filled.status, Status::Filled);

    // Deleting takes a confirmation: the page comes back without it.
    let response = h
        .send(post_to(
            &manage(&token),
            &action_form("delete", filled.version),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(response)
            .await
            .contains("Cochez la case pour confirmer")
    );
    assert!(
        h.store.get(offer.id).await.unwrap().is_some(),
        "nothing erased"
    );
    let response = h
        .send(post_to(
            &manage(&token),
            &format!("{}&confirm=oui", action_form("delete", filled.version)),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("Annonce supprimée"));
    assert_eq!(
        h.store.get(offer.id).await.unwrap(),
        None,
        "erased from the store"
    );
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 5);
    let gone = h
        .send(Request::get(manage(&token)).body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        gone.status(),
        StatusCode::NOT_FOUND,
        "the link dies with the offer"
    );
}

#[tokio::test]
async fn errors_on_forged_links_and_cross_site_posts() {
    let (h, offer, token) = with_offer(Status::Published).await;
    let now = clock().timestamp();
    let confirm = h
        .state
        .secret
        .sign(Purpose::Confirm, &offer.id.to_string(), 0, now, now + 60);
    let response = h
        .send(Request::get(manage(&confirm)).body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let mut request = post_to(
        &manage(&token),
        &format!("{}&confirm=oui", action_form("delete", offer.version)),
    );
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    assert_eq!(h.send(request).await.status(), StatusCode::FORBIDDEN);
    assert!(h.store.get(offer.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_new_address_kills_the_old_links_and_gets_a_new_one() {
    let (h, offer, token) = with_offer(Status::Published).await;
    let form = edit_form(&offer, offer.version, &offer.title).replace(
        &serde_urlencoded::to_string([("email", offer.email.as_str())]).unwrap(),
        "email=nouvelle%40exemple.org",
    );
    let response = h.send(post_to(&manage(&token), &form)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("/api/offers/manage?token=") && !location.contains(&token));
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.email.as_str(), stored.token_version),
        ("nouvelle@exemple.org", 1)
    );

    let old = h
        .send(Request::get(manage(&token)).body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        old.status(),
        StatusCode::BAD_REQUEST,
        "links mailed to the old address are dead"
    );
    let new = h
        .send(Request::get(&location).body(Body::empty()).unwrap())
        .await;
    assert_eq!(new.status(), StatusCode::OK);
    let mails = h.mails();
    assert_eq!(mails.len(), 2, "one mail to each address");
    assert!(
        mails[0].contains(&format!("To: {}", offer.email)),
        "the old one first"
    );
    assert!(
        !mails[0].contains("nouvelle@exemple.org"),
        "the old address is not told the new one"
    );
    assert!(mails[1].contains("To: nouvelle@exemple.org"));
    assert!(common::unfolded(&mails[1]).contains(location.trim_end_matches("&fait=edit")));

    // Whoever holds the new links changes the address once more: the first
    // owner's undo link still works.
    let second = edit_form(&offer, stored.version, &offer.title).replace(
        &serde_urlencoded::to_string([("email", offer.email.as_str())]).unwrap(),
        "email=troisieme%40exemple.org",
    );
    let response = h.send(post_to(&location, &second)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The old address undoes the change: a GET (a mail scanner) changes nothing…
    let undo = common::link_in(
        &mails[0],
        "http://127.0.0.1:8080/api/offers/undo-address?token=",
    )
    .replace("http://127.0.0.1:8080", "");
    let page = h
        .send(Request::get(&undo).body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = text(page).await;
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert_eq!(
        h.store.get(offer.id).await.unwrap().unwrap().email,
        "troisieme@exemple.org"
    );
    // …the button does it.
    let response = h.send(post_to(&undo, "")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.email.as_str(), stored.token_version),
        (offer.email.as_str(), 3)
    );
    let new_address_link = h
        .send(Request::get(&location).body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        new_address_link.status(),
        StatusCode::BAD_REQUEST,
        "the new address's links are dead"
    );
    let mails = h.mails();
    assert_eq!(mails.len(), 5, "two for each change, and a fresh link");
    assert!(
        mails[4].contains(&format!("To: {}", offer.email)),
        "a fresh link"
    );
    let again = h.send(post_to(&undo, "")).await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "an undone change is undone once"
    );
}
