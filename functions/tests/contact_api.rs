//! `POST /api/contact`: relayed messages, refusals, and the poster's privacy.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use axum::http::{StatusCode, header};
use common::{Harness, clock, harness, post_to, text};
use offers::demo::demo_offers;
use offers::{Offer, Status};

async fn with_offer(status: Status) -> (Harness, Offer) {
    let h = harness();
    let mut offer = demo_offers(1, 3, clock()).unwrap().remove(0);
    offer.status = status;
    offer.published = Some(clock());
    offer.expires = clock() + chrono::Duration::days(30);
    offer.email = "poster.prive@exemple.org".into();
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    (h, offer)
}

fn message_form(offer: &Offer, name: &str, message: &str) -> String {
    format!(
        "offer={}&name={}&email=visiteur%40exemple.org&message={}&website=&form_token=",
        offer.id, name, message
    )
}

const MESSAGE: &str = "Bonjour%2C+je+suis+disponible+le+samedi+matin+pour+aider.";

#[tokio::test]
async fn can_relay_a_message_without_revealing_the_poster() {
    let (h, offer) = with_offer(Status::Published).await;
    let response = h
        .send(post_to(
            "/api/contact",
            &message_form(&offer, "L%C3%A9a", MESSAGE),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/contact/merci/");
    assert!(
        !text(response).await.contains("poster.prive"),
        "the visitor sees nothing of the poster's address"
    );

    let mails = h.mails();
    assert_eq!(mails.len(), 2, "the message, and the visitor's copy");
    let mail = &mails[0];
    let copy = &mails[1];
    assert!(copy.contains("To: visiteur@exemple.org"), "{copy}");
    assert!(
        !common::unfolded(copy).contains("disponible le samedi matin"),
        "the trace carries no text anyone could type: {copy}"
    );
    assert!(
        !copy.contains("poster.prive"),
        "the copy shows no poster address"
    );
    assert!(mail.contains("To: poster.prive@exemple.org"), "{mail}");
    assert!(mail.contains("From: Entraide <ne-pas-repondre@entraide.example>"));
    assert!(
        mail.contains("visiteur@exemple.org"),
        "Reply-To the visitor"
    );
    assert!(
        mail.lines()
            .any(|l| l.starts_with("Reply-To:") && l.contains("visiteur@exemple.org"))
    );
    assert!(mail.contains("Subject: "), "a subject naming the offer");
    assert!(
        !mail.contains("/api/offers/manage") && !mail.contains("token="),
        "no private link: a reply quoting the mail would hand it to the visitor"
    );
    assert!(
        mail.contains("moderation@localhost"),
        "how to report an abusive message"
    );
    assert!(!mail.contains("Auto-Submitted"), "a person wrote it");
}

#[tokio::test]
async fn errors_on_offers_that_take_no_message() {
    for status in [
        Status::Pending,
        Status::Filled,
        Status::Expired,
        Status::Removed,
    ] {
        let (h, offer) = with_offer(status).await;
        let response = h
            .send(post_to(
                "/api/contact",
                &message_form(&offer, "L%C3%A9a", MESSAGE),
            ))
            .await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{status:?}");
        assert!(text(response).await.contains("accepte plus de messages"));
        assert!(h.mails().is_empty());
    }
    let (h, mut offer) = with_offer(Status::Published).await;
    offer.id = offers::Ulid::new();
    let response = h
        .send(post_to(
            "/api/contact",
            &message_form(&offer, "L%C3%A9a", MESSAGE),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn errors_on_bad_messages_with_the_form_refilled() {
    let (h, offer) = with_offer(Status::Published).await;
    let response = h
        .send(post_to(
            "/api/contact",
            &message_form(&offer, "L%C3%A9a%0D%0ABcc%3A+x%40y.z", "Court"),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(response).await;
    assert!(page.contains("Le formulaire contient 2 erreurs"), "{page}");
    assert!(
        page.contains("caractères non autorisés"),
        "CR/LF refused in what reaches a header"
    );
    assert!(
        page.contains(">Court</textarea>"),
        "the message is refilled"
    );
    assert!(page.contains("value=\"visiteur@exemple.org\""));
    assert!(!page.contains("poster.prive"));
    assert!(h.mails().is_empty());
}

#[tokio::test]
async fn errors_on_cross_site_messages() {
    let (h, offer) = with_offer(Status::Published).await;
    let mut request = post_to("/api/contact", &message_form(&offer, "L%C3%A9a", MESSAGE));
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    assert_eq!(h.send(request).await.status(), StatusCode::FORBIDDEN);
    assert!(h.mails().is_empty());
}
