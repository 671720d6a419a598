//! Offers as the endpoints find them in the store: by the id a form or a link
//! names, or the French "no longer exists"; the record of who reported one; and
//! what the platform follows of an offer, changed.

use offers::{Followup, Offer, Ulid};
use store::StoreError;

use crate::error::AppError;
use crate::state::AppState;

/// The offer id a form names; one that names none is answered `404`.
pub(crate) fn offer_id(text: &str) -> Result<Ulid, AppError> {
    Ulid::from_string(text.trim()).map_err(|_| AppError::NotFound)
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

/// The networks that reported an offer (those whose report counts towards
/// hiding it, or not), and the addresses they gave.
pub(crate) fn reporters_key(id: Ulid, counts: bool) -> String {
    if counts {
        format!("reporters:{id}")
    } else {
        format!("reporters-bare:{id}")
    }
}
pub(crate) fn reporter_addresses_key(id: Ulid) -> String {
    format!("reporter-addresses:{id}")
}

/// Forgets who reported an offer (it is erased).
pub(crate) async fn forget_reports(state: &AppState, id: Ulid) -> Result<(), AppError> {
    for key in [
        reporters_key(id, true),
        reporters_key(id, false),
        reporter_addresses_key(id),
    ] {
        state.store.reset(&key).await.map_err(AppError::internal)?;
    }
    Ok(())
}

/// Changes what the platform follows of a stored offer (not what its poster
/// wrote: its `updated` stays), read again and retried when it was written
/// meanwhile. Returns the offer as stored, or `None` if it is gone.
pub(crate) async fn change_followup(
    state: &AppState,
    id: Ulid,
    change: impl Fn(&mut Followup),
) -> Result<Option<Offer>, AppError> {
    for _ in 0..3 {
        let Some(mut offer) = state.store.get(id).await.map_err(AppError::internal)? else {
            return Ok(None);
        };
        change(&mut offer.followup);
        match state.store.update(&offer).await {
            Ok(stored) => return Ok(Some(stored)),
            Err(StoreError::VersionConflict { .. }) => {}
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(AppError::internal(error)),
        }
    }
    Err(AppError::internal("the offer kept changing"))
}
