//! What the forms share: the offer form's fields (posting and managing) and how
//! they refill a page, and the form token, a signed timestamp
//! (`GET /api/form-token`) that tells a person's pace from a robot's.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use offers::validate::{FieldError, OfferInput};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::state::AppState;
use crate::tokens::Purpose;

/// How long a form token stays usable after the page was loaded.
const FORM_TOKEN_HOURS: i64 = 12;

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
    pub(crate) consent: Option<String>,
    pub(crate) website: String,
    pub(crate) form_token: String,
    /// On the management page: `edit`, `renew`, `fill` or `delete`.
    pub(crate) action: String,
    /// On the management page: the version the form was drawn from.
    pub(crate) version: u64,
    /// On the management page of a hidden offer: a word to the moderators.
    pub(crate) message: String,
    /// On the management page: `oui` when the deletion is confirmed.
    pub(crate) confirm: String,
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
pub(crate) fn checked(value: Option<&str>) -> bool {
    value.is_some_and(|value| !value.is_empty())
}

/// Form fields as typed, to refill a form: skills comma-separated, as typed.
pub(crate) fn input_values(input: &OfferInput) -> Map<String, Value> {
    // Strings, a list and a boolean: their serialisation cannot fail.
    let mut values = match serde_json::to_value(input) {
        Ok(Value::Object(values)) => values,
        _ => Map::new(),
    };
    values.insert("skills".into(), Value::String(input.skills.join(", ")));
    values
}

/// `GET /api/form-token`: what the form pages load into their `form_token`.
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
