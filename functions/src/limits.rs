//! Rate limits, counted in the store so that they hold across processes and
//! Lambda instances. Keys are keyed hashes: no address or IP is stored in clear.

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use chrono::Duration;
use offers::validate::FieldError;

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
/// Reports sent from one connection in an hour.
pub const REPORTS_PER_IP: Limit = Limit {
    name: "report-ip",
    max: 10,
    window_minutes: 60,
};

/// Counts one more use of `limit` by `who`; past the maximum, a French error for
/// the form (what was typed stays in it).
pub async fn count(state: &AppState, limit: &Limit, who: &str) -> Result<(), FieldError> {
    let key = format!("{}:{}", limit.name, state.secret.digest(who));
    let now = state.now();
    match state.store.bump(&key, now, now + Duration::minutes(limit.window_minutes)).await {
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

/// The client's address: the peer's, or behind a reverse proxy on this machine,
/// the last hop that proxy saw (`X-Forwarded-For`).
pub fn client_ip(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    match peer {
        Some(ip) if !ip.is_loopback() => ip.to_string(),
        _ => forwarded_for(&parts.headers)
            .unwrap_or_else(|| peer.map_or_else(|| "inconnue".into(), |ip| ip.to_string())),
    }
}

fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-forwarded-for")?.to_str().ok()?;
    value
        .rsplit(',')
        .next()
        .map(|ip| ip.trim().to_owned())
        .filter(|ip| !ip.is_empty())
}
