//! Alerts, for visitors: `POST /api/alerts` saves a search (its confirmation is
//! mailed, nothing else until it is followed); `GET|POST /api/alerts/confirm`
//! activates it; `GET|POST /api/alerts/manage` is its private page (criteria,
//! frequency, pause, deletion); `GET|POST /api/alerts/unsubscribe` stops it in
//! one click (RFC 8058: the mailbox provider posts, without the site's origin).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use offers::Ulid;
use offers::alerts::{Alert, AlertStatus, Frequency};
use offers::search::Criteria;
use offers::validate::{FieldError, validate_email};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::StoreError;

use crate::alerts_run::{describe, next_due};
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Link, LinkForm, TokenQuery};
use crate::forms::sent_too_fast;
use crate::limits;
use crate::mailer::Outgoing;
use crate::mails::send;
use crate::pages::{self, Button};
use crate::signed_links::{
    AlertLink, ConfirmingAlert, ManagingAlert, Unsubscribing, alert_link, alert_of_token,
};
use crate::state::AppState;
use crate::tokens::Purpose;
use generator::forms::{AlertForm, alert_context};

/// The alert form of listings and of the search page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewAlertFields {
    /// The search, as the search page's query string.
    recherche: String,
    email: String,
    frequence: String,
    website: String,
    form_token: String,
}

/// Draws the alert form again, with what was typed and why it was refused.
fn refill(
    state: &AppState,
    fields: &NewAlertFields,
    criteria: &Criteria,
    error: FieldError,
) -> Result<Response, AppError> {
    let values: Map<String, Value> = [
        ("recherche", &fields.recherche),
        ("email", &fields.email),
        ("frequence", &fields.frequence),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), Value::String(value.clone())))
    .collect();
    let site = state.site();
    let context = alert_context(
        &site.config,
        &AlertForm::New,
        &describe(&site, criteria),
        "/api/alerts",
        None,
        &values,
        &[error],
    );
    pages::themed(
        state,
        "alert.html",
        &context,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

fn form_error(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_owned(),
    }
}

/// What a visitor reads once the form is sent, whatever happened to it (a
/// robot's, a refused address's): nothing says whether an address is known.
fn check_your_mail(state: &AppState) -> Result<Response, AppError> {
    pages::message(
        state,
        "Vérifiez votre messagerie",
        "/api/alerts",
        &[
            "Un courriel vient de partir vers l'adresse indiquée. Ouvrez le lien qu'il contient dans les 48 heures pour activer l'alerte : rien d'autre ne vous sera envoyé avant.",
            "Vous ne le trouvez pas ? Regardez dans les indésirables.",
        ],
        Some(("Continuer à chercher", "/recherche/")),
    )
}

