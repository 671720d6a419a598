//! One error type for every endpoint, answered in French, as a page of the site's
//! theme or as JSON, and never with an internal detail.
//!
//! `AppError` answers by itself with a bare page; around the endpoints,
//! `themed_errors` draws that page again with the site's theme.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;
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
    /// The same error for a JSON client: `{"errors": [{"field": null, "message": …}]}`.
    #[error(transparent)]
    Json(Box<AppError>),
}

impl AppError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        AppError::Internal(error.to_string())
    }

    /// The error answered as JSON.
    pub fn json(self) -> Self {
        match self {
            AppError::Json(_) => self,
            error => AppError::Json(Box::new(error)),
        }
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
            AppError::BadLink(Purpose::AlertConfirm) => (
                StatusCode::BAD_REQUEST,
                "Ce lien de confirmation ne fonctionne plus : il est incomplet, ou ses 48 heures sont passées et l'alerte a été effacée avec votre adresse. Créez-la de nouveau, puis confirmez-la dans les 48 heures.",
            ),
            AppError::BadLink(Purpose::AlertManage | Purpose::Unsubscribe) => (
                StatusCode::BAD_REQUEST,
                "Ce lien ne fonctionne plus : l'alerte a été supprimée (vous ne recevrez plus rien), ou le lien est incomplet ou trop ancien. Le lien du dernier courriel de l'alerte fonctionne.",
            ),
            AppError::BadLink(Purpose::Conversation) => (
                StatusCode::BAD_REQUEST,
                "Ce lien ne fonctionne plus : la conversation a pris fin et a été effacée (plus aucun message ne passe par elle), ou le lien est incomplet.",
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
            AppError::Json(error) => error.status_and_message(),
        }
    }

    /// Where the error page leads: a dead link to where a fresh one is had.
    fn onwards(&self) -> (&'static str, &'static str) {
        match self {
            AppError::BadLink(Purpose::Manage | Purpose::UndoAddress) => {
                ("Recevoir un lien neuf", "/gerer/")
            }
            AppError::BadLink(Purpose::Confirm) => ("Publier une annonce", "/publier/"),
            AppError::BadLink(
                Purpose::AlertConfirm | Purpose::AlertManage | Purpose::Unsubscribe,
            ) => ("Chercher des annonces", "/recherche/"),
            _ => ("Retour à l'accueil", "/"),
        }
    }
}

/// What the theme needs to draw an error's page, left on the bare answer.
#[derive(Debug, Clone)]
struct ErrorPage {
    message: String,
    onwards: (&'static str, &'static str),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!("{detail}");
        }
        let (status, message) = self.status_and_message();
        if let AppError::Json(_) = self {
            return (
                status,
                Json(json!({ "errors": [{ "field": null, "message": message }] })),
            )
                .into_response();
        }
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Erreur – Entraide</title></head><body><main><h1>Impossible de continuer</h1><p>{message}</p>\
             <p><a href=\"/\">Retour à l'accueil</a></p></main></body></html>\n"
        );
        let page = ErrorPage {
            message: message.to_owned(),
            onwards: self.onwards(),
        };
        let mut response = (status, Html(html)).into_response();
        response.extensions_mut().insert(page);
        response
    }
}

/// Draws the endpoints' errors as pages of the site's theme; the bare page
/// stays if the theme fails.
pub async fn themed_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let Some(ErrorPage { message, onwards }) = response.extensions().get::<ErrorPage>().cloned()
    else {
        return response;
    };
    let site = state.site();
    let message = message.as_str();
    let context = generator::forms::message_context(
        "Impossible de continuer",
        "/api/",
        &[message],
        Some(onwards),
    );
    match site.render_page("message.html", &context) {
        Ok(html) => (response.status(), Html(html)).into_response(),
        Err(_) => response,
    }
}
