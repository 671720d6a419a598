//! Housekeeping no person has to remember: unconfirmed offers vanish after 48
//! hours, offers past their date become expired, and closed offers are erased
//! once their page has been kept long enough.

use chrono::Duration;
use offers::{PENDING_HOURS, Status};

use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub unconfirmed_erased: usize,
    pub expired: usize,
    pub closed_erased: usize,
}

/// One pass; rebuilds the site if anything changed.
pub async fn sweep(state: &AppState) -> Result<Swept, AppError> {
    let now = state.now();
    let keep = state.site().config.keep_closed_days;
    let mut swept = Swept::default();
    for mut offer in state.store.list(None).await.map_err(AppError::internal)? {
        match offer.status {
            Status::Pending if offer.created + Duration::hours(PENDING_HOURS) <= now => {
                state
                    .store
                    .delete(offer.id)
                    .await
                    .map_err(AppError::internal)?;
                swept.unconfirmed_erased += 1;
            }
            Status::Published if offer.expires <= now => {
                offer.status = Status::Expired;
                offer.updated = now;
                state
                    .store
                    .update(&offer)
                    .await
                    .map_err(AppError::internal)?;
                swept.expired += 1;
            }
            Status::Filled | Status::Expired if !offer.is_public(now, keep) => {
                state
                    .store
                    .delete(offer.id)
                    .await
                    .map_err(AppError::internal)?;
                swept.closed_erased += 1;
            }
            _ => {}
        }
    }
    if swept != Swept::default() {
        state.rebuild.changed().await;
        tracing::info!(?swept, "sweep");
    }
    Ok(swept)
}
