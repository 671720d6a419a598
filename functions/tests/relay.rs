//! The two-way relay: conversations opened by the contact form, replies read
//! from stored raw mails and passed on, refusals, automatic replies, the links
//! that close or block, and the SMTP server that takes the mail in.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::relay::{
    POSTER, REPLY_DOMAIN, VISITOR, address, contact, contact_form, decoded_text, fixture, opened,
    with_offer,
};
use common::{Harness, clock, link_in, post_to, text, unfolded};
use functions::relay::{self, Recipient, Refusal, Relayed};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use offers::Offer;
use offers::conversations::Side;

async fn relay_fixture(h: &Harness, to: &str, name: &str, from: &str) -> Result<Relayed, Refusal> {
    let recipient: Recipient = relay::recipient(&h.state, to).await?;
    relay::relay(&h.state, &recipient, from, &fixture(name, to, from)).await
}

#[tokio::test]
async fn a_contact_opens_a_conversation_whose_reply_address_hides_both_sides() {
    let (h, offer) = with_offer().await;
    let conversation = contact(&h, &offer).await;
    assert_eq!(conversation.offer, offer.id);
    assert_eq!(conversation.visitor_email, VISITOR);
    assert_eq!(conversation.from_visitor, 1);

    let mails = h.mails();
    let to_poster = &mails[0];
    assert!(to_poster.contains(&format!("To: {POSTER}")), "{to_poster}");
    let reply_to = address(&h, &conversation, Side::Poster);
    assert!(
        to_poster.contains(&format!("Reply-To: Camille <{reply_to}>")),
        "{to_poster}"
    );
    assert!(
        !to_poster.contains("visiteur.prive"),
        "the poster does not see the visitor's address: {to_poster}"
    );
    assert!(unfolded(to_poster).contains("/api/conversations/block?token="));
}

#[tokio::test]
async fn the_posters_reply_reaches_the_visitor_from_the_platform_and_back() {
    let (h, _, conversation, to_visitor) = opened().await;
    assert_eq!(
        relay_fixture(&h, &to_visitor, "plain.eml", POSTER).await,
        Ok(Relayed::Sent)
    );
    let mails = h.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert!(mail.contains(&format!("To: {VISITOR}")), "{mail}");
    assert!(
        mail.contains(
            "From: \"Association Les Lilas via Entraide\" <ne-pas-repondre@entraide.example>"
        ),
        "{mail}"
    );
    let back = address(&h, &conversation, Side::Visitor);
    assert!(mail.contains(&format!("<{back}>")), "Reply-To: {mail}");
    assert!(!mail.contains("poster.prive"), "no poster address: {mail}");
    assert!(
        !mail.contains("Auto-Submitted"),
        "a person wrote it: {mail}"
    );
    let text = decoded_text(mail);
    assert!(
        text.contains("je suis toujours disponible samedi matin"),
        "{text}"
    );
    assert!(text.contains("À bientôt"), "{text}");
    let stored = h
        .store
        .get_conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.from_poster, 1);
    assert_eq!(stored.first_reply, Some(clock()));

    // The visitor answers back, to the address the mail gave.
    h.outbox.lock().unwrap().clear();
    assert_eq!(
        relay_fixture(&h, &back, "quoted_reply.eml", VISITOR).await,
        Ok(Relayed::Sent)
    );
    let mail = &h.mails()[0];
    assert!(mail.contains(&format!("To: {POSTER}")), "{mail}");
    assert!(
        mail.contains("From: \"Camille via Entraide\" <ne-pas-repondre@entraide.example>"),
        "{mail}"
    );
    assert!(
        !mail.contains("visiteur.prive"),
        "no visitor address: {mail}"
    );
    assert!(
        mail.contains(&format!("<{to_visitor}>")),
        "Reply-To: {mail}"
    );
    let stored = h
        .store
        .get_conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.from_visitor, stored.from_poster), (2, 1));
}

