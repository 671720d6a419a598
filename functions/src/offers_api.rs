//! Posting an offer (`POST /api/offers`), confirming it by mail
//! (`GET /api/offers/confirm`), and the form's signed timestamp (`GET /api/form-token`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Duration;
use offers::validate::{FieldError, OfferInput, Rules, expiry, validate};
use offers::{Offer, Status, Ulid};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{AppError, json_error};
use crate::limits;
use crate::mailer::Outgoing;
use crate::pages::{self, Button};
use crate::state::AppState;
use crate::tokens::Purpose;

/// How long the confirmation link lives; unconfirmed offers go after that.
const CONFIRM_HOURS: i64 = 48;
/// How long a form token stays usable after the page was loaded.
const FORM_TOKEN_HOURS: i64 = 12;
/// How long the private management link lives.
pub(crate) const MANAGE_DAYS: i64 = 365;

/// The posting form as sent by a browser (`application/x-www-form-urlencoded`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FormFields {
    kind: String,
    engagement: String,
    author_kind: String,
    author_name: String,
    domain: String,
    title: String,
    description: String,
    /// Comma-separated.
    skills: String,
    commune: String,
    remote: Option<String>,
    department: String,
    start: String,
    end: String,
    email: String,
    consent: Option<String>,
    website: String,
    form_token: String,
    /// On the management page: `edit`, `renew`, `fill` or `delete`.
    pub(crate) action: String,
    /// On the management page: the version the form was drawn from.
    pub(crate) version: u64,
    /// On the management page of a hidden offer: a word to the moderators.
    pub(crate) message: String,
    /// On the management page: `oui` when the deletion is confirmed.
    pub(crate) confirm: String,
}

/// A urlencoded form posted from the site itself: the origin checked, the fields read.
pub(crate) fn posted_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, AppError> {
    check_origin(headers, &state.base_url())?;
    serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("Le formulaire reçu est illisible."))
}

impl FormFields {
    pub(crate) fn input(&self) -> OfferInput {
        OfferInput {
            kind: self.kind.clone(),
            engagement: self.engagement.clone(),
            author_kind: self.author_kind.clone(),
            author_name: self.author_name.clone(),
            domain: self.domain.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            skills: self
                .skills
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            commune: self.commune.clone(),
            remote: checked(self.remote.as_deref()),
            department: self.department.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            email: self.email.clone(),
        }
    }
}

/// A checkbox: browsers send it only when ticked, with a value (`on` by default).
fn checked(value: Option<&str>) -> bool {
    value.is_some_and(|value| !value.is_empty())
}

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

/// A submission, whatever its encoding.
struct Submission {
    input: OfferInput,
    consent: bool,
    honeypot: bool,
    form_token: String,
    json: bool,
}

impl Submission {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Submission, AppError> {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
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

/// Form fields as typed, to refill a form.
pub(crate) fn input_values(input: &OfferInput) -> Map<String, Value> {
    let mut values = Map::new();
    for (key, value) in [
        ("kind", &input.kind),
        ("engagement", &input.engagement),
        ("author_kind", &input.author_kind),
        ("author_name", &input.author_name),
        ("domain", &input.domain),
        ("title", &input.title),
        ("description", &input.description),
        ("commune", &input.commune),
        ("department", &input.department),
        ("start", &input.start),
        ("end", &input.end),
        ("email", &input.email),
    ] {
        values.insert(key.to_owned(), Value::String(value.clone()));
    }
    values.insert("skills".into(), Value::String(input.skills.join(", ")));
    values.insert("remote".into(), Value::Bool(input.remote));
    values
}

/// The scheme, host and port of a URL: what browsers send as `Origin`.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// Refuses cross-site posts: a plain HTML form triggers no CORS preflight.
pub fn check_origin(headers: &HeaderMap, base_url: &str) -> Result<(), AppError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return if origin.as_bytes() == origin_of(base_url).as_bytes() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        };
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"same-origin" | b"none") => Ok(()),
        Some(_) => Err(AppError::Forbidden),
    }
}

/// Whether a form carries a valid form token (its page ran our script).
pub(crate) fn has_form_token(state: &AppState, form_token: &str) -> bool {
    state
        .secret
        .verify(form_token, Purpose::Form, state.now().timestamp())
        .is_ok()
}