pub(crate) async fn post_alert(
    State(state): State<AppState>,
    client: Client,
    Form(fields): Form<NewAlertFields>,
) -> Result<Response, AppError> {
    let state = &state;
    if !fields.website.is_empty() {
        tracing::info!("honeypot alert dropped");
        return check_your_mail(state);
    }
    let site = state.site();
    let criteria = Criteria::from_query(&fields.recherche, &site.config.domain_slugs())
        .map_err(AppError::Refused)?;
    if let Some(too_fast) = sent_too_fast(state, &fields.form_token) {
        return refill(state, &fields, &criteria, too_fast);
    }
    let email = match validate_email(&fields.email) {
        Ok(email) => email,
        Err(error) => return refill(state, &fields, &criteria, error),
    };
    let Some(frequency) = Frequency::parse(&fields.frequence) else {
        let error = form_error(
            "frequence",
            "Choisissez quand recevoir les nouvelles annonces.",
        );
        return refill(state, &fields, &criteria, error);
    };
    let address = limits::quota_key(&email);
    for (limit, who) in [
        (&limits::ALERTS_PER_CLIENT, client.rate_key()),
        (&limits::ALERTS_PER_ADDRESS, address.clone()),
    ] {
        if let Err(error) = limits::count(state, limit, &who).await {
            return refill(state, &fields, &criteria, error);
        }
    }
    let owner = state.secret.digest(&address);
    let now = state.now();
    let store = &state.store;
    let mailbox = state.secret.digest(&limits::mailbox(&email));
    if store
        .is_marked(&suppressed(&mailbox), "", now)
        .await
        .map_err(AppError::internal)?
    {
        tracing::info!("alert for a suppressed address dropped");
        return check_your_mail(state);
    }
    let held = store
        .alerts_of_owner(&owner)
        .await
        .map_err(AppError::internal)?
        .len();
    if held >= site.config.max_alerts_per_address {
        // Told by mail, to the address's owner: the page answers as for any
        // address, so that it tells nobody which addresses hold alerts.
        let context = json!({
            "description": describe(&site, &criteria),
            "held": held,
        });
        let mail = Outgoing::themed(
            &site,
            "alert_full",
            &email,
            "Votre nouvelle alerte n'a pas été créée".to_owned(),
            &context,
        );
        send(state, mail).await?;
        tracing::info!("alert refused: its address holds the most alerts");
        return check_your_mail(state);
    }
    let alert = Alert::new(email, owner, criteria, frequency, now);
    store
        .create_alert(&alert)
        .await
        .map_err(AppError::internal)?;
    let context = json!({
        "description": describe(&site, &alert.criteria),
        "frequency": alert.frequency.label(),
        "link": alert_link(state, &alert, Purpose::AlertConfirm),
    });
    let mail = Outgoing::themed(
        &site,
        "alert_confirm",
        &alert.email,
        "Confirmez votre alerte".to_owned(),
        &context,
    );
    // Never half-written: an alert whose confirmation could not leave is gone.
    if let Err(error) = send(state, mail).await {
        let _ = store.delete_alert(alert.id).await;
        return Err(error);
    }
    tracing::info!(alert = %alert.id, "alert saved, waiting for its confirmation");
    check_your_mail(state)
}

/// The mark of a mailbox's digest that refused our mail (a bounce, a
/// complaint): one set per address, so that no item grows with their number.
pub(crate) fn suppressed(owner: &str) -> String {
    format!("suppressed:{owner}")
}

/// `GET /api/alerts/confirm?token=…`: one button; nothing changes.
pub(crate) async fn confirm_page(
    State(state): State<AppState>,
    Link { token, target }: Link<AlertLink<ConfirmingAlert>>,
) -> Result<Response, AppError> {
    let about = format!(
        "Nouvelles annonces : {}. Fréquence : {}.",
        describe(&state.site(), &target.alert.criteria),
        target.alert.frequency.label()
    );
    pages::button(
        &state,
        &Button {
            title: "Activer l'alerte",
            paragraphs: &[&about],
            action: &format!("/api/alerts/confirm?token={token}"),
            label: "Activer l'alerte",
            link: None,
        },
    )
}

/// Writes `change` to the alert, reading it again while another write (a pass
/// queueing offers) got there first; `None` once the alert is gone.
pub(crate) async fn change_alert(
    state: &AppState,
    mut alert: Alert,
    change: impl Fn(&mut Alert),
) -> Result<Option<Alert>, AppError> {
    loop {
        change(&mut alert);
        match state.store.update_alert(&alert).await {
            Ok(stored) => return Ok(Some(stored)),
            Err(StoreError::VersionConflict { .. }) => {
                match state.store.get_alert(alert.id).await {
                    Ok(Some(fresh)) => alert = fresh,
                    Ok(None) => return Ok(None),
                    Err(error) => return Err(AppError::internal(error)),
                }
            }
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(AppError::internal(error)),
        }
    }
}

