//! Housekeeping no person has to remember: unconfirmed offers vanish after 48
//! hours, offers past their date become expired, and closed offers are erased
//! once their page has been kept long enough; offers hidden by moderation are
//! erased after the same delay, counted from the day they were hidden; expired
//! counters and marks go, and so do alerts left unconfirmed for 48 hours, and
//! conversations past their days or whose offer is gone.

use chrono::{DateTime, Duration, Utc};
use offers::{PENDING_HOURS, Status};

use crate::{Store, StoreError};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub unconfirmed_erased: usize,
    pub expired: usize,
    pub closed_erased: usize,
    pub hidden_erased: usize,
    pub unconfirmed_alerts_erased: usize,
    pub conversations_erased: usize,
}

impl Swept {
    /// Whether any offer changed: the pages that show it must be drawn again.
    pub fn changed_offers(&self) -> bool {
        Swept {
            unconfirmed_alerts_erased: 0,
            conversations_erased: 0,
            ..*self
        } != Swept::default()
    }
}

/// How long things are kept (site.toml).
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    /// A filled or expired offer's page, and a hidden offer.
    pub closed_days: i64,
    /// A conversation, after its last message.
    pub conversation_days: i64,
}

/// One pass over the store; the caller rebuilds what changed (`entraide serve`,
/// the `rebuild` Lambda's hourly run).
pub async fn sweep_store(
    store: &dyn Store,
    keep: Keep,
    now: DateTime<Utc>,
) -> Result<Swept, StoreError> {
    let keep_closed_days = keep.closed_days;
    let mut swept = Swept::default();
    // Rate-limit and report digests go when their window ends.
    store.forget_expired(now).await?;
    swept.unconfirmed_alerts_erased = store.erase_unconfirmed_alerts(now).await?;
    for mut offer in store.list(None).await? {
        match offer.status {
            Status::Pending if offer.created + Duration::hours(PENDING_HOURS) <= now => {
                store.delete(offer.id).await?;
                swept.unconfirmed_erased += 1;
            }
            Status::Published if offer.expires <= now => {
                offer.status = Status::Expired;
                offer.updated = now;
                store.update(&offer).await?;
                swept.expired += 1;
            }
            Status::Filled | Status::Expired if !offer.is_public(now, keep_closed_days) => {
                store.delete(offer.id).await?;
                swept.closed_erased += 1;
            }
            Status::Removed
                if offer.hidden.unwrap_or(offer.updated) + Duration::days(keep_closed_days)
                    <= now =>
            {
                store.delete(offer.id).await?;
                swept.hidden_erased += 1;
            }
            _ => {}
        }
    }
    swept.conversations_erased =
        erase_ended_conversations(store, keep.conversation_days, now).await?;
    Ok(swept)
}

/// Erases the conversations past their days, closed ones included once their
/// days are past (their addresses bounce until then), and those of erased
/// offers at once.
async fn erase_ended_conversations(
    store: &dyn Store,
    days: i64,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut erased = 0;
    for conversation in store.list_conversations().await? {
        let ended =
            conversation.lapses(days) <= now || store.get(conversation.offer).await?.is_none();
        if ended && store.delete_conversation(conversation.id).await? {
            erased += 1;
        }
    }
    Ok(erased)
}
