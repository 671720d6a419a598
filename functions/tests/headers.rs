//! What every answer carries: caching, security headers, and what is never served.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use common::{Harness, harness, text};

fn with_sample_site() -> Harness {
    let h = harness();
    let public = h.dir.path().join("public");
    for (path, body) in [
        ("annonces/index.html", "<p>annonces</p>"),
        ("404.html", "<p>introuvable</p>"),
        ("assets/style.0123456789.css", "body{}"),
        (".manifest.json", "{\"files\": {}}"),
    ] {
        let file = public.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    h
}

async fn get(h: &Harness, uri: &str) -> Response {
    h.send(Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn can_serve_pages_with_revalidation() {
    let h = with_sample_site();
    let response = get(&h, "/annonces/").await;
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
    let h = with_sample_site();
    // What a browser holds when the page was replaced in the second it read it.
    let request = Request::get("/annonces/")
        .header(header::IF_MODIFIED_SINCE, "Fri, 01 Jan 2100 00:00:00 GMT")
        .body(Body::empty())
        .unwrap();
    let response = h.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers().contains_key(header::LAST_MODIFIED));
}

#[tokio::test]
async fn assets_are_immutable() {
    let h = with_sample_site();
    let response = get(&h, "/assets/style.0123456789.css").await;
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
    let h = with_sample_site();
    let response = get(&h, "/nulle-part/").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(text(response).await, "<p>introuvable</p>");
}

#[tokio::test]
async fn the_build_manifest_is_never_served() {
    let h = with_sample_site();
    for path in [
        "/.manifest.json",
        "/%2Emanifest.json",
        "/%2emanifest.json",
        "//.manifest.json",
        "/annonces/../.manifest.json",
    ] {
        let response = get(&h, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(text(response).await, "<p>introuvable</p>", "{path}");
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let h = with_sample_site();
    for uri in [
        "/annonces/",
        "/assets/style.0123456789.css",
        "/nulle-part/",
        "/api/form-token",
        "/api/offers/manage?token=faux",
        "/api/inconnue",
    ] {
        let response = get(&h, uri).await;
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            functions::CONTENT_SECURITY_POLICY,
            "{uri}"
        );
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        let referrer = if uri.starts_with("/api/") {
            "strict-origin"
        } else {
            "same-origin"
        };
        assert_eq!(headers[header::REFERRER_POLICY], referrer, "{uri}");
        assert!(
            !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "no HSTS over plain http ({uri})"
        );
        if uri.starts_with("/api/") {
            assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{uri}");
        }
    }
}

#[tokio::test]
async fn https_sites_send_hsts() {
    let h = with_sample_site();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut site = generator::Site::load(&root, &root.join("themes/default")).unwrap();
    site.config.base_url = "https://entraide.example".into();
    h.state.site.replace(site);
    let response = get(&h, "/api/form-token").await;
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
}
