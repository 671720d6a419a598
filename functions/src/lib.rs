//! The HTTP side of Entraide: serving the built static site with the right
//! caching, compression and 404 page; signed tokens and the mailer that the form
//! endpoints use.

mod contact_api;
pub mod error;
pub mod lambda;
pub mod limits;
pub mod mailer;
mod manage_api;
mod offers_api;
mod report_api;
pub mod state;
pub mod sweep;
pub mod tokens;

pub use state::{AppState, NoRebuild, Rebuild, SiteHandle};

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// The largest request body any endpoint reads: a full offer form is under 16 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Every endpoint of the platform, with the built site in `out` served around them.
pub fn app(state: AppState, out: PathBuf) -> Router {
    let api = Router::new()
        .route("/api/form-token", get(offers_api::form_token))
        .route("/api/offers", post(offers_api::post_offer))
        .route("/api/offers/confirm", get(offers_api::confirm))
        .route(
            "/api/offers/manage",
            get(manage_api::manage_page).post(manage_api::manage_post),
        )
        .route("/api/contact", post(contact_api::post_contact))
        .route("/api/report", post(report_api::post_report))
        .route("/api/moderate", get(report_api::moderate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    site(out).merge(api)
}

/// Serves the built site in `out`: `/dir/` from `dir/index.html`, the site's
/// `404.html` with status 404 for anything else.
pub fn site(out: PathBuf) -> Router {
    let files = ServeDir::new(&out)
        .append_index_html_on_directories(true)
        .not_found_service(ServeFile::new(out.join("404.html")));
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_headers))
        .layer(CompressionLayer::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    fn sample_site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("annonces")).unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("annonces/index.html"), "<p>annonces</p>").unwrap();
        std::fs::write(dir.path().join("404.html"), "<p>introuvable</p>").unwrap();
        std::fs::write(dir.path().join("assets/style.0123456789.css"), "body{}").unwrap();
        dir
    }

    async fn get(dir: &tempfile::TempDir, uri: &str) -> Response {
        site(dir.path().to_owned())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn can_serve_pages_with_revalidation() {
        let dir = sample_site();
        let response = get(&dir, "/annonces/").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }

    #[tokio::test]
    async fn a_page_replaced_within_the_second_is_never_answered_not_modified() {
        let dir = sample_site();
        // What a browser holds when the page was replaced in the second it read it.
        let request = Request::get("/annonces/")
            .header(header::IF_MODIFIED_SINCE, "Fri, 01 Jan 2100 00:00:00 GMT")
            .body(Body::empty())
            .unwrap();
        let response = site(dir.path().to_owned()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.headers().contains_key(header::LAST_MODIFIED));
    }

    #[tokio::test]
    async fn assets_are_immutable() {
        let dir = sample_site();
        let response = get(&dir, "/assets/style.0123456789.css").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
    }

    #[tokio::test]
    async fn unknown_paths_get_the_404_page() {
        let dir = sample_site();
        let response = get(&dir, "/nulle-part/").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 10_000)
            .await
            .unwrap();
        assert_eq!(&body[..], b"<p>introuvable</p>");
    }
}