/// `POST /api/alerts/confirm?token=…`: the alert starts; offers listed from now
/// on reach it.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Link { target, .. }: Link<AlertLink<ConfirmingAlert>>,
) -> Result<Response, AppError> {
    let now = state.now();
    let alert = if target.alert.status == AlertStatus::Pending {
        change_alert(&state, target.alert, |alert| {
            if alert.status == AlertStatus::Pending {
                alert.status = AlertStatus::Active;
                alert.confirmed = Some(now);
            }
        })
        .await?
        .ok_or(AppError::BadLink(Purpose::AlertConfirm))?
    } else {
        target.alert
    };
    tracing::info!(alert = %alert.id, "alert confirmed");
    let manage = alert_link(&state, &alert, Purpose::AlertManage);
    pages::message(
        &state,
        "Votre alerte est active",
        "/api/alerts/confirm",
        &[
            "Vous recevrez les nouvelles annonces qui correspondent à votre recherche, seulement quand il y en a.",
            "Chaque courriel contient un lien pour modifier l'alerte, la mettre en pause ou la supprimer.",
        ],
        Some(("Voir ou modifier l'alerte", &manage)),
    )
}

/// The search parameters of an alert's criteria, by their URL names, for its form.
fn criteria_values(alert: &Alert) -> Map<String, Value> {
    let geo = offers::communes::geography();
    let mut values: Map<String, Value> =
        url::form_urlencoded::parse(alert.criteria.to_query().as_bytes())
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect();
    // The place as people write it, not its slug.
    if let Some(commune) = alert
        .criteria
        .near
        .as_ref()
        .and_then(|n| geo.commune(&n.commune))
    {
        values.insert(
            "pres".into(),
            Value::String(format!("{} ({})", commune.name, commune.department)),
        );
    }
    if let Some(commune) = &alert.criteria.commune {
        values.insert("commune".into(), Value::String(commune.clone()));
    }
    values.insert(
        "frequence".into(),
        Value::String(alert.frequency.as_str().to_owned()),
    );
    values
}

/// The alert's private page.
fn manage_view(
    state: &AppState,
    token: &str,
    alert: &Alert,
    values: &Map<String, Value>,
    errors: &[FieldError],
    said: Option<&str>,
) -> Result<Response, AppError> {
    let site = state.site();
    let context = alert_context(
        &site.config,
        &AlertForm::Manage {
            paused: alert.status == AlertStatus::Paused,
            said,
        },
        &describe(&site, &alert.criteria),
        &format!("/api/alerts/manage?token={token}"),
        Some(format!("/recherche/?{}", alert.criteria.to_query())),
        values,
        errors,
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    pages::themed(state, "alert.html", &context, status)
}

/// `GET /api/alerts/manage?token=…`: the alert as stored; changes nothing.
pub(crate) async fn manage_page(
    State(state): State<AppState>,
    Link { token, target }: Link<AlertLink<ManagingAlert>>,
) -> Result<Response, AppError> {
    let alert = target.alert;
    let said = (alert.status == AlertStatus::Pending)
        .then_some("Cette alerte attend encore sa confirmation : ouvrez le lien du courriel reçu.");
    manage_view(&state, &token, &alert, &criteria_values(&alert), &[], said)
}

/// The private page's form: what to do, the criteria by their search names.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ManageFields {
    action: String,
    frequence: String,
    q: String,
    domaine: String,
    region: String,
    departement: String,
    commune: String,
    pres: String,
    rayon: String,
    #[serde(rename = "a-distance")]
    remote: String,
    distance: String,
    #[serde(rename = "type")]
    kind: String,
    engagement: String,
    du: String,
    au: String,
}

impl ManageFields {
    /// The criteria as a search's query string.
    fn query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("domaine", &self.domaine),
            ("region", &self.region),
            ("departement", &self.departement),
            ("commune", &self.commune),
            ("pres", &self.pres),
            ("distance", &self.distance),
            ("type", &self.kind),
            ("engagement", &self.engagement),
            ("du", &self.du),
            ("au", &self.au),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(name, value);
            }
        }
        if !self.pres.trim().is_empty() {
            query.append_pair("rayon", &self.rayon);
            query.append_pair("a-distance", &self.remote);
        }
        query.finish()
    }

    /// The form as typed, to draw it again.
    fn values(&self) -> Map<String, Value> {
        let mut values: Map<String, Value> = url::form_urlencoded::parse(self.query().as_bytes())
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect();
        values.insert("frequence".into(), Value::String(self.frequence.clone()));
        values
    }
}

