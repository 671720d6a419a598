//! The signed links the platform mails, made and opened here: confirm an offer
//! (48 hours), manage it (a year), give it back its previous address (30 days),
//! hide or restore it (the moderators', 30 days); confirm an alert (48 hours),
//! manage it or unsubscribe from it (400 days: the links of its latest mail);
//! say an offer is still needed, or filled (30 days).

use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use offers::alerts::{Alert, UNCONFIRMED_HOURS};
use offers::{Offer, Ulid};

use crate::error::AppError;
use crate::extract::LinkTarget;
use crate::limits;
use crate::offers_store::stored_offer;
use crate::state::AppState;
use crate::tokens::Purpose;

/// How long the confirmation link lives; unconfirmed offers go after that.
const CONFIRM_HOURS: i64 = 48;
/// How long the private management link lives.
const MANAGE_DAYS: i64 = 365;
/// How long the old address may undo a change of address.
pub(crate) const UNDO_DAYS: i64 = 30;
/// How long a moderator's links stay usable.
const MODERATE_DAYS: i64 = 30;

/// A link to `path` whose token allows `purpose` on `subject` for `lifetime`.
pub(crate) fn signed(
    state: &AppState,
    path: &str,
    purpose: Purpose,
    subject: &str,
    version: u64,
    lifetime: Duration,
) -> String {
    let now = state.now();
    let token = state.secret.sign(
        purpose,
        subject,
        version,
        now.timestamp(),
        (now + lifetime).timestamp(),
    );
    format!("{}{path}?token={token}", state.base_url())
}

/// An offer's own links: to confirm it (at its version) or to manage it (at its
/// token version).
fn offer_link(state: &AppState, offer: &Offer, purpose: Purpose) -> String {
    let (path, version, lifetime) = if purpose == Purpose::Confirm {
        (
            "/api/offers/confirm",
            offer.version,
            Duration::hours(CONFIRM_HOURS),
        )
    } else {
        (
            "/api/offers/manage",
            offer.token_version,
            Duration::days(MANAGE_DAYS),
        )
    };
    signed(
        state,
        path,
        purpose,
        &offer.id.to_string(),
        version,
        lifetime,
    )
}

/// The link of the confirmation mail.
pub(crate) fn confirm_link(state: &AppState, offer: &Offer) -> String {
    offer_link(state, offer, Purpose::Confirm)
}

/// The private management link of an offer.
pub(crate) fn manage_link(state: &AppState, offer: &Offer) -> String {
    offer_link(state, offer, Purpose::Manage)
}

/// How long the links of a « still needed? » mail live: past the offer's
/// expiry, a week after the mail, so that an expired offer can come back.
const STILL_NEEDED_DAYS: i64 = 30;

/// The link of a « still needed? » mail, its choice (`renew` or `fill`) in
/// the query.
pub(crate) fn still_needed_link(state: &AppState, offer: &Offer, choice: &str) -> String {
    let link = signed(
        state,
        "/api/offers/still-needed",
        Purpose::StillNeeded,
        &offer.id.to_string(),
        offer.token_version,
        Duration::days(STILL_NEEDED_DAYS),
    );
    format!("{link}&choix={choice}")
}

/// The link that gives an offer back `previous_email`, mailed to that address.
pub(crate) fn undo_link(state: &AppState, offer: &Offer, previous_email: &str) -> String {
    signed(
        state,
        "/api/offers/undo-address",
        Purpose::UndoAddress,
        &undo_subject(offer.id, previous_email),
        offer.token_version,
        Duration::days(UNDO_DAYS),
    )
}

/// A moderator's link for `purpose` (hide or restore) on one offer.
pub(crate) fn moderation_link(state: &AppState, purpose: Purpose, id: Ulid) -> String {
    signed(
        state,
        "/api/moderate",
        purpose,
        &id.to_string(),
        0,
        Duration::days(MODERATE_DAYS),
    )
}

