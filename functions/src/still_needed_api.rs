//! `GET|POST /api/offers/still-needed?token=…&choix=renew|fill`: the two
//! buttons of the « still needed? » mail (`followups`). Opened, a link shows
//! its one button; the button's POST renews the offer (« Toujours
//! d'actualité », dated on its page) or marks it filled.

use axum::extract::{Query, State};
use axum::response::Response;
use offers::Status;
use serde::Deserialize;
use store::StoreError;

use crate::error::AppError;
use crate::extract::Link;
use crate::manage_api::relist;
use crate::pages::{self, Button};
use crate::signed_links::ToAnswer;
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct Choice {
    choix: String,
}

/// What a choice does, if the offer's status allows it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    StillNeeded,
    Filled,
}

fn answer(choice: &Choice, status: Status) -> Result<Answer, AppError> {
    match (choice.choix.as_str(), status) {
        ("renew", Status::Published | Status::Expired) => Ok(Answer::StillNeeded),
        ("fill", Status::Published) => Ok(Answer::Filled),
        _ => Err(AppError::Refused(
            "Ce choix n'est plus possible pour cette annonce : elle a changé depuis le courriel. Votre lien privé de gestion montre où elle en est.".into(),
        )),
    }
}

/// `GET`: the button of the chosen answer; nothing changes.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(choice): Query<Choice>,
    Link { token, target }: Link<ToAnswer>,
) -> Result<Response, AppError> {
    let offer = &target.offer;
    let about = format!("Annonce « {} ».", offer.title);
    let action = format!(
        "/api/offers/still-needed?token={token}&choix={}",
        choice.choix
    );
    let lifetime = state.site().config.offer_lifetime_days;
    let (title, consequence, label) = match answer(&choice, offer.status)? {
        Answer::StillNeeded => (
            "Toujours d'actualité ?",
            format!(
                "Elle restera en ligne {lifetime} jours de plus, avec la mention « Toujours d'actualité » datée d'aujourd'hui."
            ),
            "Oui, toujours d'actualité",
        ),
        Answer::Filled => (
            "Annonce pourvue ?",
            "Elle quittera les listes ; sa page restera visible quelque temps avec la mention « pourvue ».".to_owned(),
            "Oui, elle est pourvue",
        ),
    };
    pages::button(
        &state,
        &Button {
            title,
            paragraphs: &[&about, &consequence],
            action: &action,
            label,
            link: None,
        },
    )
}

/// `POST`: renews the offer or marks it filled.
pub(crate) async fn act(
    State(state): State<AppState>,
    Query(choice): Query<Choice>,
    Link { target, .. }: Link<ToAnswer>,
) -> Result<Response, AppError> {
    let mut offer = target.offer;
    let now = state.now();
    let done = match answer(&choice, offer.status)? {
        Answer::StillNeeded => {
            relist(
                &mut offer,
                now,
                state.site().config.offer_lifetime_days,
                true,
            );
            offer.followup.still_needed = Some(now);
            format!(
                "Merci ! L'annonce reste en ligne jusqu'au {}, avec la mention « Toujours d'actualité ».",
                generator::french::date(offer.expires.date_naive())
            )
        }
        Answer::Filled => {
            offer.status = Status::Filled;
            "Merci ! L'annonce est marquée pourvue : elle quitte les listes.".to_owned()
        }
    };
    offer.updated = now;
    state
        .store
        .update(&offer)
        .await
        .map_err(|error| match error {
            StoreError::VersionConflict { .. } => AppError::Refused(
                "L'annonce vient d'être modifiée : rouvrez le lien du courriel pour recommencer."
                    .into(),
            ),
            error => AppError::internal(error),
        })?;
    state.rebuild.changed().await;
    tracing::info!(offer = %offer.id, "answered the still-needed mail");
    pages::message(
        &state,
        "C'est noté",
        "/api/offers/still-needed",
        &[&done],
        Some(("Voir l'annonce", &format!("/annonces/{}/", offer.id))),
    )
}
