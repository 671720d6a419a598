//! `GET|POST /api/offers/manage?token=…`: the poster's private page to edit,
//! renew, close or delete an offer, without an account; and
//! `GET|POST /api/offers/undo-address?token=…`, the way back for the address a
//! change of address left.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use offers::validate::{FieldError, OfferInput, Rules, expiry, validate, validate_report};
use offers::{Offer, Status};
use serde_json::{Map, Value, json};
use store::StoreError;

use crate::error::AppError;
use crate::extract::{Link, LinkForm};
use crate::forms::{FormFields, input_values};
use crate::limits;
use crate::mailer::Outgoing;
use crate::mails::{mail_moderators, render_mail, send};
use crate::offers_store::forget_reports;
use crate::pages::{self, Button};
use crate::signed_links::{
    ToManage, UNDO_DAYS, UndoAddress, manage_link, moderation_link, offer_of_token, undo_link,
};
use crate::state::AppState;
use crate::tokens::Purpose;

/// What the page says after an action, from the `fait` query parameter.
#[derive(serde::Deserialize)]
pub(crate) struct Done {
    fait: Option<String>,
}

pub(crate) async fn manage_page(
    State(state): State<AppState>,
    Query(query): Query<Done>,
    Link {
        token,
        target: ToManage { offer, .. },
    }: Link<ToManage>,
) -> Result<Response, AppError> {
    let notice = match query.fait.as_deref() {
        Some("edit") => Some("Vos modifications sont enregistrées et en ligne."),
        Some("renew") => Some("L'annonce est renouvelée."),
        Some("fill") => Some(
            "L'annonce est marquée comme pourvue : elle quitte les listes. Merci ! Vous pouvez la remettre en ligne ici tant qu'elle existe.",
        ),
        Some("unfill") => Some("L'annonce est de nouveau en ligne."),
        Some("review") => Some(
            "Votre demande est transmise à l'équipe de modération. Vous recevrez un courriel si l'annonce est rétablie.",
        ),
        Some("undo-address") => Some(
            "L'annonce a retrouvé votre adresse. Les liens envoyés à l'autre adresse ne fonctionnent plus ; ce lien-ci vient de vous être envoyé.",
        ),
        _ => None,
    };
    let values = editable_values(&offer);
    render(&state, &token, &offer, &values, &[], notice, StatusCode::OK)
}

pub(crate) async fn manage_post(
    State(state): State<AppState>,
    LinkForm {
        token,
        target: ToManage { offer, .. },
        fields,
    }: LinkForm<ToManage, FormFields>,
) -> Result<Response, AppError> {
    act(&state, &token, offer, &fields).await
}

fn render(
    state: &AppState,
    token: &str,
    offer: &Offer,
    values: &Map<String, Value>,
    errors: &[FieldError],
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let form = generator::forms::publish_context(&state.site().config, values, errors);
    let mut context = serde_json::to_value(form).map_err(AppError::internal)?;
    let lifetime = state.site().config.offer_lifetime_days;
    let mut actions = Vec::new();
    if offer.status == Status::Removed {
        actions.push(json!(["review", "Demander un nouvel examen"]));
    }
    if matches!(
        offer.status,
        Status::Published | Status::Expired | Status::Filled
    ) {
        actions.push(json!([
            "renew",
            format!("Renouveler pour {lifetime} jours")
        ]));
    }
    if offer.status == Status::Published {
        actions.push(json!(["fill", "Marquer comme pourvue"]));
    }
    if offer.status == Status::Filled && !end_passed(offer, state.now()) {
        actions.push(json!([
            "unfill",
            "Remettre en ligne : elle n'est plus pourvue"
        ]));
    }
    // The last day it is listed (it leaves at midnight after its end date).
    let expires = generator::french::date((offer.expires - Duration::seconds(1)).date_naive());
    let status_label = match offer.visible_status(state.now()) {
        Status::Pending => "en attente de confirmation".to_owned(),
        Status::Published => format!("en ligne jusqu'au {expires}"),
        Status::Filled => "pourvue : elle n'apparaît plus dans les listes".to_owned(),
        Status::Expired => format!("expirée le {expires}"),
        Status::Removed => "masquée par la modération".to_owned(),
    };
    if let Some(context) = context.as_object_mut() {
        context.insert("page".into(), json!({ "title": "Gérer votre annonce", "description": "", "url": "/api/offers/manage", "breadcrumbs": [], "noindex": true }));
        context.insert(
            "action".into(),
            json!(format!("/api/offers/manage?token={token}")),
        );
        context.insert("version".into(), json!(offer.version));
        context.insert(
            "offer_url".into(),
            json!(format!("/annonces/{}/", offer.id)),
        );
        context.insert("current_title".into(), json!(offer.title));
        context.insert("status_label".into(), json!(status_label));
        context.insert("actions".into(), json!(actions));
        context.insert("notice".into(), json!(notice));
    }
    let html = state
        .site()
        .render_page("manage.html", &context)
        .map_err(AppError::internal)?;
    Ok((status, Html(html)).into_response())
}

