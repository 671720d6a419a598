//! Posting an offer (`POST /api/offers`) and confirming it by mail
//! (`GET|POST /api/offers/confirm`).

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use offers::validate::{FieldError, OfferInput, Rules, expiry, validate};
use offers::{Offer, Status, Ulid};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Link, posted_body};
use crate::forms::{FormFields, checked, has_form_token, input_values, sent_too_fast};
use crate::limits;
use crate::mails::{render_mail, send};
use crate::pages::{self, Button};
use crate::signed_links::{ToConfirm, confirm_link, manage_link};
use crate::state::AppState;

/// The same fields as JSON: `skills` is an array, `remote` and `consent` booleans.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JsonFields {
    #[serde(flatten)]
    input: OfferInput,
    consent: bool,
    website: String,
    form_token: String,
}

/// A submission posted from the site itself, whatever its encoding; a JSON
/// client is answered in JSON, refusals included.
pub(crate) struct Submission {
    input: OfferInput,
    consent: bool,
    honeypot: bool,
    form_token: String,
    json: bool,
}

impl FromRequest<AppState> for Submission {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let json = is_json(request.headers());
        let answer = move |error: AppError| if json { error.json() } else { error };
        let body = posted_body(request, state, answer).await?;
        Submission::parse(json, &body).map_err(|error| answer(error).into_response())
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

impl Submission {
    fn parse(json: bool, body: &[u8]) -> Result<Submission, AppError> {
        if json {
            let fields: JsonFields = serde_json::from_slice(body).map_err(|_| {
                AppError::BadRequest("Le corps de la requête n'est pas un JSON valide.")
            })?;
            return Ok(Submission {
                input: fields.input,
                consent: fields.consent,
                honeypot: !fields.website.is_empty(),
                form_token: fields.form_token,
                json,
            });
        }
        let fields: FormFields = serde_urlencoded::from_bytes(body)
            .map_err(|_| AppError::BadRequest("Le formulaire reçu est illisible."))?;
        Ok(Submission {
            input: fields.input(),
            consent: checked(fields.consent.as_deref()),
            honeypot: !fields.website.is_empty(),
            form_token: fields.form_token,
            json,
        })
    }

    /// What the poster typed, to refill the form.
    fn values(&self) -> Map<String, Value> {
        let mut values = input_values(&self.input);
        values.insert("consent".into(), Value::Bool(self.consent));
        values
    }
}

fn invalid(
    state: &AppState,
    submission: &Submission,
    errors: &[FieldError],
) -> Result<Response, AppError> {
    if submission.json {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "errors": errors })),
        )
            .into_response());
    }
    let context =
        generator::forms::publish_context(&state.site().config, &submission.values(), errors);
    let html = state
        .site()
        .render_page("publish.html", &context)
        .map_err(AppError::internal)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

pub(crate) async fn post_offer(
    State(state): State<AppState>,
    client: Client,
    submission: Submission,
) -> Result<Response, AppError> {
    let json = submission.json;
    post(&state, &client, submission)
        .await
        .map_err(|error| if json { error.json() } else { error })
}

async fn post(
    state: &AppState,
    client: &Client,
    submission: Submission,
) -> Result<Response, AppError> {
    let sent = || Redirect::to("/publier/merci/").into_response();
    if submission.honeypot {
        // A robot filled the hidden field: it sees the usual answer, nothing is kept.
        tracing::info!("honeypot submission dropped");
        return Ok(sent());
    }
    let now = state.now();
    let mut errors = Vec::new();
    errors.extend(sent_too_fast(state, &submission.form_token));
    let domains = state.site().config.domain_slugs();
    let rules = Rules {
        domains: &domains,
        today: now.date_naive(),
    };
    let draft = validate(&submission.input, &rules);
    if let Err(found) = &draft {
        errors.extend(found.iter().cloned());
    }
    if !submission.consent {
        errors.push(FieldError {
            field: "consent",
            message: "Acceptez la charte et le traitement de vos données pour publier.".into(),
        });
    }
    let draft = match draft {
        Ok(draft) if errors.is_empty() => draft,
        _ => return invalid(state, &submission, &errors),
    };
    // A form without a valid token (no JavaScript, or a robot) has a smaller allowance.
    let per_ip = if has_form_token(state, &submission.form_token) {
        &limits::OFFERS_PER_IP
    } else {
        &limits::OFFERS_PER_IP_WITHOUT_TOKEN
    };
    let (client, mailbox) = (client.rate_key(), limits::mailbox(&draft.email));
    for (limit, who) in [(per_ip, &client), (&limits::OFFERS_PER_EMAIL, &mailbox)] {
        if let Err(error) = limits::count(state, limit, who).await {
            return invalid(state, &submission, &[error]);
        }
    }
    let offer = draft.into_offer(Ulid::new(), now, state.site().config.offer_lifetime_days);
    create_and_mail(state, &offer).await?;
    if submission.json {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "id": offer.id, "status": "pending" })),
        )
            .into_response());
    }
    Ok(sent())
}

