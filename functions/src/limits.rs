//! Rate limits, counted in the store so that they hold across processes and
//! Lambda instances. Keys are keyed hashes: no address or IP is stored in clear.

use axum::http::request::Parts;
use chrono::Duration;
use offers::validate::FieldError;

use crate::client::{client_address, rate_key};
use crate::error::AppError;
use crate::state::AppState;

pub struct Limit {
    name: &'static str,
    max: u64,
    window_minutes: i64,
}

/// Offers sent from one connection in an hour, with a form token…
pub const OFFERS_PER_IP: Limit = Limit {
    name: "offers-ip",
    max: 10,
    window_minutes: 60,
};
/// …and without one (no JavaScript, or a robot): stricter.
pub const OFFERS_PER_IP_WITHOUT_TOKEN: Limit = Limit {
    name: "offers-ip-bare",
    max: 3,
    window_minutes: 60,
};
/// Offers posted for one address in a day.
pub const OFFERS_PER_EMAIL: Limit = Limit {
    name: "offers-email",
    max: 5,
    window_minutes: 24 * 60,
};
/// Messages sent from one connection in an hour.
pub const MESSAGES_PER_IP: Limit = Limit {
    name: "contact-ip",
    max: 20,
    window_minutes: 60,
};
/// Reports sent from one connection in a day, with a form token…
pub const REPORTS_PER_CLIENT: Limit = Limit {
    name: "report-ip-day",
    max: 10,
    window_minutes: 24 * 60,
};
/// …and without one.
pub const REPORTS_PER_CLIENT_WITHOUT_TOKEN: Limit = Limit {
    name: "report-ip-day-bare",
    max: 3,
    window_minutes: 24 * 60,
};
/// Requests for a new review of a hidden offer, per offer and day.
pub const REVIEWS_PER_OFFER: Limit = Limit {
    name: "review-offer",
    max: 1,
    window_minutes: 24 * 60,
};

/// Every limit: the privacy page states how long the longest one keeps its digests.
pub const ALL: [&Limit; 7] = [
    &OFFERS_PER_IP,
    &OFFERS_PER_IP_WITHOUT_TOKEN,
    &OFFERS_PER_EMAIL,
    &MESSAGES_PER_IP,
    &REPORTS_PER_CLIENT,
    &REPORTS_PER_CLIENT_WITHOUT_TOKEN,
    &REVIEWS_PER_OFFER,
];

impl Limit {
    /// How long a digest counted by this limit is kept.
    pub fn window(&self) -> Duration {
        Duration::minutes(self.window_minutes)
    }
}

/// Counts one more use of `limit` by `who`; past the maximum, a French error for
/// the form (what was typed stays in it).
pub async fn count(state: &AppState, limit: &Limit, who: &str) -> Result<(), FieldError> {
    let key = format!("{}:{}", limit.name, state.secret.digest(who));
    let now = state.now();
    match state.store.bump(&key, now, now + limit.window()).await {
        Ok(count) if count > limit.max => Err(FieldError {
            field: "form",
            message: "Trop d'envois en peu de temps depuis votre connexion ou pour cette adresse. Réessayez dans une heure : votre saisie est conservée ci-dessous.".into(),
        }),
        Ok(_) => Ok(()),
        // A store hiccup must not stop people from helping each other: let it pass, say it.
        Err(error) => {
            tracing::error!("rate limit not counted: {}", AppError::internal(error));
            Ok(())
        }
    }
}

/// The client a request counts as (a keyed digest of it is what is stored).
pub fn client(state: &AppState, parts: &Parts) -> String {
    rate_key(client_address(parts, &state.trusted_proxies))
}

/// One mailbox, however its letters are cased: seven case variants of an address
/// share one quota.
pub fn mailbox(address: &str) -> String {
    address.trim().to_lowercase()
}
