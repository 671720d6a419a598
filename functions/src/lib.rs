//! The HTTP side of Entraide: serving the built static site with the right
//! caching, compression and 404 page; signed tokens and the mailer that the form
//! endpoints use.

mod alerts_api;
pub mod alerts_run;
pub mod client;
mod contact_api;
mod conversations_api;
pub mod error;
mod extract;
mod followups;
mod forms;
pub mod inbound_smtp;
pub mod lambda;
pub mod limits;
mod links_api;
pub mod mail_events;
pub mod mailer;
mod mails;
mod manage_api;
mod offers_api;
mod offers_store;
mod pages;
pub mod relay;
mod report_api;
#[cfg(feature = "dynamodb")]
pub mod ses_relay;
mod signed_links;
pub mod state;
mod still_needed_api;
pub mod sweep;
pub mod tokens;

pub use state::{AppState, NoRebuild, Rebuild, SiteHandle};

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use error::AppError;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// The largest request body any endpoint reads: a full offer form is under 16 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the pages may load: their own scripts (the search runs Pagefind's
/// WebAssembly), styles and images, nothing from elsewhere, never in a frame. The
/// same policy is set by CloudFront in production (infra/template.yaml).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
/// Sent when the site is served over https (`base_url`).
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Fingerprinted assets never change; pages must be revalidated; answers of the
/// functions are never stored.
async fn cache_headers(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let fingerprinted = path.starts_with("/assets/");
    let cache = if fingerprinted {
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/api/") {
        "no-store"
    } else {
        "no-cache"
    };
    // A page or a file of the search index can be replaced twice within one
    // second, the precision of `Last-Modified`: revalidated by date, a browser
    // would keep the first version (a search missing an edit). Sent whole.
    if !fingerprinted {
        request.headers_mut().remove(header::IF_MODIFIED_SINCE);
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !fingerprinted {
        headers.remove(header::LAST_MODIFIED);
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(cache));
    response
}

/// The headers every answer carries, pages and functions alike.
pub async fn security_headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // The functions' pages carry tokens in their URL: only the origin is sent
    // onwards. (`no-referrer` would make the browser send `Origin: null` with
    // the page's own form, which the origin check refuses.)
    let referrer = if api { "strict-origin" } else { "same-origin" };
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// Files of the output folder that are the build's own, not the site's (their
/// names start with a dot: the manifest), answered with the 404 page.
async fn hide_build_files(
    State(not_found): State<ServeFile>,
    request: Request,
    next: Next,
) -> Response {
    // Checked as the file server reads the path: decoded, any segment.
    let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy();
    if !path
        .split(['/', '\\'])
        .any(|segment| segment.starts_with('.'))
    {
        return next.run(request).await;
    }
    let mut response = match not_found.oneshot(request).await {
        Ok(page) => page.into_response(),
        Err(never) => match never {},
    };
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// Runs a function to its end even when its client goes away: a confirmation
/// stores the offer, then mails its private link; dropped between the two (the
/// visitor closed the tab), the poster would never get the link.
async fn complete_even_if_abandoned(request: Request, next: Next) -> Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(failure) => AppError::internal(failure).into_response(),
    }
}

/// Every endpoint of the platform, with the built site in `out` served around them.
pub fn app(state: AppState, out: PathBuf) -> Router {
    let https = state.base_url().starts_with("https://");
    let api = Router::new()
        .route("/api/form-token", get(forms::form_token))
        .route("/api/offers", post(offers_api::post_offer))
        .route(
            "/api/offers/confirm",
            get(offers_api::confirm_page).post(offers_api::confirm),
        )
        .route(
            "/api/offers/manage",
            get(manage_api::manage_page).post(manage_api::manage_post),
        )
        .route(
            "/api/offers/undo-address",
            get(manage_api::undo_address_page).post(manage_api::undo_address),
        )
        .route("/api/offers/links", post(links_api::post_links))
        .route(
            "/api/offers/still-needed",
            get(still_needed_api::page).post(still_needed_api::act),
        )
        .route("/api/contact", post(contact_api::post_contact))
        .route(
            "/api/conversations/close",
            get(conversations_api::close_page).post(conversations_api::close),
        )
        .route(
            "/api/conversations/confirm",
            get(conversations_api::confirm_page).post(conversations_api::confirm),
        )
        .route(
            "/api/conversations/block",
            get(conversations_api::block_page).post(conversations_api::block),
        )
        .route("/api/report", post(report_api::post_report))
        .route("/api/alerts", post(alerts_api::post_alert))
        .route(
            "/api/alerts/confirm",
            get(alerts_api::confirm_page).post(alerts_api::confirm),
        )
        .route(
            "/api/alerts/manage",
            get(alerts_api::manage_page).post(alerts_api::manage_post),
        )
        .route(
            "/api/alerts/unsubscribe",
            get(alerts_api::unsubscribe_page).post(alerts_api::unsubscribe),
        )
        .route(
            "/api/moderate",
            get(report_api::moderate_page).post(report_api::moderate),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::themed_errors,
        ))
        .layer(middleware::from_fn(complete_even_if_abandoned))
        .with_state(state);
    site(out)
        .merge(api)
        .layer(middleware::from_fn(cache_headers))
        .layer(middleware::from_fn_with_state(https, security_headers))
        .layer(CompressionLayer::new())
}

/// Serves the built site in `out`: `/dir/` from `dir/index.html`, the site's
/// `404.html` with status 404 for anything else, nothing whose name starts with
/// a dot (the build's manifest).
pub fn site(out: PathBuf) -> Router {
    let not_found = ServeFile::new(out.join("404.html"));
    let files = ServeDir::new(out)
        .append_index_html_on_directories(true)
        .not_found_service(not_found.clone());
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(not_found, hide_build_files))
}