/// Stores the pending offer and sends its confirmation link; if the mail cannot
/// leave, the offer is erased again so that nothing is left half-done.
async fn create_and_mail(state: &AppState, offer: &Offer) -> Result<(), AppError> {
    state
        .store
        .create(offer)
        .await
        .map_err(AppError::internal)?;
    // The mail recalls what was posted: the poster knows which offer it is.
    let recap = json!({
        "link": confirm_link(state, offer),
        "place": offer.place_label(),
        "dates": generator::french::period(offer.start, offer.end),
    });
    let mail = render_mail(
        state,
        "confirm",
        &format!("Confirmez votre annonce « {} »", offer.title),
        offer,
        recap,
    );
    if let Err(error) = send(state, mail).await {
        state
            .store
            .delete(offer.id)
            .await
            .map_err(AppError::internal)?;
        return Err(error);
    }
    // The link is a key to the offer: its id is logged, never the link.
    tracing::info!(offer = %offer.id, "confirmation mail sent");
    Ok(())
}

/// Where a confirmation link leads once the offer is no longer pending: its
/// page (a second click is harmless), or nowhere if moderation removed it.
fn already_confirmed(offer: &Offer) -> Result<Option<Response>, AppError> {
    match offer.status {
        Status::Pending => Ok(None),
        Status::Published | Status::Filled | Status::Expired => Ok(Some(
            Redirect::to(&format!("/annonces/{}/", offer.id)).into_response(),
        )),
        Status::Removed => Err(AppError::NotFound),
    }
}

/// `GET /api/offers/confirm?token=…`: what the link of the confirmation mail
/// opens. It changes nothing (mail scanners open every link): its button posts.
pub(crate) async fn confirm_page(
    State(state): State<AppState>,
    Link {
        token,
        target: ToConfirm { offer, .. },
    }: Link<ToConfirm>,
) -> Result<Response, AppError> {
    if let Some(done) = already_confirmed(&offer)? {
        return Ok(done);
    }
    let about = format!(
        "Votre annonce « {} » est prête. Appuyez sur le bouton pour la mettre en ligne : elle apparaît sur le site dans la minute.",
        offer.title
    );
    pages::button(
        &state,
        &Button {
            title: "Publier votre annonce",
            paragraphs: &[&about],
            action: &format!("/api/offers/confirm?token={token}"),
            label: "Publier mon annonce",
            link: None,
        },
    )
}

/// `POST /api/offers/confirm?token=…`: publishes the offer.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Link {
        target: ToConfirm { mut offer, .. },
        ..
    }: Link<ToConfirm>,
) -> Result<Response, AppError> {
    if let Some(done) = already_confirmed(&offer)? {
        return Ok(done);
    }
    let now = state.now();
    let id = offer.id;
    let page = format!("/annonces/{id}/");
    offer.status = Status::Published;
    offer.published = Some(now);
    offer.listed = Some(now);
    offer.updated = now;
    offer.expires = expiry(now, offer.end, state.site().config.offer_lifetime_days);
    let offer = state
        .store
        .update(&offer)
        .await
        .map_err(AppError::internal)?;
    let extra = json!({
        "link": manage_link(&state, &offer),
        "offer_url": format!("{}{page}", state.base_url()),
    });
    let mail = render_mail(
        &state,
        "published",
        &format!("Votre annonce « {} » est en ligne", offer.title),
        &offer,
        extra,
    )
    .map_err(AppError::internal)?;
    state.rebuild.changed().await;
    // The offer is live whatever happens to this mail; a failure is logged.
    if let Err(error) = state.mailer.send(mail).await {
        tracing::error!(offer = %id, "management link not sent: {error}");
    }
    // The page says, this once, that it worked (`#publiee`, see offer.html).
    Ok(Redirect::to(&format!("{page}#publiee")).into_response())
}
