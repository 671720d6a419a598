//! What the relay's tests share: a site with a reply domain, an offer, a
//! conversation opened through the contact form, its addresses, and the
//! stored raw mails of `tests/mails/`.

use chrono::Duration;
use functions::relay::ReplyAddress;
use offers::conversations::{Conversation, Side};
use offers::demo::demo_offers;
use offers::{Offer, Status};

use super::{Harness, clock, harness_with, link_in, post_to};
use axum::http::StatusCode;

pub const REPLY_DOMAIN: &str = "reponses.entraide.example";
pub const POSTER: &str = "poster.prive@exemple.org";
pub const VISITOR: &str = "visiteur.prive@exemple.org";

pub async fn with_offer() -> (Harness, Offer) {
    let h = harness_with(|config| config.reply_domain = Some(REPLY_DOMAIN.into()));
    let mut offer = demo_offers(1, 3, clock()).unwrap().remove(0);
    offer.status = Status::Published;
    offer.published = Some(clock());
    offer.expires = clock() + Duration::days(30);
    offer.email = POSTER.into();
    offer.author_name = "Association Les Lilas".into();
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    (h, offer)
}

/// The contact form as the visitor (Camille, `VISITOR`) sends it.
pub fn contact_form(offer: &Offer) -> String {
    format!(
        "offer={}&name=Camille&email={}&message=Bonjour%2C+je+peux+aider+le+samedi+matin.&website=&form_token=",
        offer.id,
        VISITOR.replace('@', "%40")
    )
}

/// A visitor writes through the contact form: the conversation it opened.
pub async fn contact(h: &Harness, offer: &Offer) -> Conversation {
    let response = h.send(post_to("/api/contact", &contact_form(offer))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut conversations = h.store.list_conversations().await.unwrap();
    conversations.pop().unwrap()
}

pub fn address(h: &Harness, conversation: &Conversation, writer: Side) -> String {
    let local = ReplyAddress {
        conversation: conversation.id,
        writer,
    }
    .local_part(&h.state.secret);
    format!("{local}@{REPLY_DOMAIN}")
}

/// A stored raw mail, sent by `from` to `to`.
pub fn fixture(name: &str, to: &str, from: &str) -> Vec<u8> {
    let path = format!("{}/tests/mails/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(path).unwrap();
    replace(
        &replace(&raw, b"p-TOKEN@reponses.example.org", to.as_bytes()),
        b"camille@example.org",
        from.as_bytes(),
    )
}

pub fn replace(raw: &[u8], what: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(at) = rest.windows(what.len()).position(|window| window == what) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + what.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The visitor confirms their address from the link of their copy (the
/// latest mail to them).
pub async fn confirm_visitor(h: &Harness) {
    let copy = h
        .mails()
        .into_iter()
        .rfind(|mail| mail.contains(&format!("To: {VISITOR}")))
        .unwrap();
    confirm_from(h, &copy).await;
}

/// The visitor follows the confirmation link of `copy`, and its button.
pub async fn confirm_from(h: &Harness, copy: &str) {
    let link = link_in(copy, "/api/conversations/confirm?token=");
    let response = h.send(post_to(&link, "")).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A conversation opened by the visitor, who confirmed their address, the
/// outbox emptied: the harness, the offer, the conversation and the address
/// the poster writes to.
pub async fn opened() -> (Harness, Offer, Conversation, String) {
    let (h, offer) = with_offer().await;
    let opened = contact(&h, &offer).await;
    confirm_visitor(&h).await;
    let conversation = h.store.get_conversation(opened.id).await.unwrap().unwrap();
    h.outbox.lock().unwrap().clear();
    let to = address(&h, &conversation, Side::Poster);
    (h, offer, conversation, to)
}

/// The first text part of a sent mail, decoded.
pub fn decoded_text(mail: &str) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .unwrap();
    parsed.body_text(0).unwrap().into_owned()
}
