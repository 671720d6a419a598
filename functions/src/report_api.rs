//! `POST /api/report` (a visitor reports an offer: the moderators get a mail with
//! signed links, and enough reports hide the offer) and `GET /api/moderate`
//! (a moderator hides or restores it).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Duration;
use offers::{Offer, Status, Ulid};
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::limits;
use crate::mailer::Outgoing;
use crate::offers_api::{offer_of_token, posted_form, stored_offer};
use crate::state::AppState;
use crate::tokens::Purpose;

/// How long a moderator's links stay usable.
const MODERATE_DAYS: i64 = 30;
const MAX_REPORT_CHARS: usize = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReportFields {
    offer: String,
    reason: String,
    message: String,
}

fn reason_label(reason: &str) -> Option<&'static str> {
    match reason {
        "illegal" => Some("contenu illicite ou discriminatoire"),
        "scam" => Some("arnaque, démarchage ou publicité"),
        "personal_data" => Some("données personnelles exposées"),
        "other" => Some("autre motif"),
        _ => None,
    }
}

fn report_key(id: Ulid) -> String {
    format!("report:{id}")
}

pub async fn post_report(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    report(&state, &parts, &body)
        .await
        .unwrap_or_else(|error| error.page(&state.site()))
}

async fn report(state: &AppState, parts: &Parts, body: &[u8]) -> Result<Response, AppError> {
    let fields: ReportFields = posted_form(state, &parts.headers, body)?;
    let id = Ulid::from_string(fields.offer.trim()).map_err(|_| AppError::NotFound)?;
    let reason = reason_label(&fields.reason).ok_or(AppError::BadRequest(
        "Choisissez le motif du signalement dans la liste.",
    ))?;
    let message = fields.message.replace("\r\n", "\n").trim().to_owned();
    if message.chars().count() > MAX_REPORT_CHARS
        || message.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(AppError::BadRequest(
            "Les précisions doivent tenir en 1 000 caractères, sans caractère spécial.",
        ));
    }
    if limits::count(state, &limits::REPORTS_PER_IP, &limits::client_ip(parts))
        .await
        .is_err()
    {
        return Err(AppError::BadRequest(
            "Trop de signalements depuis votre connexion : réessayez dans une heure.",
        ));
    }
    let mut offer = stored_offer(state, id).await?;
    let now = state.now();
    let count = state
        .store
        .bump(&report_key(id), now, now + Duration::days(365))
        .await
        .map_err(AppError::internal)?;
    let hidden = count >= state.site().config.reports_to_hide && offer.status == Status::Published;
    if hidden {
        offer.status = Status::Removed;
        offer.updated = now;
        offer = state
            .store
            .update(&offer)
            .await
            .map_err(AppError::internal)?;
        state.rebuild.changed().await;
        tracing::info!(offer = %id, "hidden after {count} reports");
    }
    let link = |action: &str| {
        let token = state.secret.sign(
            Purpose::Moderate,
            &id.to_string(),
            0,
            now.timestamp(),
            (now + Duration::days(MODERATE_DAYS)).timestamp(),
        );
        format!(
            "{}/api/moderate?action={action}&token={token}",
            state.base_url()
        )
    };
    let context = json!({
        "offer": { "title": offer.title },
        "offer_url": format!("{}/annonces/{id}/", state.base_url()),
        "reason": reason,
        "message": message,
        "count": count,
        "hidden": hidden,
        "hide_link": link("hide"),
        "restore_link": link("restore"),
    });
    let render = |name: &str| {
        state
            .site()
            .render_page(name, context.clone())
            .map_err(AppError::internal)
    };
    let mail = Outgoing {
        to: state.site().config.moderation_email.clone(),
        reply_to: None,
        subject: format!("Annonce signalée : « {} »", offer.title),
        text: render("mail/report.txt")?,
        html: render("mail/report.html")?,
        automatic: true,
    };
    state.mailer.send(mail).await.map_err(AppError::internal)?;
    Ok(Redirect::to("/signalement/merci/").into_response())
}

#[derive(Deserialize)]
pub struct ModerateQuery {
    action: String,
    token: String,
}

pub async fn moderate(
    State(state): State<AppState>,
    Query(query): Query<ModerateQuery>,
) -> Response {
    decide(&state, &query)
        .await
        .unwrap_or_else(|error| error.page(&state.site()))
}

async fn decide(state: &AppState, query: &ModerateQuery) -> Result<Response, AppError> {
    let mut offer: Offer = offer_of_token(state, &query.token, Purpose::Moderate).await?;
    let (status, said) = match query.action.as_str() {
        "hide" => (
            Status::Removed,
            "L'annonce est masquée : elle a quitté le site.",
        ),
        "restore" => (
            Status::Published,
            "L'annonce est rétablie et de nouveau en ligne.",
        ),
        _ => return Err(AppError::BadRequest("Action de modération inconnue.")),
    };
    if offer.status != status && matches!(offer.status, Status::Published | Status::Removed) {
        offer.status = status;
        offer.updated = state.now();
        state
            .store
            .update(&offer)
            .await
            .map_err(AppError::internal)?;
        if status == Status::Published {
            state
                .store
                .reset(&report_key(offer.id))
                .await
                .map_err(AppError::internal)?;
        }
        state.rebuild.changed().await;
        tracing::info!(offer = %offer.id, "moderation: {}", query.action);
    }
    let context = generator::forms::message_context(
        "Modération",
        "/api/moderate",
        &[said],
        Some(("Voir l'annonce", &format!("/annonces/{}/", offer.id))),
    );
    let html = state
        .site()
        .render_page("message.html", context)
        .map_err(AppError::internal)?;
    Ok((StatusCode::OK, Html(html)).into_response())
}
