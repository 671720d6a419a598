//! `POST /api/offers/links`: a poster who lost their private link, or whose link
//! died, gets a fresh one for each of their offers, mailed to the offers' own
//! address. The answer is the same whether the address has offers or not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use offers::Status;
use offers::validate::{FieldError, validate_email};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::error::AppError;
use crate::extract::Form;
use crate::forms::sent_too_fast;
use crate::limits;
use crate::mailer::Outgoing;
use crate::mails::send;
use crate::pages;
use crate::signed_links::manage_link;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LinksFields {
    email: String,
    website: String,
    form_token: String,
}

pub(crate) async fn post_links(
    State(state): State<AppState>,
    client: Client,
    Form(fields): Form<LinksFields>,
) -> Result<Response, AppError> {
    let sent = Redirect::to("/gerer/merci/").into_response();
    if !fields.website.is_empty() {
        return Ok(sent);
    }
    let mut errors: Vec<FieldError> = sent_too_fast(&state, &fields.form_token)
        .into_iter()
        .collect();
    let address = validate_email(&fields.email);
    if let Err(error) = &address {
        errors.push(error.clone());
    }
    let address = match address {
        Ok(address) if errors.is_empty() => address,
        _ => return refill(&state, &fields, &errors),
    };
    for (limit, who) in [
        (&limits::LINK_REQUESTS_PER_CLIENT, client.rate_key()),
        (
            &limits::LINK_REQUESTS_PER_ADDRESS,
            limits::quota_key(&address),
        ),
        (&limits::LINK_REQUESTS, "site".to_owned()),
    ] {
        if let Err(error) = limits::count(&state, limit, &who).await {
            return refill(&state, &fields, &[error]);
        }
    }
    // Answered before the store is read: how long the answer takes says nothing
    // of whether the address has offers.
    tokio::spawn(async move {
        if let Err(error) = mail_links(&state, &address).await {
            tracing::error!("private links not sent: {error}");
        }
    });
    Ok(sent)
}

/// Mails a fresh private link for each offer of `address`, if it has any.
async fn mail_links(state: &AppState, address: &str) -> Result<(), AppError> {
    let mailbox = limits::mailbox(address);
    // A scan: rare, and limited per client, per address and for the site.
    let offers: Vec<_> = state
        .store
        .list(None)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .filter(|offer| offer.status != Status::Pending && limits::mailbox(&offer.email) == mailbox)
        .collect();
    if offers.is_empty() {
        tracing::info!("private links asked for an address without offers");
        return Ok(());
    }
    let now = state.now();
    let links: Vec<Value> = offers
        .iter()
        .map(|offer| {
            json!({
                "title": offer.title,
                "status": match offer.visible_status(now) {
                    Status::Published => "en ligne",
                    Status::Filled => "pourvue",
                    Status::Expired => "expirée",
                    Status::Removed => "masquée par la modération",
                    Status::Pending => "en attente",
                },
                "link": manage_link(state, offer),
            })
        })
        .collect();
    let subject = if offers.len() == 1 {
        "Votre nouveau lien privé".to_owned()
    } else {
        format!("Vos {} nouveaux liens privés", offers.len())
    };
    let mail = Outgoing::themed(
        &state.site(),
        "links",
        &offers[0].email,
        subject,
        &json!({ "offers": links }),
    );
    send(state, mail).await?;
    tracing::info!(offers = offers.len(), "private links mailed again");
    Ok(())
}

fn refill(
    state: &AppState,
    fields: &LinksFields,
    errors: &[FieldError],
) -> Result<Response, AppError> {
    let mut values = Map::new();
    values.insert("email".into(), Value::String(fields.email.clone()));
    let context = generator::forms::links_context(&values, errors);
    pages::themed(
        state,
        "links.html",
        &context,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