/// The offer with the poster's edit applied, or why it cannot be; a new
/// address bumps the token version (the old links die).
fn edited(
    state: &AppState,
    offer: &Offer,
    typed: &OfferInput,
    now: DateTime<Utc>,
) -> Result<Offer, Vec<FieldError>> {
    let domains = state.site().config.domain_slugs();
    let rules = Rules {
        domains: &domains,
        today: now.date_naive(),
    };
    let draft = validate(typed, &rules)?;
    let edited = draft.into_offer(offer.id, now, state.site().config.offer_lifetime_days);
    let new_address = limits::mailbox(&edited.email) != limits::mailbox(&offer.email);
    Ok(Offer {
        status: offer.status,
        created: offer.created,
        published: offer.published,
        listed: offer.listed,
        expires: offer.expires.min(edited.expires.max(now)),
        version: offer.version,
        token_version: offer.token_version + u64::from(new_address),
        hidden: offer.hidden,
        followup: offer.followup.clone(),
        ..edited
    })
}

/// Back in the listings, renewed or not filled after all (alerts hear of it):
/// for a new lifetime when renewed, or when its own ended.
pub(crate) fn relist(offer: &mut Offer, now: DateTime<Utc>, lifetime_days: i64, renewed: bool) {
    offer.status = Status::Published;
    offer.listed = Some(now);
    if renewed || offer.expires <= now {
        offer.expires = expiry(now, offer.end, lifetime_days);
    }
}