/// The offer a signed link names, checked for purpose and expiry; a management
/// link must also carry the offer's current token version.
pub(crate) async fn offer_of_token(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<Offer, AppError> {
    let claims = state
        .secret
        .verify(token, purpose, state.now().timestamp())
        .map_err(|_| AppError::BadLink(purpose))?;
    let id = Ulid::from_string(&claims.subject).map_err(|_| AppError::BadLink(purpose))?;
    let offer = stored_offer(state, id).await?;
    let versioned = matches!(purpose, Purpose::Manage | Purpose::StillNeeded);
    if versioned && claims.version != offer.token_version {
        return Err(AppError::BadLink(purpose));
    }
    Ok(offer)
}

/// The offer a confirmation (`ToConfirm`) or management (`ToManage`) link names.
pub(crate) struct OfferLink<P> {
    pub offer: Offer,
    purpose: PhantomData<P>,
}

/// What an `OfferLink` or an `AlertLink` is for.
pub(crate) trait LinkPurpose: Send {
    const PURPOSE: Purpose;
}

pub(crate) enum Confirming {}
pub(crate) enum Managing {}
pub(crate) enum StillNeeded {}

impl LinkPurpose for Confirming {
    const PURPOSE: Purpose = Purpose::Confirm;
}
impl LinkPurpose for Managing {
    const PURPOSE: Purpose = Purpose::Manage;
}
impl LinkPurpose for StillNeeded {
    const PURPOSE: Purpose = Purpose::StillNeeded;
}

pub(crate) type ToConfirm = OfferLink<Confirming>;
pub(crate) type ToManage = OfferLink<Managing>;
pub(crate) type ToAnswer = OfferLink<StillNeeded>;

impl<P: LinkPurpose> LinkTarget for OfferLink<P> {
    async fn open(state: &AppState, token: &str) -> Result<Self, AppError> {
        let offer = offer_of_token(state, token, P::PURPOSE).await?;
        Ok(OfferLink {
            offer,
            purpose: PhantomData,
        })
    }
}

/// The decision a moderator's link is bound to, and its offer.
pub(crate) struct Moderation {
    pub purpose: Purpose,
    pub offer: Offer,
}

impl LinkTarget for Moderation {
    async fn open(state: &AppState, token: &str) -> Result<Self, AppError> {
        for purpose in [Purpose::Hide, Purpose::Restore] {
            match offer_of_token(state, token, purpose).await {
                Err(AppError::BadLink(_)) => {}
                found => return found.map(|offer| Moderation { purpose, offer }),
            }
        }
        Err(AppError::BadLink(Purpose::Hide))
    }
}

/// An undo token names the offer and the address to give back.
fn undo_subject(id: Ulid, email: &str) -> String {
    format!("{id}:{}", URL_SAFE_NO_PAD.encode(email))
}

/// The offer an undo link names, with the address it gives back.
pub(crate) struct UndoAddress {
    pub offer: Offer,
    pub email: String,
}

impl LinkTarget for UndoAddress {
    /// The link works for its 30 days whatever changed since (an address
    /// changed twice cannot lock its first owner out), but not to give back the
    /// address the offer has.
    async fn open(state: &AppState, token: &str) -> Result<Self, AppError> {
        let bad = || AppError::BadLink(Purpose::UndoAddress);
        let claims = state
            .secret
            .verify(token, Purpose::UndoAddress, state.now().timestamp())
            .map_err(|_| bad())?;
        let (id, email) = claims.subject.split_once(':').ok_or_else(bad)?;
        let id = Ulid::from_string(id).map_err(|_| bad())?;
        let email = URL_SAFE_NO_PAD
            .decode(email)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(bad)?;
        let offer = stored_offer(state, id).await?;
        if claims.version > offer.token_version {
            return Err(bad());
        }
        if limits::mailbox(&offer.email) == limits::mailbox(&email) {
            return Err(AppError::Refused(
                "L'annonce a déjà cette adresse : le changement est annulé, il n'y a plus rien à faire. Votre lien privé le plus récent est dans votre messagerie.".into(),
            ));
        }
        Ok(UndoAddress { offer, email })
    }
}

/// How long an alert's private and unsubscribe links live, from its latest mail.
const ALERT_LINK_DAYS: i64 = 400;

/// An alert's link for `purpose`: confirm, manage (at its token version) or
/// unsubscribe.
pub(crate) fn alert_link(state: &AppState, alert: &Alert, purpose: Purpose) -> String {
    let (path, version, lifetime) = match purpose {
        Purpose::AlertConfirm => ("/api/alerts/confirm", 0, Duration::hours(UNCONFIRMED_HOURS)),
        Purpose::AlertManage => (
            "/api/alerts/manage",
            alert.token_version,
            Duration::days(ALERT_LINK_DAYS),
        ),
        _ => (
            "/api/alerts/unsubscribe",
            0,
            Duration::days(ALERT_LINK_DAYS),
        ),
    };
    signed(
        state,
        path,
        purpose,
        &alert.id.to_string(),
        version,
        lifetime,
    )
}

/// The alert a link names, checked for purpose, expiry and (to manage it)
/// token version; an erased alert's link is a dead link.
pub(crate) async fn alert_of_token(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<Alert, AppError> {
    let bad = || AppError::BadLink(purpose);
    let claims = state
        .secret
        .verify(token, purpose, state.now().timestamp())
        .map_err(|_| bad())?;
    let id = Ulid::from_string(&claims.subject).map_err(|_| bad())?;
    let alert = state
        .store
        .get_alert(id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(bad)?;
    if purpose == Purpose::AlertManage && claims.version != alert.token_version {
        return Err(bad());
    }
    Ok(alert)
}

/// The alert a confirmation, management or unsubscribe link names.
pub(crate) struct AlertLink<P> {
    pub alert: Alert,
    purpose: PhantomData<P>,
}

pub(crate) enum ConfirmingAlert {}
pub(crate) enum ManagingAlert {}
pub(crate) enum Unsubscribing {}

impl LinkPurpose for ConfirmingAlert {
    const PURPOSE: Purpose = Purpose::AlertConfirm;
}
impl LinkPurpose for ManagingAlert {
    const PURPOSE: Purpose = Purpose::AlertManage;
}
impl LinkPurpose for Unsubscribing {
    const PURPOSE: Purpose = Purpose::Unsubscribe;
}

impl<P: LinkPurpose> LinkTarget for AlertLink<P> {
    async fn open(state: &AppState, token: &str) -> Result<Self, AppError> {
        let alert = alert_of_token(state, token, P::PURPOSE).await?;
        Ok(AlertLink {
            alert,
            purpose: PhantomData,
        })
    }
}
