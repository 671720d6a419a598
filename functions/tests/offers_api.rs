//! `POST /api/offers`, `GET /api/offers/confirm` and `GET /api/form-token`,
//! driven through the router with `oneshot`, on a real SQLite store.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{clock, harness, link_in, post_form, text};
use functions::tokens::Purpose;
use offers::Status;

const GOOD_FORM: &str = "kind=offer&engagement=volunteer&author_kind=individual&author_name=Aur%C3%A9lien\
&domain=medical&title=Infirmier+retrait%C3%A9+disponible+en+renfort\
&description=Infirmier+pendant+trente+ans%2C+je+peux+aider+un+EHPAD+ou+un+cabinet.\
&skills=Soins%2C+%C3%89coute&commune=Ploudalmezeau&email=poster%40exemple.org&consent=on&website=&form_token=";

#[tokio::test]
async fn can_post_confirm_and_get_the_management_link() {
    let h = harness();
    let response = h.send(post_form(GOOD_FORM)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/publier/merci/");
    let pending = h.store.list(Some(Status::Pending)).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].commune.as_deref(),
        Some("29178"),
        "the commune name was resolved"
    );
    assert_eq!(pending[0].skills, ["Soins", "Écoute"]);

    let mails = h.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: poster@exemple.org"));
    assert!(mails[0].contains("Auto-Submitted: auto-generated"));
    let recap = common::unfolded(&mails[0]);
    assert!(
        recap.contains("Lieu : Ploudalm") && recap.contains("(29)"),
        "the mail recalls the offer: {recap}"
    );
    let confirm = link_in(&mails[0], "/api/offers/confirm?token=");

    // A mail scanner opens the link: a page with a button, nothing done.
    let response = h
        .send(Request::get(&confirm).body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    assert!(
        page.contains(&format!(
            "<form method=\"post\" action=\"{}\"",
            confirm.replace('&', "&amp;")
        )),
        "{page}"
    );
    assert_eq!(
        h.store.get(pending[0].id).await.unwrap().unwrap().status,
        Status::Pending
    );
    assert_eq!(h.mails().len(), 1);
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 0);

    // The person presses it.
    let response = h.send(common::post_to(&confirm, "")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = pending[0].id;
    assert_eq!(
        response.headers()[header::LOCATION],
        format!("/annonces/{id}/#publiee").as_str(),
        "the page then says it worked"
    );
    let offer = h.store.get(id).await.unwrap().unwrap();
    assert_eq!(offer.status, Status::Published);
    assert_eq!(offer.published, Some(clock()));
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 1);
    let mails = h.mails();
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].contains("/api/offers/manage?token="),
        "{}",
        mails[1]
    );

    // A second click, or a second press, is harmless: same page, no new mail,
    // no new rebuild.
    for again in [
        Request::get(&confirm).body(Body::empty()).unwrap(),
        common::post_to(&confirm, ""),
    ] {
        let again = h.send(again).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert_eq!(h.mails().len(), 2);
        assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn errors_on_cross_site_confirmations() {
    let h = harness();
    h.send(post_form(GOOD_FORM)).await;
    let confirm = link_in(&h.mails()[0], "/api/offers/confirm?token=");
    let mut request = common::post_to(&confirm, "");
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    assert_eq!(h.send(request).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        h.store.list(Some(Status::Pending)).await.unwrap().len(),
        1,
        "still pending"
    );
}

#[tokio::test]
async fn errors_on_invalid_form_with_everything_refilled() {
    let h = harness();
    let body = GOOD_FORM
        .replace(
            "title=Infirmier+retrait%C3%A9+disponible+en+renfort",
            "title=Court",
        )
        .replace("&consent=on", "");
    let response = h.send(post_form(&body)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(response).await;
    assert!(
        page.contains("Le formulaire contient 2 erreurs"),
        "error summary"
    );
    assert!(page.contains("Le titre doit faire entre 10 et 120 caractères."));
    assert!(
        page.contains("aria-describedby=\"title-hint title-error\""),
        "message tied to its field"
    );
    assert!(page.contains("value=\"Court\""), "the title is refilled");
    assert!(page.contains(
        "Infirmier pendant trente ans, je peux aider un EHPAD ou un cabinet.</textarea>"
    ));
    assert!(page.contains("value=\"Soins, Écoute\""));
    assert!(page.contains("value=\"poster@exemple.org\""));
    assert!(page.contains("<option value=\"medical\" selected>"));
    assert!(page.contains("value=\"offer\" checked"));
    assert!(
        h.store.list(None).await.unwrap().is_empty(),
        "nothing stored"
    );
    assert!(h.mails().is_empty(), "nothing sent");
}

#[tokio::test]
async fn json_clients_get_a_list_of_field_errors() {
    let h = harness();
    let request = Request::post("/api/offers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"kind":"offer","title":"Court","skills":["a"],"remote":true,"consent":false}"#,
        ))
        .unwrap();
    let response = h.send(request).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["engagement", "title", "skills", "email", "consent"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(
        !fields.contains(&"commune"),
        "remote offers need no commune"
    );
}

#[tokio::test]
async fn errors_on_cross_site_posts() {
    let h = harness();
    let mut request = post_form(GOOD_FORM);
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    let response = h.send(request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(text(response).await.contains("depuis le site lui-même"));
    let mut request = post_form(GOOD_FORM);
    request.headers_mut().remove(header::ORIGIN);
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(h.send(request).await.status(), StatusCode::FORBIDDEN);
    assert!(h.store.list(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_filled_honeypot_keeps_nothing() {
    let h = harness();
    let response = h
        .send(post_form(
            &GOOD_FORM.replace("website=", "website=http%3A%2F%2Fspam.example"),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(h.store.list(None).await.unwrap().is_empty());
    assert!(h.mails().is_empty());
}

#[tokio::test]
async fn errors_on_a_form_sent_too_fast() {
    let h = harness();
    let now = clock().timestamp();
    let fresh = h
        .state
        .secret
        .sign(Purpose::Form, "form", 0, now - 1, now + 3600);
    let response = h.send(post_form(&format!("{GOOD_FORM}{fresh}"))).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("envoyé trop vite"));
    let seasoned = h
        .state
        .secret
        .sign(Purpose::Form, "form", 0, now - 30, now + 3600);
    let response = h.send(post_form(&format!("{GOOD_FORM}{seasoned}"))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn form_tokens_are_signed_timestamps() {
    let h = harness();
    let response = h
        .send(Request::get("/api/form-token").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
    let claims = h
        .state
        .secret
        .verify(
            body["token"].as_str().unwrap(),
            Purpose::Form,
            clock().timestamp(),
        )
        .unwrap();
    assert_eq!(claims.issued, clock().timestamp());
}

#[tokio::test]
async fn errors_on_oversized_bodies() {
    let h = harness();
    let body = format!(
        "{GOOD_FORM}&description={}",
        "a".repeat(functions::MAX_BODY_BYTES)
    );
    assert_eq!(
        h.send(post_form(&body)).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn errors_on_bad_or_foreign_confirmation_links() {
    let h = harness();
    let response = h
        .send(
            Request::get("/api/offers/confirm?token=abc.def")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = text(response).await;
    assert!(page.contains("48 heures sont passées"), "{page}");
    assert!(
        page.contains("href=\"/publier/\"") && !page.contains("/gerer/"),
        "an expired confirmation leads to posting again, not to fresh links"
    );
    let now = clock().timestamp();
    let manage = h.state.secret.sign(
        Purpose::Manage,
        "01KAZZZZZZZZZZZZZZZZZZZZZZ",
        0,
        now,
        now + 60,
    );
    let response = h
        .send(
            Request::get(format!("/api/offers/confirm?token={manage}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a management token does not confirm"
    );
    let gone = h.state.secret.sign(
        Purpose::Confirm,
        "01KAZZZZZZZZZZZZZZZZZZZZZZ",
        1,
        now,
        now + 60,
    );
    let response = h
        .send(
            Request::get(format!("/api/offers/confirm?token={gone}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn errors_on_too_many_posts_and_keeps_what_was_typed() {
    let h = harness();
    for n in 1..=3 {
        let form = GOOD_FORM.replace("poster%40exemple.org", &format!("poster{n}%40exemple.org"));
        assert_eq!(
            h.send(post_form(&form)).await.status(),
            StatusCode::SEE_OTHER,
            "post {n}"
        );
    }
    let response = h
        .send(post_form(&GOOD_FORM.replace("poster%40", "poster4%40")))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a fourth post without form token"
    );
    let page = text(response).await;
    assert!(page.contains("Trop d&#x27;envois") && page.contains("value=\"poster4@exemple.org\""));
    assert_eq!(h.store.list(None).await.unwrap().len(), 3);

    // With form tokens the allowance per connection is larger, but one address
    // still cannot post more than five offers a day.
    let now = clock().timestamp();
    let token = h
        .state
        .secret
        .sign(Purpose::Form, "form", 0, now - 30, now + 3600);
    for n in 1..=2 {
        let response = h
            .send(post_form(&format!(
                "{}{token}",
                GOOD_FORM.replace("poster%40", "prolifique%40")
            )))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "post {n} with a token"
        );
    }
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            h.send(post_form(&format!(
                "{}{token}",
                GOOD_FORM.replace("poster%40", "prolifique%40")
            )))
            .await
            .status(),
        );
    }
    assert_eq!(
        statuses,
        [
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::UNPROCESSABLE_ENTITY
        ]
    );
}

/// A rebuild that takes its time, as a real one does.
struct SlowRebuild;

#[async_trait::async_trait]
impl functions::Rebuild for SlowRebuild {
    async fn changed(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_confirmation_abandoned_by_its_client_still_mails_the_private_link() {
    use tower::ServiceExt;
    let h = harness();
    h.send(post_form(GOOD_FORM)).await;
    let confirm = link_in(&h.mails()[0], "/api/offers/confirm?token=");
    let mut state = h.state.clone();
    state.rebuild = std::sync::Arc::new(SlowRebuild);
    let router = functions::app(state, h.dir.path().join("public"));
    // The visitor closes the tab while the pages are being rebuilt.
    let abandoned = tokio::time::timeout(
        std::time::Duration::from_millis(20),
        router.oneshot(common::post_to(&confirm, "")),
    )
    .await;
    assert!(abandoned.is_err(), "the client went away first");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let offer = h.store.list(None).await.unwrap().remove(0);
    assert_eq!(offer.status, Status::Published);
    let mails = h.mails();
    assert_eq!(mails.len(), 2, "the private link was mailed all the same");
    assert!(mails[1].contains("/api/offers/manage?token="));
}
