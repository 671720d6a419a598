//! `GET|POST /api/offers/manage?token=…`: the poster's private page to edit,
//! renew, close or delete an offer, without an account.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use offers::validate::{FieldError, OfferInput, Rules, expiry, validate};
use offers::{Offer, Status, StoreError};
use serde_json::{Map, Value, json};

use crate::error::AppError;
use crate::mailer::Outgoing;
use crate::offers_api::{
    FormFields, TokenQuery, input_values, manage_link, offer_of_token, posted_form,
};
use crate::state::AppState;
use crate::tokens::Purpose;

/// What the page says after an action, from the `fait` query parameter.
#[derive(serde::Deserialize)]
pub struct Done {
    token: String,
    fait: Option<String>,
}

pub async fn manage_page(State(state): State<AppState>, Query(query): Query<Done>) -> Response {
    let notice = match query.fait.as_deref() {
        Some("edit") => Some("Vos modifications sont enregistrées et en ligne."),
        Some("renew") => Some("L'annonce est renouvelée."),
        Some("fill") => {
            Some("L'annonce est marquée comme pourvue : elle quitte les listes. Merci !")
        }
        _ => None,
    };
    let page = async {
        let offer = offer_of_token(&state, &query.token, Purpose::Manage).await?;
        let values = input_values(&OfferInput::from(&offer));
        render(
            &state,
            &query.token,
            &offer,
            &values,
            &[],
            notice,
            StatusCode::OK,
        )
    };
    page.await.unwrap_or_else(|error| error.page(&state.site()))
}

pub async fn manage_post(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(&state, &query.token, &headers, &body)
        .await
        .unwrap_or_else(|error| error.page(&state.site()))
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
    let mut context = generator::forms::publish_context(&state.site(), values, errors);
    let lifetime = state.site().config.offer_lifetime_days;
    let mut actions = Vec::new();
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
    actions.push(json!(["delete", "Supprimer l'annonce"]));
    let status_label = match offer.visible_status(state.now()) {
        Status::Pending => "en attente de confirmation",
        Status::Published => "en ligne",
        Status::Filled => "pourvue",
        Status::Expired => "expirée",
        Status::Removed => "retirée par la modération",
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
        context.insert(
            "expires".into(),
            json!(generator::french::date(offer.expires.date_naive())),
        );
        context.insert("actions".into(), json!(actions));
        context.insert("notice".into(), json!(notice));
    }
    let html = state
        .site()
        .render_page("manage.html", context)
        .map_err(AppError::internal)?;
    Ok((status, Html(html)).into_response())
}

async fn act(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    let fields: FormFields = posted_form(state, headers, body)?;
    let mut offer = offer_of_token(state, token, Purpose::Manage).await?;
    let previous_token_version = offer.token_version;
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
            input_values(&OfferInput::from(&offer))
        };
        return conflict(&offer, &values);
    }
    let now = state.now();
    match fields.action.as_str() {
        "delete" => {
            state
                .store
                .delete(offer.id)
                .await
                .map_err(AppError::internal)?;
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
                .render_page("message.html", context)
                .map_err(AppError::internal)?;
            return Ok(Html(html).into_response());
        }
        "renew" if offer.status != Status::Removed && offer.status != Status::Pending => {
            offer.status = Status::Published;
            offer.expires = expiry(now, offer.end, state.site().config.offer_lifetime_days);
        }
        "fill" if offer.status == Status::Published => offer.status = Status::Filled,
        "edit" => {
            let domains = state.site().config.domain_slugs();
            let rules = Rules {
                domains: &domains,
                today: now.date_naive(),
            };
            let draft = match validate(&typed, &rules) {
                Ok(draft) => draft,
                Err(errors) => {
                    return render(
                        state,
                        token,
                        &offer,
                        &input_values(&typed),
                        &errors,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    );
                }
            };
            let edited = draft.into_offer(offer.id, now, state.site().config.offer_lifetime_days);
            // A new address kills the links mailed to the old one.
            let new_address = edited.email != offer.email;
            offer = Offer {
                status: offer.status,
                created: offer.created,
                published: offer.published,
                expires: offer.expires.min(edited.expires.max(now)),
                version: offer.version,
                token_version: offer.token_version + u64::from(new_address),
                ..edited
            };
        }
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
        mail_new_link(state, &offer, &link).await?;
    }
    let path = link
        .strip_prefix(&state.base_url())
        .unwrap_or(&link)
        .to_owned();
    Ok(Redirect::to(&format!("{path}&fait={}", fields.action)).into_response())
}

/// Sends the offer's new private link to its new address.
async fn mail_new_link(state: &AppState, offer: &Offer, link: &str) -> Result<(), AppError> {
    let context = json!({
        "offer": { "title": offer.title, "author_name": offer.author_name },
        "link": link,
    });
    let site = state.site();
    let render = |name: &str| {
        site.render_page(name, context.clone())
            .map_err(AppError::internal)
    };
    let mail = Outgoing {
        to: offer.email.clone(),
        reply_to: None,
        subject: format!("Nouveau lien privé pour votre annonce « {} »", offer.title),
        text: render("mail/address.txt")?,
        html: render("mail/address.html")?,
        automatic: true,
    };
    state.mailer.send(mail).await.map_err(AppError::internal)
}
