//! One error type for every endpoint, answered in French, as a page of the site's
//! theme or as JSON, and never with an internal detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::tokens::Purpose;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A link that is malformed, forged or expired, by what it was for.
    #[error("invalid link")]
    BadLink(Purpose),
    #[error("not found")]
    NotFound,
    /// The offer exists but takes no more messages (pending, filled, expired, removed).
    #[error("closed")]
    Closed,
    /// A cross-site post, or a form that is not ours.
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A refusal whose French explanation is built for the case.
    #[error("refused: {0}")]
    Refused(String),
    /// The platform is misconfigured for this request (no client address).
    #[error("unavailable")]
    Unavailable,
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        AppError::Internal(error.to_string())
    }

    fn status_and_message(&self) -> (StatusCode, &str) {
        match self {
            AppError::BadLink(Purpose::Manage | Purpose::UndoAddress) => (
                StatusCode::BAD_REQUEST,
                "Ce lien ne fonctionne plus : il est incomplet, il a expiré, ou un lien plus récent l'a remplacé (après un changement d'adresse, par exemple). Inutile de publier à nouveau votre annonce : recevez un lien neuf par courriel.",
            ),
            AppError::BadLink(Purpose::Confirm) => (
                StatusCode::BAD_REQUEST,
                "Ce lien de confirmation ne fonctionne plus : il est incomplet, ou ses 48 heures sont passées. Une annonce non confirmée à temps est effacée avec son adresse : publiez-la de nouveau, puis confirmez-la dans les 48 heures.",
            ),
            AppError::BadLink(_) => (
                StatusCode::BAD_REQUEST,
                "Ce lien ne fonctionne plus : il est incomplet ou il a expiré.",
            ),
            AppError::NotFound => (StatusCode::NOT_FOUND, "Cette annonce n'existe pas ou plus."),
            AppError::Closed => (
                StatusCode::CONFLICT,
                "Cette annonce n'accepte plus de messages : elle est pourvue, expirée ou pas encore publiée. D'autres annonces vous attendent.",
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Ce formulaire doit être envoyé depuis le site lui-même. Rechargez la page et réessayez.",
            ),
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            AppError::Refused(message) => (StatusCode::BAD_REQUEST, message),
            AppError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Le service est momentanément indisponible. Rien n'a été perdu : réessayez dans quelques instants.",
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur est survenue de notre côté. Rien n'a été perdu : réessayez dans quelques instants.",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!("{detail}");
        }
        let (status, message) = self.status_and_message();
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Erreur – Entraide</title></head><body><main><h1>Impossible de continuer</h1><p>{message}</p>\
             <p><a href=\"/\">Retour à l'accueil</a></p></main></body></html>\n"
        );
        (status, Html(html)).into_response()
    }
}

impl AppError {
    /// The error as a page of the site's theme (falls back to a bare page).
    pub fn page(self, site: &generator::Site) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!("{detail}");
        }
        let (status, message) = self.status_and_message();
        // A dead link leads to where a fresh one is had.
        let onwards = match self {
            AppError::BadLink(Purpose::Manage | Purpose::UndoAddress) => {
                ("Recevoir un lien neuf", "/gerer/")
            }
            AppError::BadLink(Purpose::Confirm) => ("Publier une annonce", "/publier/"),
            _ => ("Retour à l'accueil", "/"),
        };
        let context = generator::forms::message_context(
            "Impossible de continuer",
            "/api/",
            &[message],
            Some(onwards),
        );
        match site.render_page("message.html", &context) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => self.into_response(),
        }
    }
}

/// The same errors for JSON clients.
pub fn json_error(error: AppError) -> Response {
    let (status, message) = error.status_and_message();
    (
        status,
        Json(json!({ "errors": [{ "field": null, "message": message }] })),
    )
        .into_response()
}
