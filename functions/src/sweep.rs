//! The hourly sweep of a running `serve` (`store::sweep`), followed by a rebuild
//! when it changed anything.

pub use store::sweep::Swept;
use store::sweep::{Keep, sweep_store};

use crate::error::AppError;
use crate::state::AppState;

/// One pass; rebuilds the site if anything changed.
pub async fn sweep(state: &AppState) -> Result<Swept, AppError> {
    let config = &state.site().config;
    let keep = Keep {
        closed_days: config.keep_closed_days,
        conversation_days: config.conversation_days,
    };
    let swept = sweep_store(state.store.as_ref(), keep, state.now())
        .await
        .map_err(AppError::internal)?;
    if swept.changed_offers() {
        state.rebuild.changed().await;
    }
    if swept != Swept::default() {
        tracing::info!(?swept, "sweep");
    }
    Ok(swept)
}