/// A form token younger than `min_fill_seconds`: a robot's speed. A missing or
/// invalid token is not an error here (forms work without JavaScript).
pub(crate) fn sent_too_fast(state: &AppState, form_token: &str) -> Option<FieldError> {
    let now = state.now().timestamp();
    let claims = state.secret.verify(form_token, Purpose::Form, now).ok()?;
    (now - claims.issued < state.min_fill_seconds).then(|| FieldError {
        field: "form",
        message: "Le formulaire a été envoyé trop vite. Relisez-le, puis envoyez-le à nouveau."
            .into(),
    })
}

fn invalid(state: &AppState, submission: &Submission, errors: Vec<FieldError>) -> Response {
    if submission.json {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "errors": errors })),
        )
            .into_response();
    }
    let context =
        generator::forms::publish_context(&state.site().config, &submission.values(), &errors);
    match state.site().render_page("publish.html", &context) {
        Ok(html) => (StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response(),
        Err(error) => AppError::internal(error).page(&state.site()),
    }
}

pub async fn form_token(State(state): State<AppState>) -> Response {
    let now = state.now().timestamp();
    let token = state
        .secret
        .sign(Purpose::Form, "form", 0, now, now + FORM_TOKEN_HOURS * 3600);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "token": token })),
    )
        .into_response()
}

pub async fn post_offer(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let headers = &parts.headers;
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let fail = |error: AppError| {
        if json {
            json_error(error)
        } else {
            error.page(&state.site())
        }
    };
    if let Err(error) = check_origin(headers, &state.base_url()) {
        return fail(error);
    }
    let submission = match Submission::parse(headers, &body) {
        Ok(submission) => submission,
        Err(error) => return fail(error),
    };
    let sent = || Redirect::to("/publier/merci/").into_response();
    if submission.honeypot {
        // A robot filled the hidden field: it sees the usual answer, nothing is kept.
        tracing::info!("honeypot submission dropped");
        return sent();
    }
    let now = state.now();
    let mut errors = Vec::new();
    errors.extend(sent_too_fast(&state, &submission.form_token));
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
        _ => return invalid(&state, &submission, errors),
    };
    // A form without a valid token (no JavaScript, or a robot) has a smaller allowance.
    let per_ip = if has_form_token(&state, &submission.form_token) {
        &limits::OFFERS_PER_IP
    } else {
        &limits::OFFERS_PER_IP_WITHOUT_TOKEN
    };
    let (client, mailbox) = (
        limits::client(&state, &parts),
        limits::mailbox(&draft.email),
    );
    for (limit, who) in [(per_ip, &client), (&limits::OFFERS_PER_EMAIL, &mailbox)] {
        if let Err(error) = limits::count(&state, limit, who).await {
            return invalid(&state, &submission, vec![error]);
        }
    }
    let offer = draft.into_offer(Ulid::new(), now, state.site().config.offer_lifetime_days);
    match create_and_mail(&state, &offer).await {
        Ok(()) if submission.json => (
            StatusCode::ACCEPTED,
            Json(json!({ "id": offer.id, "status": "pending" })),
        )
            .into_response(),
        Ok(()) => sent(),
        Err(error) => fail(error),
    }
}

