//! Rate limits, counted in the store so that they hold across processes and
//! Lambda instances. Keys are keyed hashes: no address or IP is stored in clear.

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
/// Messages relayed to one offer's poster in a day, whoever sends them.
pub const MESSAGES_PER_OFFER: Limit = Limit {
    name: "contact-offer",
    max: 30,
    window_minutes: 24 * 60,
};
/// Requests for fresh private links, per client and hour…
pub const LINK_REQUESTS_PER_CLIENT: Limit = Limit {
    name: "links-ip",
    max: 5,
    window_minutes: 60,
};
/// …and per address and day.
pub const LINK_REQUESTS_PER_ADDRESS: Limit = Limit {
    name: "links-address",
    max: 3,
    window_minutes: 24 * 60,
};
/// …and for the whole site in an hour (each reads every offer).
pub const LINK_REQUESTS: Limit = Limit {
    name: "links-site",
    max: 120,
    window_minutes: 60,
};
/// Copies of their message sent to one visitor's address in a day.
pub const MESSAGE_COPIES_PER_ADDRESS: Limit = Limit {
    name: "contact-copy-address",
    max: 5,
    window_minutes: 24 * 60,
};
/// Mails to the moderators about one offer in a day (its hiding aside).
pub const MODERATION_MAILS_PER_OFFER: Limit = Limit {
    name: "moderation-offer",
    max: 1,
    window_minutes: 24 * 60,
};
/// Mails to the moderators in an hour, all offers together.
pub const MODERATION_MAILS: Limit = Limit {
    name: "moderation-site",
    max: 60,
    window_minutes: 60,
};
/// Requests for a new review of a hidden offer, per offer and day.
pub const REVIEWS_PER_OFFER: Limit = Limit {
    name: "review-offer",
    max: 1,
    window_minutes: 24 * 60,
};

/// Alerts asked from one connection in an hour…
pub const ALERTS_PER_CLIENT: Limit = Limit {
    name: "alerts-ip",
    max: 10,
    window_minutes: 60,
};
/// …and for one address in a day (each sends a confirmation mail).
pub const ALERTS_PER_ADDRESS: Limit = Limit {
    name: "alerts-address",
    max: 5,
    window_minutes: 24 * 60,
};

/// Messages relayed in one conversation in a day, both sides together…
pub const RELAYED_PER_CONVERSATION: Limit = Limit {
    name: "relay-conversation",
    max: 30,
    window_minutes: 24 * 60,
};
/// …and from one address in a day, all its conversations together.
pub const RELAYED_PER_ADDRESS: Limit = Limit {
    name: "relay-address",
    max: 100,
    window_minutes: 24 * 60,
};

/// Every limit: the privacy page states how long the longest one keeps its digests.
pub const ALL: [&Limit; 18] = [
    &RELAYED_PER_CONVERSATION,
    &RELAYED_PER_ADDRESS,
    &ALERTS_PER_CLIENT,
    &ALERTS_PER_ADDRESS,
    &OFFERS_PER_IP,
    &OFFERS_PER_IP_WITHOUT_TOKEN,
    &OFFERS_PER_EMAIL,
    &MESSAGES_PER_IP,
    &MESSAGES_PER_OFFER,
    &MESSAGE_COPIES_PER_ADDRESS,
    &LINK_REQUESTS_PER_CLIENT,
    &LINK_REQUESTS_PER_ADDRESS,
    &LINK_REQUESTS,
    &MODERATION_MAILS_PER_OFFER,
    &MODERATION_MAILS,
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
            message: "Trop d'envois en peu de temps, depuis votre connexion, pour cette adresse ou vers cette annonce. Réessayez plus tard : votre saisie est conservée ci-dessous.".into(),
        }),
        Ok(_) => Ok(()),
        // A store hiccup must not stop people from helping each other: let it pass, say it.
        Err(error) => {
            tracing::error!("rate limit not counted: {}", AppError::internal(error));
            Ok(())
        }
    }
}

/// One mailbox, however its letters are cased: seven case variants of an address
/// are one address.
pub fn mailbox(address: &str) -> String {
    address.trim().to_lowercase()
}

/// What a per-address quota counts: the mailbox without its `+tag`
/// (`lea+1@exemple.org` and `lea+2@exemple.org` reach the same person).
pub fn quota_key(address: &str) -> String {
    let mailbox = mailbox(address);
    match mailbox.split_once('@') {
        Some((local, domain)) => {
            let local = local.split_once('+').map_or(local, |(base, _)| base);
            format!("{local}@{domain}")
        }
        None => mailbox,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_plus_variants_of_an_address_share_one_quota() {
        let variants = [
            "lea@exemple.org",
            "Lea@exemple.org",
            "LEA@EXEMPLE.ORG",
            "lEa@Exemple.Org",
            " lea@exemple.org ",
            "lea+annonce@exemple.org",
            "Lea+2@Exemple.org",
        ];
        for variant in variants {
            assert_eq!(quota_key(variant), "lea@exemple.org", "{variant}");
        }
        assert_ne!(quota_key("lea@exemple.org"), quota_key("leo@exemple.org"));
    }
}
