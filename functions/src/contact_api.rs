//! `POST /api/contact`: a visitor's message relayed to a poster by mail, from the
//! platform. With a reply domain it opens a conversation of the two-way relay
//! (`relay`): the poster answers to the conversation's address and neither sees
//! the other's; without one, the mail's Reply-To is the visitor.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use offers::validate::{FieldError, validate_contact};
use offers::{Offer, Ulid};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use offers::conversations::{Conversation, Side};
use offers::validate::ContactMessage;

use crate::client::Client;
use crate::conversations_api::{ConversationLinks, conversation_links, is_blocked};
use crate::error::AppError;
use crate::extract::{NamesOffer, OfferForm};
use crate::forms::sent_too_fast;
use crate::limits;
use crate::mailer::{Mailbox, Outgoing};
use crate::mails::send;
use crate::relay::reply_mailbox;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ContactFields {
    offer: String,
    name: String,
    email: String,
    message: String,
    website: String,
    form_token: String,
}

impl NamesOffer for ContactFields {
    fn offer(&self) -> &str {
        &self.offer
    }
}

pub(crate) async fn post_contact(
    State(state): State<AppState>,
    client: Client,
    OfferForm { fields, offer }: OfferForm<ContactFields>,
) -> Result<Response, AppError> {
    let state = &state;
    let now = state.now();
    if !offer.is_listed(now) {
        return Err(AppError::Closed);
    }
    let sent = Redirect::to("/contact/merci/").into_response();
    if !fields.website.is_empty() {
        tracing::info!("honeypot contact dropped");
        return Ok(sent);
    }
    let mut errors: Vec<FieldError> = sent_too_fast(state, &fields.form_token)
        .into_iter()
        .collect();
    let message = validate_contact(&fields.name, &fields.email, &fields.message);
    if let Err(found) = &message {
        errors.extend(found.iter().cloned());
    }
    let message = match message {
        Ok(message) if errors.is_empty() => message,
        _ => return refill(state, &offer, &fields, &errors),
    };
    // Per sender, and per offer: a poster is not flooded from many connections.
    let client = client.rate_key();
    for (limit, who) in [
        (&limits::MESSAGES_PER_IP, client.as_str()),
        (&limits::MESSAGES_PER_OFFER, &offer.id.to_string()),
    ] {
        if let Err(error) = limits::count(state, limit, who).await {
            return refill(state, &offer, &fields, &[error]);
        }
    }
    if is_blocked(state, &offer.email, &message.email).await {
        tracing::info!(offer = %offer.id, "message from a blocked visitor dropped");
        return Ok(sent);
    }
    let (reply_to, links, conversation) = match open_conversation(state, &offer, &message).await? {
        Some((reply_to, links, id)) => (reply_to, Some(links), Some(id)),
        None => (
            Mailbox::new(
                Some(message.name.clone()),
                message
                    .email
                    .parse()
                    .map_err(|_| AppError::BadRequest("Adresse électronique invalide."))?,
            ),
            None,
            None,
        ),
    };
    let context = json!({
        "offer": { "title": offer.title, "author_name": offer.author_name },
        "offer_url": format!("{}/annonces/{}/", state.base_url(), offer.id),
        // Never the poster's private link: a reply quoting this mail reaches the visitor.
        "moderation_email": state.site().config.moderation_email,
        "visitor": { "name": message.name, "message": message.message },
        "relay": links.as_ref().map(|links| json!({ "close_url": links.close, "block_url": links.block })),
    });
    let site = state.site();
    let subject = format!("Message à propos de votre annonce « {} »", offer.title);
    let relayed =
        Outgoing::themed(&site, "contact", &offer.email, subject, &context).map(|relayed| {
            Outgoing {
                reply_to: Some(reply_to),
                // A person wrote it: no Auto-Submitted, so that the poster's replies go.
                automatic: false,
                ..relayed
            }
        });
    if let Err(error) = send(state, relayed).await {
        // Nothing left: no conversation waits for an answer that cannot come.
        if let Some(conversation) = conversation {
            let _ = state.store.delete_conversation(conversation).await;
        }
        return Err(error);
    }
    tracing::info!(offer = %offer.id, "contact message relayed");
    send_copy(state, &message.email, &offer, conversation).await;
    Ok(sent)
}

/// With a reply domain, the conversation the message opens: the address the
/// poster answers to (showing the visitor's name), the poster's links to
/// close or block it, and its id.
async fn open_conversation(
    state: &AppState,
    offer: &Offer,
    message: &ContactMessage,
) -> Result<Option<(Mailbox, ConversationLinks, Ulid)>, AppError> {
    if state.site().config.reply_domain.is_none() {
        return Ok(None);
    }
    let conversation = Conversation::open(offer.id, &message.email, &message.name, state.now());
    state
        .store
        .create_conversation(&conversation)
        .await
        .map_err(AppError::internal)?;
    let reply_to = reply_mailbox(state, conversation.id, Side::Poster, &message.name)
        .ok_or(AppError::Unavailable)?;
    Ok(Some((
        reply_to,
        conversation_links(state, conversation.id, Side::Poster),
        conversation.id,
    )))
}

/// The visitor's trace of what they sent: which offer, when — not the text nor
/// the name, which anyone can type (with someone else's address, the copy would
/// carry their words to a stranger from the platform). With the relay, it holds
/// the link that proves the address is the visitor's: the poster's replies wait
/// for it. A few a day per address; a failure is only logged: the message left.
async fn send_copy(state: &AppState, visitor: &str, offer: &Offer, conversation: Option<Ulid>) {
    if limits::count(
        state,
        &limits::MESSAGE_COPIES_PER_ADDRESS,
        &limits::quota_key(visitor),
    )
    .await
    .is_err()
    {
        return;
    }
    let context = json!({
        "offer": { "title": offer.title, "author_name": offer.author_name },
        "offer_url": format!("{}/annonces/{}/", state.base_url(), offer.id),
        "date": generator::french::date(state.now().date_naive()),
        // With the relay, the proof that the address is the visitor's.
        "confirm_url": conversation.map(|id| conversation_links(state, id, Side::Visitor).confirm),
        "moderation_email": state.site().config.moderation_email,
    });
    let subject = format!("Votre message à propos de « {} » est parti", offer.title);
    let copy = Outgoing::themed(&state.site(), "contact_copy", visitor, subject, &context);
    if let Err(error) = send(state, copy).await {
        tracing::error!("trace of a message not sent: {error}");
    }
}

/// The contact form again, with what was typed and what is wrong.
fn refill(
    state: &AppState,
    offer: &Offer,
    fields: &ContactFields,
    errors: &[FieldError],
) -> Result<Response, AppError> {
    let mut values = Map::new();
    values.insert("name".into(), Value::String(fields.name.clone()));
    values.insert("email".into(), Value::String(fields.email.clone()));
    values.insert("message".into(), Value::String(fields.message.clone()));
    let summary = json!({
        "id": offer.id,
        "title": offer.title,
        "author_name": offer.author_name,
        "url": format!("/annonces/{}/", offer.id),
    });
    let context = generator::forms::contact_context(&summary, &values, errors);
    let html = state
        .site()
        .render_page("contact.html", &context)
        .map_err(AppError::internal)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}