/// Stores the pending offer and sends its confirmation link; if the mail cannot
/// leave, the offer is erased again so that nothing is left half-done.
async fn create_and_mail(state: &AppState, offer: &Offer) -> Result<(), AppError> {
    state
        .store
        .create(offer)
        .await
        .map_err(AppError::internal)?;
    let now = state.now().timestamp();
    let token = state.secret.sign(
        Purpose::Confirm,
        &offer.id.to_string(),
        offer.version,
        now,
        now + CONFIRM_HOURS * 3600,
    );
    let link = format!("{}/api/offers/confirm?token={token}", state.base_url());
    // The mail recalls what was posted: the poster knows which offer it is.
    let recap = json!({
        "link": link,
        "place": offer.place_label(),
        "dates": generator::french::period(offer.start, offer.end),
    });
    let mail = render_mail(
        state,
        "confirm",
        &format!("Confirmez votre annonce « {} »", offer.title),
        offer,
        recap,
    )
    .map_err(AppError::internal);
    let sent = match mail {
        Ok(mail) => state.mailer.send(mail).await.map_err(AppError::internal),
        Err(error) => Err(error),
    };
    if let Err(error) = sent {
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

/// A mail to the poster from the theme's `mail/<name>.txt` and `.html`.
pub(crate) fn render_mail(
    state: &AppState,
    name: &str,
    subject: &str,
    offer: &Offer,
    extra: Value,
) -> Result<Outgoing, generator::BuildError> {
    let mut context =
        json!({ "offer": { "title": offer.title, "author_name": offer.author_name } });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    Outgoing::themed(
        &state.site(),
        name,
        &offer.email,
        subject.to_owned(),
        &context,
    )
}

/// A stored offer, or the French "no longer exists" answer.
pub(crate) async fn stored_offer(state: &AppState, id: Ulid) -> Result<Offer, AppError> {
    state
        .store
        .get(id)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)
}

/// The offer a signed link names, checked for purpose and expiry; a management
/// link must also carry the offer's current token version.
pub(crate) async fn offer_of_token(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<Offer, AppError> {
    let claims = state
        .secret
        .verify(token, purpose, state.now().timestamp())
        .map_err(|_| AppError::BadLink(purpose))?;
    let id = Ulid::from_string(&claims.subject).map_err(|_| AppError::BadLink(purpose))?;
    let offer = stored_offer(state, id).await?;
    if purpose == Purpose::Manage && claims.version != offer.token_version {
        return Err(AppError::BadLink(purpose));
    }
    Ok(offer)
}

/// The private management link of an offer.
pub(crate) fn manage_link(state: &AppState, offer: &Offer) -> String {
    let now = state.now();
    let token = state.secret.sign(
        Purpose::Manage,
        &offer.id.to_string(),
        offer.token_version,
        now.timestamp(),
        (now + Duration::days(MANAGE_DAYS)).timestamp(),
    );
    format!("{}/api/offers/manage?token={token}", state.base_url())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    pub(crate) token: String,
}

/// `GET /api/offers/confirm?token=…`: what the link of the confirmation mail
/// opens. It changes nothing (mail scanners open every link): its button posts.
pub async fn confirm_page(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let page = async {
        let offer = offer_of_token(&state, &query.token, Purpose::Confirm).await?;
        match offer.status {
            Status::Pending => {
                let about = format!(
                    "Votre annonce « {} » est prête. Appuyez sur le bouton pour la mettre en ligne : elle apparaît sur le site dans la minute.",
                    offer.title
                );
                pages::button(
                    &state,
                    &Button {
                        title: "Publier votre annonce",
                        paragraphs: &[&about],
                        action: &format!("/api/offers/confirm?token={}", query.token),
                        label: "Publier mon annonce",
                        link: None,
                    },
                )
            }
            // Already done: the page it leads to.
            Status::Published | Status::Filled | Status::Expired => {
                Ok(Redirect::to(&format!("/annonces/{}/", offer.id)).into_response())
            }
            Status::Removed => Err(AppError::NotFound),
        }
    };
    page.await.unwrap_or_else(|error| error.page(&state.site()))
}

/// `POST /api/offers/confirm?token=…`: publishes the offer.
pub async fn confirm(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    let confirmed = async {
        check_origin(&headers, &state.base_url())?;
        confirm_offer(&state, &query.token).await
    };
    confirmed
        .await
        .unwrap_or_else(|error| error.page(&state.site()))
}

async fn confirm_offer(state: &AppState, token: &str) -> Result<Response, AppError> {
    let now = state.now();
    let mut offer = offer_of_token(state, token, Purpose::Confirm).await?;
    let id = offer.id;
    let page = format!("/annonces/{id}/");
    match offer.status {
        Status::Pending => {}
        // A second click on the link is harmless.
        Status::Published | Status::Filled | Status::Expired => {
            return Ok(Redirect::to(&page).into_response());
        }
        Status::Removed => return Err(AppError::NotFound),
    }
    offer.status = Status::Published;
    offer.published = Some(now);
    offer.updated = now;
    offer.expires = expiry(now, offer.end, state.site().config.offer_lifetime_days);
    let offer = state
        .store
        .update(&offer)
        .await
        .map_err(AppError::internal)?;
    let extra = json!({
        "link": manage_link(state, &offer),
        "offer_url": format!("{}{page}", state.base_url()),
    });
    let mail = render_mail(
        state,
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
