//! `POST /api/report` (a visitor reports an offer: the moderators are mailed at
//! each new reporter, and enough distinct reporters hide the offer) and
//! `GET|POST /api/moderate` (a moderator's link: the GET shows one button, the
//! POST hides or restores the offer the token is bound to).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use offers::validate::validate_report;
use offers::{Offer, Status, Ulid};
use serde::Deserialize;
use serde_json::json;
use store::StoreError;

use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Link};
use crate::forms::{has_form_token, sent_too_fast};
use crate::limits;
use crate::mailer::{Mailbox, Outgoing};
use crate::mails::{mail_moderators, send};
use crate::offers_store::{offer_id, reporter_addresses_key, reporters_key, stored_offer};
use crate::pages::{self, Button};
use crate::signed_links::{Moderation, manage_link, moderation_link};
use crate::state::AppState;
use crate::tokens::Purpose;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReportFields {
    offer: String,
    reason: String,
    message: String,
    email: String,
    website: String,
    form_token: String,
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

/// The report's checks run before its offer is read: a robot's report (the
/// honeypot) is thanked whatever it names, and the client's allowance counts
/// reports of offers that do not exist.
pub(crate) async fn post_report(
    State(state): State<AppState>,
    client: Client,
    Form(fields): Form<ReportFields>,
) -> Result<Response, AppError> {
    let state = &state;
    let thanks = Redirect::to("/signalement/merci/").into_response();
    if !fields.website.is_empty() {
        tracing::info!("honeypot report dropped");
        return Ok(thanks);
    }
    if let Some(too_fast) = sent_too_fast(state, &fields.form_token) {
        return Err(AppError::Refused(too_fast.message));
    }
    let id = offer_id(&fields.offer)?;
    let reason = reason_label(&fields.reason).ok_or(AppError::BadRequest(
        "Choisissez le motif du signalement dans la liste.",
    ))?;
    let text = validate_report(&fields.message, &fields.email)
        .map_err(|errors| AppError::Refused(errors[0].message.clone()))?;
    let reply_to = match &text.email {
        Some(address) => Some(Mailbox::new(
            None,
            address
                .parse()
                .map_err(|_| AppError::BadRequest("Adresse électronique invalide."))?,
        )),
        None => None,
    };
    // Only a report sent from the page, at a person's pace, counts towards
    // hiding; one without a form token still reaches the moderators.
    let counts = has_form_token(state, &fields.form_token);
    let per_day = if counts {
        &limits::REPORTS_PER_CLIENT
    } else {
        &limits::REPORTS_PER_CLIENT_WITHOUT_TOKEN
    };
    if limits::count(state, per_day, &client.rate_key())
        .await
        .is_err()
    {
        return Err(AppError::Refused(
            "Trop de signalements depuis votre connexion aujourd'hui : réessayez demain.".into(),
        ));
    }
    let offer = stored_offer(state, id).await?;
    let now = state.now();
    let until = now + Duration::days(state.site().config.report_window_days);
    // One reporter counts once per offer: neither the same network nor the same
    // address counts twice.
    let mark = |key: String, who: &str| {
        let member = state.secret.digest(who);
        async move {
            state
                .store
                .mark(&key, &member, now, until)
                .await
                .map_err(AppError::internal)
        }
    };
    let reporters = mark(reporters_key(id, counts), &client.network_key()).await?;
    if !reporters.new {
        return Ok(thanks);
    }
    if let Some(address) = &text.email
        && !mark(reporter_addresses_key(id), &limits::mailbox(address))
            .await?
            .new
    {
        return Ok(thanks);
    }
    let hide = counts
        && reporters.members >= state.site().config.report_threshold
        && offer.status == Status::Published;
    // The moderators hear of an offer at its first report of the day and when it
    // is hidden, within a cap for the whole site.
    let mail = hide || first_report_today(state, id).await;
    if mail {
        let context = json!({
            "offer": { "title": offer.title },
            "offer_url": format!("{}/annonces/{id}/", state.base_url()),
            "reason": reason,
            "message": text.message,
            "count": reporters.members,
            "hidden": hide,
            "hide_link": moderation_link(state, Purpose::Hide, id),
            "restore_link": moderation_link(state, Purpose::Restore, id),
        });
        let subject = format!("Annonce signalée : « {} »", offer.title);
        // The report stands whatever happens to the mail; a failure is logged.
        if let Err(error) = mail_moderators(state, "report", subject, &context, reply_to).await {
            tracing::error!(offer = %id, "moderators not told of a report: {error}");
        }
    }
    if hide {
        tracing::info!(offer = %id, "hidden after {} reporters", reporters.members);
        set_moderated(state, offer, Status::Removed).await?;
    }
    Ok(thanks)
}

/// Whether the moderators may be mailed about this offer now: once a day per
/// offer, and a cap for the whole site (past it, reports are counted and logged).
async fn first_report_today(state: &AppState, id: Ulid) -> bool {
    if limits::count(state, &limits::MODERATION_MAILS_PER_OFFER, &id.to_string())
        .await
        .is_err()
    {
        return false;
    }
    let site_wide = limits::count(state, &limits::MODERATION_MAILS, "site").await;
    if site_wide.is_err() {
        tracing::warn!(offer = %id, "report not mailed: too many moderation mails this hour");
    }
    site_wide.is_ok()
}

/// Hides an offer (`Removed`, dated) or brings it back (`Published`), rebuilds,
/// and tells its poster; a hidden offer's poster is given a way to ask for a new
/// review (their private page). Who reported it stays known until the marks
/// lapse: the same people cannot hide it again at once. An edit made meanwhile
/// is read again and the decision applied to it.
async fn set_moderated(state: &AppState, mut offer: Offer, status: Status) -> Result<(), AppError> {
    let offer = loop {
        if offer.status == status {
            return Ok(());
        }
        offer.status = status;
        offer.updated = state.now();
        offer.hidden = (status == Status::Removed).then(|| state.now());
        if status == Status::Published {
            offer.listed = Some(state.now());
        }
        match state.store.update(&offer).await {
            Ok(stored) => break stored,
            Err(StoreError::VersionConflict { .. }) => {
                offer = stored_offer(state, offer.id).await?
            }
            Err(error) => return Err(AppError::internal(error)),
        }
    };
    state.rebuild.changed().await;
    tell_poster(state, &offer, status == Status::Removed).await;
    Ok(())
}

/// The poster's mail after a moderation decision; a failure is logged, the
/// decision stands.
async fn tell_poster(state: &AppState, offer: &Offer, hidden: bool) {
    let context = json!({
        "offer": { "title": offer.title, "author_name": offer.author_name },
        "hidden": hidden,
        "link": manage_link(state, offer),
        "offer_url": format!("{}/annonces/{}/", state.base_url(), offer.id),
        "keep_days": state.site().config.keep_closed_days,
    });
    let subject = if hidden {
        format!("Votre annonce « {} » est masquée", offer.title)
    } else {
        format!("Votre annonce « {} » est de nouveau en ligne", offer.title)
    };
    let mail = Outgoing::themed(&state.site(), "moderated", &offer.email, subject, &context);
    if let Err(error) = send(state, mail).await {
        tracing::error!(offer = %offer.id, "poster not told of moderation: {error}");
    }
}

/// `GET /api/moderate?token=…`: what the moderator's link opens; changes nothing.
pub(crate) async fn moderate_page(
    State(state): State<AppState>,
    Link {
        token,
        target: Moderation { purpose, offer },
    }: Link<Moderation>,
) -> Result<Response, AppError> {
    let (title, label) = if purpose == Purpose::Hide {
        ("Masquer une annonce", "Masquer l'annonce")
    } else {
        ("Rétablir une annonce", "Rétablir l'annonce")
    };
    let state_now = if offer.status == Status::Removed {
        "Elle est actuellement masquée."
    } else {
        "Elle est actuellement visible sur le site."
    };
    let about = format!("Annonce « {} ». {state_now}", offer.title);
    let offer_page = format!("/annonces/{}/", offer.id);
    pages::button(
        &state,
        &Button {
            title,
            paragraphs: &[&about],
            action: &format!("/api/moderate?token={token}"),
            label,
            link: Some(("Voir l'annonce", &offer_page)),
        },
    )
}

/// `POST /api/moderate?token=…`: the moderator's decision.
pub(crate) async fn moderate(
    State(state): State<AppState>,
    Link {
        target: Moderation { purpose, offer },
        ..
    }: Link<Moderation>,
) -> Result<Response, AppError> {
    let id = offer.id;
    let (status, done, already) = if purpose == Purpose::Hide {
        (
            Status::Removed,
            "L'annonce est masquée : elle a quitté le site. Son auteur en est prévenu.",
            "L'annonce était déjà masquée : rien n'a changé.",
        )
    } else {
        (
            Status::Published,
            "L'annonce est rétablie et de nouveau en ligne. Son auteur en est prévenu.",
            "L'annonce n'était pas masquée : rien n'a changé.",
        )
    };
    // A filled or expired offer keeps its page a while: it can be hidden too.
    let applies = match status {
        Status::Removed => offer.status != Status::Removed && offer.status != Status::Pending,
        _ => offer.status == Status::Removed,
    };
    let said = if applies {
        set_moderated(&state, offer, status).await?;
        tracing::info!(offer = %id, "moderation: {}", if status == Status::Removed { "hidden" } else { "restored" });
        done
    } else {
        already
    };
    let offer_page = format!("/annonces/{id}/");
    pages::message(
        &state,
        "Modération",
        "/api/moderate",
        &[said],
        Some(("Voir l'annonce", &offer_page)),
    )
}
