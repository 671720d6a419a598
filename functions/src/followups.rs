//! What follows an offer once it is online, done by the alerts pass once an
//! hour, its mails at the pace of the alert mails (`alerts_run::Pace`):
//! - the « still needed? » mail, `REMIND_DAYS_BEFORE` days before an offer
//!   expires, once per period (the expiry it was about is kept), never to an
//!   address that refused our mail: « Toujours d'actualité » renews the
//!   offer, « Pourvue » marks it filled (`still_needed_api`);
//! - conversations of the relay its poster left unanswered for
//!   `UNANSWERED_AFTER_DAYS` days: after `UNANSWERED_IN_A_ROW` in a row, a
//!   gentle mail to the poster. Nothing of it is shown publicly.

use chrono::{DateTime, Duration, Utc};
use offers::conversations::Conversation;
use offers::validate::expiry;
use offers::{Offer, Status};
use serde_json::json;

use crate::alerts_run::{Pace, refuses_our_mail};
use crate::error::AppError;
use crate::mails::render_mail;
use crate::offers_store::change_followup;
use crate::signed_links::{manage_link, still_needed_link};
use crate::state::AppState;

/// Days before its expiry that an offer's poster is asked whether it is still needed.
pub const REMIND_DAYS_BEFORE: i64 = 7;
/// Days without the poster's reply after which a conversation counts as unanswered.
pub const UNANSWERED_AFTER_DAYS: i64 = 7;
/// Unanswered conversations in a row that bring the poster a reminder.
pub const UNANSWERED_IN_A_ROW: u32 = 3;
/// The store cursor holding when the follow-up last ran (Unix seconds).
const CURSOR: &str = "followups";
/// How often it runs.
const EVERY_SECONDS: i64 = 3600;

/// What a follow-up did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Followed {
    /// « Still needed? » mails sent.
    pub reminded: usize,
    /// Posters reminded of unanswered conversations.
    pub nudged: usize,
    /// Mails left for the next hour (the pace was spent).
    pub waiting: usize,
}

/// Runs the follow-up if an hour passed since the last one.
pub(crate) async fn run_followups(state: &AppState, pace: &mut Pace) -> Result<Followed, AppError> {
    let now = state.now();
    let store = &state.store;
    let last = store.cursor(CURSOR).await.map_err(AppError::internal)?;
    if now.timestamp() < i64::try_from(last).unwrap_or(i64::MAX) + EVERY_SECONDS {
        return Ok(Followed::default());
    }
    store
        .save_cursor(CURSOR, u64::try_from(now.timestamp()).unwrap_or(0))
        .await
        .map_err(AppError::internal)?;
    let mut followed = Followed::default();
    count_unanswered(state, now, pace, &mut followed).await?;
    remind_expiring(state, now, pace, &mut followed).await?;
    Ok(followed)
}

/// Whether the « still needed? » mail of this offer's period is due. An offer
/// that renewing could not keep longer (it ends at its own end date) is not
/// asked.
fn reminder_due(offer: &Offer, now: DateTime<Utc>, lifetime_days: i64) -> bool {
    offer.status == Status::Published
        && expiry(now, offer.end, lifetime_days) > offer.expires
        && offer.expires - Duration::days(REMIND_DAYS_BEFORE) <= now
        && now < offer.expires
        && offer.followup.reminded_for != Some(offer.expires)
}

async fn remind_expiring(
    state: &AppState,
    now: DateTime<Utc>,
    pace: &mut Pace,
    followed: &mut Followed,
) -> Result<(), AppError> {
    let offers = state
        .store
        .list(Some(Status::Published))
        .await
        .map_err(AppError::internal)?;
    let lifetime = state.site().config.offer_lifetime_days;
    for offer in offers
        .iter()
        .filter(|offer| reminder_due(offer, now, lifetime))
    {
        if refuses_our_mail(state, &offer.email).await? {
            continue;
        }
        if !pace.next().await {
            followed.waiting += 1;
            continue;
        }
        let context = json!({
            "expires": generator::french::date(offer.expires.date_naive()),
            "lifetime": state.site().config.offer_lifetime_days,
            "renew_url": still_needed_link(state, offer, "renew"),
            "fill_url": still_needed_link(state, offer, "fill"),
            "manage_url": manage_link(state, offer),
        });
        let subject = format!(
            "Votre annonce « {} » est-elle toujours d'actualité ?",
            offer.title
        );
        if send(
            state,
            render_mail(state, "still_needed", &subject, offer, context),
        )
        .await
        {
            let expires = offer.expires;
            let recorded = change_followup(state, offer.id, |followup| {
                followup.reminded_for = Some(expires);
            })
            .await;
            if let Err(error) = recorded {
                tracing::error!("still-needed mail sent but not recorded: {error}");
            }
            followed.reminded += 1;
        }
    }
    Ok(())
}

/// Sends a mail of the follow-up; a failure is logged, and the mail is tried
/// again an hour later.
async fn send(
    state: &AppState,
    mail: Result<crate::mailer::Outgoing, generator::BuildError>,
) -> bool {
    let sent = match mail {
        Ok(mail) => state.mailer.send(mail).await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = &sent {
        tracing::error!("follow-up mail not sent: {error}");
    }
    sent.is_ok()
}

/// Whether a conversation is newly unanswered: open for the whole delay, no
/// reply, not counted yet.
fn newly_unanswered(conversation: &Conversation, now: DateTime<Utc>) -> bool {
    conversation.first_reply.is_none()
        && conversation.closed.is_none()
        && !conversation.counted_unanswered
        && conversation.opened + Duration::days(UNANSWERED_AFTER_DAYS) <= now
}

async fn count_unanswered(
    state: &AppState,
    now: DateTime<Utc>,
    pace: &mut Pace,
    followed: &mut Followed,
) -> Result<(), AppError> {
    let store = &state.store;
    let conversations = store
        .list_conversations()
        .await
        .map_err(AppError::internal)?;
    for conversation in conversations
        .into_iter()
        .filter(|c| newly_unanswered(c, now))
    {
        let offer_id = conversation.offer;
        let mut counted = conversation;
        counted.counted_unanswered = true;
        // Counted once: a conversation written meanwhile waits an hour.
        if store.update_conversation(&counted).await.is_err() {
            continue;
        }
        let Some(offer) =
            change_followup(state, offer_id, |followup| followup.unanswered += 1).await?
        else {
            continue;
        };
        if offer.followup.unanswered < UNANSWERED_IN_A_ROW
            || refuses_our_mail(state, &offer.email).await?
        {
            continue;
        }
        if !pace.next().await {
            followed.waiting += 1;
            continue;
        }
        let context = json!({ "manage_url": manage_link(state, &offer) });
        let subject = format!("Des messages attendent votre réponse (« {} »)", offer.title);
        if send(
            state,
            render_mail(state, "unanswered", &subject, &offer, context),
        )
        .await
        {
            if let Err(error) =
                change_followup(state, offer.id, |followup| followup.unanswered = 0).await
            {
                tracing::error!("reminder of unanswered messages sent but not recorded: {error}");
            }
            followed.nudged += 1;
        }
    }
    Ok(())
}
