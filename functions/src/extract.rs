//! What the endpoints read before they act, as axum extractors: a form posted
//! from the site itself, the offer such a form names, and what a signed link
//! opens. Their refusals are the endpoints' own: `AppError`, or axum's answer
//! for a body over the limit (`413`) or a query without its token (`400`).

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use offers::Offer;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::AppError;
use crate::offers_store::{offer_id, stored_offer};
use crate::state::AppState;

/// The scheme, host and port of a URL: what browsers send as `Origin`.
fn origin_of(url: &str) -> Option<String> {
    let origin = Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Refuses cross-site posts: a plain HTML form triggers no CORS preflight.
pub(crate) fn check_origin(headers: &HeaderMap, base_url: &str) -> Result<(), AppError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return match origin_of(base_url) {
            Some(ours) if origin.as_bytes() == ours.as_bytes() => Ok(()),
            _ => Err(AppError::Forbidden),
        };
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"same-origin" | b"none") => Ok(()),
        Some(_) => Err(AppError::Forbidden),
    }
}

/// The body of a post from the site itself: read within the size limit, then
/// the origin checked; `refusal` shapes the answer to a cross-site post.
pub(crate) async fn posted_body(
    request: Request,
    state: &AppState,
    refusal: impl FnOnce(AppError) -> AppError,
) -> Result<Bytes, Response> {
    let origin = check_origin(request.headers(), &state.base_url());
    let body = Bytes::from_request(request, state)
        .await
        .map_err(IntoResponse::into_response)?;
    origin.map_err(|error| refusal(error).into_response())?;
    Ok(body)
}

/// A urlencoded form posted from the site itself, its fields read.
pub(crate) struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Form<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let body = posted_body(request, state, |error| error).await?;
        serde_urlencoded::from_bytes(&body)
            .map(Form)
            .map_err(|_| AppError::BadRequest("Le formulaire reçu est illisible.").into_response())
    }
}

/// A form that names an offer in its `offer` field.
pub(crate) trait NamesOffer {
    fn offer(&self) -> &str;
}

/// A form posted from the site itself about an offer, with that offer as
/// stored: an id that names none is answered `404`.
pub(crate) struct OfferForm<T> {
    pub fields: T,
    pub offer: Offer,
}

impl<T: DeserializeOwned + NamesOffer + Send> FromRequest<AppState> for OfferForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let Form(fields) = Form::<T>::from_request(request, state).await?;
        let id = offer_id(fields.offer()).map_err(IntoResponse::into_response)?;
        let offer = stored_offer(state, id)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(OfferForm { fields, offer })
    }
}

/// What a signed link opens, read from its token.
pub(crate) trait LinkTarget: Sized + Send {
    fn open(state: &AppState, token: &str) -> impl Future<Output = Result<Self, AppError>> + Send;
}

/// The query of a signed link: `?token=…`.
#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    pub token: String,
}

async fn token_of(parts: &mut Parts, state: &AppState) -> Result<String, Response> {
    let Query(query) = Query::<TokenQuery>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(query.token)
}

/// A signed link (`?token=…`) and what it opens. Opened by a GET (a mail
/// scanner, a person) it changes nothing; its POST acts, from the site's own
/// pages only.
pub(crate) struct Link<T> {
    pub token: String,
    pub target: T,
}

impl<T: LinkTarget> FromRequestParts<AppState> for Link<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = token_of(parts, state).await?;
        let target = async {
            if !parts.method.is_safe() {
                check_origin(&parts.headers, &state.base_url())?;
            }
            T::open(state, &token).await
        }
        .await
        .map_err(IntoResponse::into_response)?;
        Ok(Link { token, target })
    }
}

/// A form posted to a signed link: the form read and checked first, then the
/// link opened.
pub(crate) struct LinkForm<T, F> {
    pub token: String,
    pub target: T,
    pub fields: F,
}

impl<T: LinkTarget, F: DeserializeOwned + Send> FromRequest<AppState> for LinkForm<T, F> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let token = token_of(&mut parts, state).await?;
        let Form(fields) = Form::<F>::from_request(Request::from_parts(parts, body), state).await?;
        let target = T::open(state, &token)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(LinkForm {
            token,
            target,
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_a_scheme_a_host_and_a_port() {
        for (base_url, origin) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                "https://entraide.example.org",
                "https://entraide.example.org",
            ),
            (
                "https://Entraide.Example.org:443/",
                "https://entraide.example.org",
            ),
            (
                "https://entraide.example.org/sous/dossier",
                "https://entraide.example.org",
            ),
        ] {
            assert_eq!(origin_of(base_url).as_deref(), Some(origin), "{base_url}");
        }
        assert_eq!(origin_of("pas une adresse"), None);
    }

    #[test]
    fn errors_on_posts_from_elsewhere() {
        let from = |origin: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, origin.parse().unwrap());
            headers
        };
        let ours = "https://entraide.example.org";
        assert!(check_origin(&from(ours), ours).is_ok());
        for (origin, base_url) in [
            ("https://ailleurs.example", ours),
            ("http://entraide.example.org", ours),
            ("null", "pas une adresse"),
        ] {
            assert!(
                matches!(
                    check_origin(&from(origin), base_url),
                    Err(AppError::Forbidden)
                ),
                "{origin}"
            );
        }
        let mut fetched = HeaderMap::new();
        fetched.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(check_origin(&fetched, ours).is_err());
        assert!(
            check_origin(&HeaderMap::new(), ours).is_ok(),
            "an old browser"
        );
    }
}