async fn act(
    state: &AppState,
    token: &str,
    mut offer: Offer,
    fields: &FormFields,
) -> Result<Response, AppError> {
    let (previous_token_version, previous_email) = (offer.token_version, offer.email.clone());
    let typed = fields.input();
    let conflict = |offer: &Offer, values: &Map<String, Value>| {
        render(
            state,
            token,
            offer,
            values,
            &[],
            Some(
                "L'annonce a été modifiée depuis l'ouverture de cette page (dans un autre onglet ?). Rien n'a été enregistré : vérifiez ce qui est ci-dessous, puis renvoyez.",
            ),
            StatusCode::CONFLICT,
        )
    };
    if fields.version != offer.version {
        let values = if fields.action == "edit" {
            input_values(&typed)
        } else {
            editable_values(&offer)
        };
        return conflict(&offer, &values);
    }
    let now = state.now();
    match fields.action.as_str() {
        "delete" if fields.confirm != "oui" => {
            return render(
                state,
                token,
                &offer,
                &editable_values(&offer),
                &[FieldError {
                    field: "confirm-delete",
                    message: "Cochez la case pour confirmer la suppression : elle est définitive."
                        .into(),
                }],
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        "delete" => {
            state
                .store
                .delete(offer.id)
                .await
                .map_err(AppError::internal)?;
            forget_reports(state, offer.id).await?;
            state.rebuild.changed().await;
            tracing::info!(offer = %offer.id, "erased by its poster");
            let context = generator::forms::message_context(
                "Annonce supprimée",
                "/api/offers/manage",
                &[
                    "Votre annonce et votre adresse sont effacées. Les pages du site qui la montraient sont mises à jour.",
                ],
                Some(("Retour à l'accueil", "/")),
            );
            let html = state
                .site()
                .render_page("message.html", &context)
                .map_err(AppError::internal)?;
            return Ok(Html(html).into_response());
        }
        "review" if offer.status == Status::Removed => {
            return ask_for_review(state, token, &offer, &fields.message).await;
        }
        "renew" if offer.status != Status::Removed && offer.status != Status::Pending => {
            relist(
                &mut offer,
                now,
                state.site().config.offer_lifetime_days,
                true,
            );
        }
        "fill" if offer.status == Status::Published => offer.status = Status::Filled,
        "unfill" if offer.status == Status::Filled && !end_passed(&offer, now) => {
            relist(
                &mut offer,
                now,
                state.site().config.offer_lifetime_days,
                false,
            );
        }
        "edit" => match edited(state, &offer, &typed, now) {
            Ok(edited) => offer = edited,
            Err(errors) => {
                let values = input_values(&typed);
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return render(state, token, &offer, &values, &errors, None, status);
            }
        },
        _ => {
            return Err(AppError::BadRequest(
                "Cette action n'est pas possible pour cette annonce.",
            ));
        }
    }
    offer.updated = now;
    match state.store.update(&offer).await {
        Ok(_) => {}
        Err(StoreError::VersionConflict { .. }) => {
            let current = offer_of_token(state, token, Purpose::Manage).await?;
            return conflict(&current, &input_values(&typed));
        }
        Err(error) => return Err(AppError::internal(error)),
    }
    state.rebuild.changed().await;
    let link = manage_link(state, &offer);
    if offer.token_version != previous_token_version {
        // The old address hears first: whatever happens to the other mail.
        mail_undo_link(state, &offer, &previous_email).await;
        mail_new_link(state, &offer, &link).await?;
    }
    let path = link
        .strip_prefix(&state.base_url())
        .unwrap_or(&link)
        .to_owned();
    Ok(Redirect::to(&format!("{path}&fait={}", fields.action)).into_response())
}

/// Whether the offer's own end date is behind us: it cannot come back online.
fn end_passed(offer: &Offer, now: chrono::DateTime<chrono::Utc>) -> bool {
    offer.end.is_some_and(|end| end < now.date_naive())
}

/// The form's values for an offer as stored, its commune written as people
/// know it (« Plouguerneau (29) »), not as its INSEE code.
fn editable_values(offer: &Offer) -> Map<String, Value> {
    let mut values = input_values(&OfferInput::from(offer));
    if let Some(commune) = offer
        .commune
        .as_deref()
        .and_then(|code| offers::communes::geography().commune(code))
    {
        values.insert(
            "commune".into(),
            Value::String(format!("{} ({})", commune.name, commune.department)),
        );
    }
    values
}

/// Sends the offer's new private link to its (new) address.
async fn mail_new_link(state: &AppState, offer: &Offer, link: &str) -> Result<(), AppError> {
    let mail = render_mail(
        state,
        "address",
        &format!("Nouveau lien privé pour votre annonce « {} »", offer.title),
        offer,
        json!({ "link": link }),
    );
    send(state, mail).await
}

/// Tells the address an offer just left, with a link that gives it back (and
/// kills the links of the new one). A failure is logged: the change stands.
async fn mail_undo_link(state: &AppState, offer: &Offer, previous_email: &str) {
    let link = undo_link(state, offer, previous_email);
    let mail = render_mail(
        state,
        "address_changed",
        &format!("L'adresse de votre annonce « {} » a changé", offer.title),
        offer,
        json!({ "link": link, "days": UNDO_DAYS }),
    )
    .map(|mail| Outgoing {
        to: previous_email.to_owned(),
        ..mail
    });
    if let Err(error) = send(state, mail).await {
        tracing::error!(offer = %offer.id, "undo link not sent: {error}");
    }
}

/// `GET /api/offers/undo-address?token=…`: what the link to the old address
/// opens; changes nothing.
pub(crate) async fn undo_address_page(
    State(state): State<AppState>,
    Link {
        token,
        target: UndoAddress { offer, .. },
    }: Link<UndoAddress>,
) -> Result<Response, AppError> {
    let about = format!(
        "L'adresse de l'annonce « {} » a été remplacée. Si vous n'êtes pas à l'origine de ce changement, annulez-le : l'annonce retrouvera votre adresse, les liens envoyés à l'autre ne fonctionneront plus, et un nouveau lien privé vous sera envoyé.",
        offer.title
    );
    pages::button(
        &state,
        &Button {
            title: "Annuler le changement d'adresse",
            paragraphs: &[&about],
            action: &format!("/api/offers/undo-address?token={token}"),
            label: "Rendre l'annonce à mon adresse",
            link: None,
        },
    )
}

/// `POST /api/offers/undo-address?token=…`: the offer gets its old address back.
pub(crate) async fn undo_address(
    State(state): State<AppState>,
    Link {
        target: UndoAddress { mut offer, email },
        ..
    }: Link<UndoAddress>,
) -> Result<Response, AppError> {
    offer.email = email;
    offer.token_version += 1;
    offer.updated = state.now();
    let offer = match state.store.update(&offer).await {
        Ok(offer) => offer,
        Err(StoreError::VersionConflict { .. }) => {
            return Err(AppError::Refused(
                "L'annonce a été modifiée au même moment : ouvrez de nouveau le lien pour réessayer.".into(),
            ));
        }
        Err(error) => return Err(AppError::internal(error)),
    };
    tracing::info!(offer = %offer.id, "address change undone");
    let link = manage_link(&state, &offer);
    mail_new_link(&state, &offer, &link).await?;
    let path = link.strip_prefix(&state.base_url()).unwrap_or(&link);
    Ok(Redirect::to(&format!("{path}&fait=undo-address")).into_response())
}

/// A hidden offer's poster asks the moderators to look again (once a day).
async fn ask_for_review(
    state: &AppState,
    token: &str,
    offer: &Offer,
    message: &str,
) -> Result<Response, AppError> {
    let text = validate_report(message, "")
        .map_err(|errors| AppError::Refused(errors[0].message.clone()))?;
    if limits::count(state, &limits::REVIEWS_PER_OFFER, &offer.id.to_string())
        .await
        .is_err()
    {
        return Err(AppError::Refused(
            "Une demande de nouvel examen est déjà partie aujourd'hui pour cette annonce : la modération y répondra.".into(),
        ));
    }
    let context = json!({
        "offer": { "title": offer.title, "description": offer.description },
        "message": text.message,
        "restore_link": moderation_link(state, Purpose::Restore, offer.id),
    });
    mail_moderators(
        state,
        "review",
        format!("Demande de nouvel examen : « {} »", offer.title),
        &context,
        None,
    )
    .await?;
    tracing::info!(offer = %offer.id, "review requested");
    Ok(Redirect::to(&format!("/api/offers/manage?token={token}&fait=review")).into_response())
}