/// `POST /api/alerts/manage?token=…`: save, pause, resume or delete.
pub(crate) async fn manage_post(
    State(state): State<AppState>,
    LinkForm {
        token,
        target,
        fields,
    }: LinkForm<AlertLink<ManagingAlert>, ManageFields>,
) -> Result<Response, AppError> {
    let state = &state;
    let alert = target.alert;
    let (status, said) = match fields.action.as_str() {
        "delete" => return erased(state, alert.id, "Alerte supprimée").await,
        "pause" => (
            AlertStatus::Paused,
            "L'alerte est en pause : rien ne vous sera envoyé avant que vous la repreniez.",
        ),
        "resume" => (
            AlertStatus::Active,
            "L'alerte reprend : les annonces publiées à partir de maintenant vous seront envoyées.",
        ),
        "save" => (alert.status, "L'alerte est enregistrée."),
        _ => return Err(AppError::BadRequest("Action inconnue.")),
    };
    let site = state.site();
    let criteria = match Criteria::from_query(&fields.query(), &site.config.domain_slugs()) {
        Ok(criteria) => criteria,
        Err(message) => {
            let errors = [form_error("pres", &message)];
            return manage_view(state, &token, &alert, &fields.values(), &errors, None);
        }
    };
    let Some(frequency) = Frequency::parse(&fields.frequence) else {
        let errors = [form_error(
            "frequence",
            "Choisissez quand recevoir les nouvelles annonces.",
        )];
        return manage_view(state, &token, &alert, &fields.values(), &errors, None);
    };
    let now = state.now();
    let stored = change_alert(state, alert, |alert| {
        if alert.criteria != criteria {
            // What was found for the old search is not what the new one asks,
            // and the new one starts now (not with the offers listed since
            // the alert was first confirmed).
            alert.queued.clear();
            alert.due = None;
            if alert.confirmed.is_some() {
                alert.confirmed = Some(now);
            }
        }
        alert.criteria = criteria.clone();
        alert.frequency = frequency;
        if status != alert.status && alert.status != AlertStatus::Pending {
            alert.status = status;
            if status == AlertStatus::Active {
                // Offers listed while it was paused do not come all at once.
                alert.confirmed = Some(now);
            }
        }
        // What waits is mailed at the pace now chosen.
        alert.due = next_due(state, alert, now);
    })
    .await?
    .ok_or(AppError::BadLink(Purpose::AlertManage))?;
    manage_view(
        state,
        &token,
        &stored,
        &criteria_values(&stored),
        &[],
        Some(said),
    )
}

/// Erases an alert (and so, with its last alert, an address) and says so.
async fn erased(state: &AppState, id: Ulid, title: &str) -> Result<Response, AppError> {
    state
        .store
        .delete_alert(id)
        .await
        .map_err(AppError::internal)?;
    tracing::info!(alert = %id, "alert erased");
    pages::message(
        state,
        title,
        "/api/alerts",
        &[
            "Vous ne recevrez plus rien pour cette alerte. Elle est effacée, avec votre adresse si elle n'avait pas d'autre alerte.",
        ],
        Some(("Chercher des annonces", "/recherche/")),
    )
}

/// `GET /api/alerts/unsubscribe?token=…`: one button; nothing changes.
pub(crate) async fn unsubscribe_page(
    State(state): State<AppState>,
    Link { token, target }: Link<AlertLink<Unsubscribing>>,
) -> Result<Response, AppError> {
    let about = format!(
        "Alerte : {}.",
        describe(&state.site(), &target.alert.criteria)
    );
    pages::button(
        &state,
        &Button {
            title: "Ne plus recevoir cette alerte",
            paragraphs: &[&about],
            action: &format!("/api/alerts/unsubscribe?token={token}"),
            label: "Arrêter l'alerte",
            link: None,
        },
    )
}

/// `POST /api/alerts/unsubscribe?token=…`: erases the alert. The token is the
/// proof: a mailbox provider's one-click post comes from its own servers, with
/// no origin of ours.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Query(TokenQuery { token }): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let alert = alert_of_token(&state, &token, Purpose::Unsubscribe).await?;
    erased(&state, alert.id, "Alerte arrêtée").await
}