#[tokio::test]
async fn a_reply_waits_until_the_visitor_proves_the_address_is_theirs() {
    let (h, offer) = with_offer().await;
    let conversation = contact(&h, &offer).await;
    let copy = h.mails().pop().unwrap();
    assert!(copy.contains(&format!("To: {VISITOR}")), "{copy}");
    let to_poster = h.mails()[0].clone();
    h.outbox.lock().unwrap().clear();
    let to = address(&h, &conversation, Side::Poster);
    // Anyone could have typed that address: nothing is sent to it yet.
    for fixture in ["plain.eml", "quoted_printable.eml"] {
        assert_eq!(
            relay_fixture(&h, &to, fixture, POSTER).await,
            Ok(Relayed::Held)
        );
    }
    assert!(h.mails().is_empty(), "{:?}", h.mails());
    let stored = h
        .store
        .get_conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.held.len(), 2);
    assert_eq!(stored.first_reply, Some(clock()), "the poster did answer");

    // The visitor's link shows a button; its POST confirms and sends them.
    let confirm = link_in(&copy, "/api/conversations/confirm?token=");
    let page = h
        .send(
            axum::http::Request::get(confirm.as_str())
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(text(page).await.contains("C&#x27;est mon adresse"));
    assert!(h.mails().is_empty());
    common::relay::confirm_from(&h, &copy).await;
    let mails = h.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails
            .iter()
            .all(|mail| mail.contains(&format!("To: {VISITOR}")))
    );
    assert!(decoded_text(&mails[1]).contains("deux bénévoles"));
    let stored = h
        .store
        .get_conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.visitor_confirmed && stored.held.is_empty(),
        "nothing kept once sent"
    );

    // Now the replies go at once.
    let poster_mail = relay_fixture(&h, &to, "plain.eml", POSTER).await;
    assert_eq!(poster_mail, Ok(Relayed::Sent));

    // The poster's token confirms nothing (only the visitor's side may).
    let close = link_in(&to_poster, "/api/conversations/close?token=");
    let forged = close.replace("/close?", "/confirm?");
    let response = h.send(post_to(&forged, "")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn can_read_every_kind_of_stored_mail() {
    let (h, _, _, to) = opened().await;
    for (fixture, expected) in [
        ("multipart.eml", "Oui, avec plaisir. Je peux venir mardi."),
        (
            "quoted_printable.eml",
            "Je serai là à 14 h avec deux bénévoles de l'équipe.",
        ),
        ("latin1.eml", "Ça me convient très bien, merci à vous."),
    ] {
        h.outbox.lock().unwrap().clear();
        assert_eq!(
            relay_fixture(&h, &to, fixture, POSTER).await,
            Ok(Relayed::Sent),
            "{fixture}"
        );
        let mail = &h.mails()[0];
        let text = decoded_text(mail);
        assert!(text.contains(expected), "{fixture}: {text}");
        for unwanted in ["<script", "tracker.example", "<img"] {
            assert!(!mail.contains(unwanted), "{fixture}: {mail}");
        }
    }
}

#[tokio::test]
async fn attachments_stay_behind_and_their_sender_is_told() {
    let (h, _, _, to) = opened().await;
    assert_eq!(
        relay_fixture(&h, &to, "attachment.eml", POSTER).await,
        Ok(Relayed::Sent)
    );
    let mails = h.mails();
    assert_eq!(mails.len(), 2, "the message and the notice: {mails:?}");
    assert!(decoded_text(&mails[0]).contains("Voici mon CV en pièce jointe."));
    assert!(decoded_text(&mails[0]).contains("ne les transmet pas"));
    for mail in &mails {
        assert!(
            !mail.contains("cv.pdf") && !mail.contains("JVBERi0"),
            "{mail}"
        );
    }
    assert!(mails[1].contains(&format!("To: {POSTER}")), "{}", mails[1]);
    assert!(decoded_text(&mails[1]).contains("sans ses pièces jointes"));
}

#[tokio::test]
async fn automatic_replies_and_bounces_are_not_relayed() {
    let (h, _, _, to) = opened().await;
    for fixture in ["auto_reply.eml", "vacation_subject.eml"] {
        assert_eq!(
            relay_fixture(&h, &to, fixture, POSTER).await,
            Ok(Relayed::Automatic),
            "{fixture}"
        );
    }
    // A bounce: empty envelope sender.
    let recipient = relay::recipient(&h.state, &to).await.unwrap();
    let raw = fixture("plain.eml", &to, POSTER);
    assert_eq!(
        relay::relay(&h.state, &recipient, "", &raw).await,
        Ok(Relayed::Automatic)
    );
    assert!(h.mails().is_empty(), "{:?}", h.mails());
}

#[tokio::test]
async fn errors_on_strangers_forged_addresses_and_overlong_text() {
    let (h, _, _, to) = opened().await;
    // The visitor's address writing as the poster, and a stranger.
    for from in [VISITOR, "inconnu@exemple.org"] {
        assert_eq!(
            relay_fixture(&h, &to, "plain.eml", from).await,
            Err(Refusal::NotAParty),
            "{from}"
        );
    }
    let (local, _) = to.split_once('@').unwrap();
    let mut forged = local.to_owned();
    forged.replace_range(30..31, if &local[30..31] == "0" { "1" } else { "0" });
    for address in [
        format!("{forged}@{REPLY_DOMAIN}"),
        format!("{local}@autre.example"),
        format!("v{}@{REPLY_DOMAIN}", &local[1..]),
        "n-importe-quoi@reponses.entraide.example".into(),
    ] {
        assert_eq!(
            relay::recipient(&h.state, &address).await.err(),
            Some(Refusal::UnknownAddress),
            "{address}"
        );
    }
    // Case folded by a server: still the same address.
    assert!(relay::recipient(&h.state, &to.to_uppercase()).await.is_ok());

    let recipient = relay::recipient(&h.state, &to).await.unwrap();
    let long = "Un message bien trop long. ".repeat(11_000);
    let raw = format!(
        "From: {POSTER}\r\nTo: {to}\r\nSubject: Re: long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{long}\r\n"
    );
    assert_eq!(
        relay::relay(&h.state, &recipient, POSTER, raw.as_bytes()).await,
        Err(Refusal::TooLong)
    );
    assert!(h.mails().is_empty());

    // A reader who refused our mail (a complaint) gets no more of it.
    functions::alerts_run::suppress(&h.state, VISITOR, clock())
        .await
        .unwrap();
    assert_eq!(
        relay_fixture(&h, &to, "plain.eml", POSTER).await,
        Err(Refusal::Closed)
    );
}

#[tokio::test]
async fn a_conversation_closes_after_its_days_with_its_offer_or_by_a_link() {
    let (h, offer) = with_offer().await;
    let conversation = contact(&h, &offer).await;
    let to = address(&h, &conversation, Side::Poster);

    // Lapsed: the last message is older than `conversation_days`.
    let mut old = conversation.clone();
    old.last_message = clock() - Duration::days(90);
    let old = h.store.update_conversation(&old).await.unwrap();
    assert_eq!(
        relay::recipient(&h.state, &to).await.err(),
        Some(Refusal::Closed)
    );
    let mut fresh = old.clone();
    fresh.last_message = clock();
    h.store.update_conversation(&fresh).await.unwrap();
    assert!(relay::recipient(&h.state, &to).await.is_ok());

    // Closed from the visitor's link: its GET changes nothing, its POST closes.
    let mail = h.mails()[0].clone();
    let close = link_in(&mail, "/api/conversations/close?token=");
    let path = close.trim_start_matches(common::ORIGIN);
    let page = h
        .send(
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let status = page.status();
    let body = text(page).await;
    assert_eq!(status, StatusCode::OK, "{path} {body}");
    assert!(body.contains("Clore la conversation"));
    assert!(relay::recipient(&h.state, &to).await.is_ok());
    let done = h.send(post_to(path, "")).await;
    let status = done.status();
    let body = text(done).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Conversation close"));
    assert_eq!(
        relay::recipient(&h.state, &to).await.err(),
        Some(Refusal::Closed)
    );

    // Erased offer: closed too.
    let other = contact(&h, &offer).await;
    let to_other = address(&h, &other, Side::Visitor);
    assert!(relay::recipient(&h.state, &to_other).await.is_ok());
    h.store.delete(offer.id).await.unwrap();
    assert_eq!(
        relay::recipient(&h.state, &to_other).await.err(),
        Some(Refusal::Closed)
    );
}

#[tokio::test]
async fn a_poster_who_blocks_a_visitor_gets_no_more_of_their_messages() {
    let (h, offer) = with_offer().await;
    contact(&h, &offer).await;
    let mail = h.mails()[0].clone();
    let block = link_in(&mail, "/api/conversations/block?token=");
    let path = block.trim_start_matches(common::ORIGIN);
    let done = h.send(post_to(path, "")).await;
    assert_eq!(done.status(), StatusCode::OK);
    let closed = h.store.list_conversations().await.unwrap().pop().unwrap();
    assert!(
        closed
            .closed
            .is_some_and(|closure| closure.blocked && closure.by == Side::Poster)
    );

    h.outbox.lock().unwrap().clear();
    contact_again(&h, &offer).await;
    assert!(h.mails().is_empty(), "{:?}", h.mails());
    // A cross-site post acts on nothing.
    let forged = axum::http::Request::post(path)
        .header("origin", "https://ailleurs.example")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(h.send(forged).await.status(), StatusCode::FORBIDDEN);
}

/// The blocked visitor writes again: the page says it left, nothing leaves.
async fn contact_again(h: &Harness, offer: &Offer) {
    let response = h.send(post_to("/api/contact", &contact_form(offer))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_smtp_server_refuses_unknown_addresses_at_rcpt_and_relays_the_rest() {
    let (h, _, conversation, _) = opened().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(functions::inbound_smtp::serve(listener, h.state.clone()));
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();

    let unknown = format!("p{}@{REPLY_DOMAIN}", "0".repeat(46));
    let raw = fixture("plain.eml", &unknown, POSTER);
    let envelope = lettre::address::Envelope::new(
        Some(POSTER.parse().unwrap()),
        vec![unknown.parse().unwrap()],
    )
    .unwrap();
    let refused = smtp.send_raw(&envelope, &raw).await.unwrap_err();
    assert!(refused.is_permanent(), "{refused}");
    assert!(refused.to_string().contains("550"), "{refused}");

    let to = address(&h, &conversation, Side::Poster);
    let raw = fixture("plain.eml", &to, POSTER);
    let envelope =
        lettre::address::Envelope::new(Some(POSTER.parse().unwrap()), vec![to.parse().unwrap()])
            .unwrap();
    smtp.send_raw(&envelope, &raw).await.unwrap();
    let mails = h.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("To: {VISITOR}")));

    // A stranger is refused at the end of DATA, with the reason.
    let raw = fixture("plain.eml", &to, "inconnu@exemple.org");
    let envelope = lettre::address::Envelope::new(
        Some("inconnu@exemple.org".parse().unwrap()),
        vec![to.parse().unwrap()],
    )
    .unwrap();
    let refused = smtp.send_raw(&envelope, &raw).await.unwrap_err();
    assert!(refused.to_string().contains("n'accepte que"), "{refused}");
    assert_eq!(h.mails().len(), 1);
    server.abort();
}
