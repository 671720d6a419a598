//! What the functions' Lambdas share: their state, from the environment, and
//! how the `api` function learns who its client is behind API Gateway and
//! CloudFront.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use sha2::{Digest, Sha256};

use crate::client::{ClientAddress, TrustedProxies, parse_viewer_address};
use crate::error::AppError;
use crate::mailer::{Mailbox, Mailer};
use crate::tokens::Secret;
use crate::{AppState, NoRebuild, SiteHandle};

pub use generator::lambda_env::{Error, site_from_env, variable};

/// The state of a Lambda of this crate, from its environment: `ENTRAIDE_SITE`,
/// `ENTRAIDE_BASE_URL`, `ENTRAIDE_STORE`, `ENTRAIDE_SECRET` (at least 32
/// characters), `ENTRAIDE_MAIL`, and `ENTRAIDE_MAIL_FROM` (optional: the
/// sender, instead of `mail_from` in site.toml); `ENTRAIDE_REPLY_DOMAIN` is
/// read with the site (`site_from_env`). Rebuilds are the stream's.
pub async fn state_from_env() -> Result<AppState, Error> {
    let mut site = site_from_env()?;
    let secret = variable("ENTRAIDE_SECRET")?;
    if secret.len() < 32 {
        return Err("ENTRAIDE_SECRET must hold at least 32 characters".into());
    }
    if let Ok(from) = std::env::var("ENTRAIDE_MAIL_FROM") {
        site.config.mail_from = from;
    }
    let from: Mailbox = site.config.mail_from.parse()?;
    Ok(AppState {
        store: store::open_store(&variable("ENTRAIDE_STORE")?).await?,
        secret: Secret::new(secret),
        mailer: Arc::new(Mailer::from_url(&variable("ENTRAIDE_MAIL")?, from)?),
        rebuild: Arc::new(NoRebuild),
        min_fill_seconds: site.config.min_fill_seconds,
        site: SiteHandle::new(site),
        // The client comes from the gateway (`behind_gateway`), never from a header.
        trusted_proxies: TrustedProxies::default(),
        clock: chrono::Utc::now,
    })
}

/// The header CloudFront adds to every request it forwards to the `api` function,
/// holding the secret of `ENTRAIDE_ORIGIN_SECRET`.
pub const ORIGIN_SECRET_HEADER: &str = "x-entraide-origin-secret";
/// CloudFront's view of the client: `ip:port`.
const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// Wraps the router for API Gateway. With an origin secret (the function sits
/// behind our CloudFront distribution), a request without the secret header is
/// refused, and the client is CloudFront's viewer address; without one, the
/// client is API Gateway's source IP. Headers a client can write are never used.
/// Its refusals carry the security headers of every answer (`https`: the site is
/// served over https).
pub fn behind_gateway(router: Router, origin_secret: Option<String>, https: bool) -> Router {
    let expected: Option<[u8; 32]> =
        origin_secret.map(|secret| Sha256::digest(secret.as_bytes()).into());
    router
        .layer(middleware::from_fn_with_state(
            Arc::new(expected),
            prove_client,
        ))
        .layer(middleware::from_fn_with_state(
            https,
            crate::security_headers,
        ))
}

async fn prove_client(
    State(expected): State<Arc<Option<[u8; 32]>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = if let Some(expected) = expected.as_ref() {
        // Digests compared, so that the time taken says nothing about the secret.
        let sent: Option<[u8; 32]> = request
            .headers()
            .get(ORIGIN_SECRET_HEADER)
            .map(|value| Sha256::digest(value.as_bytes()).into());
        if sent.as_ref() != Some(expected) {
            return AppError::Forbidden.into_response();
        }
        request
            .headers()
            .get(VIEWER_ADDRESS_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_viewer_address)
    } else {
        match request.extensions().get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context
                .http
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse().ok()),
            _ => None,
        }
    };
    request.headers_mut().remove(ORIGIN_SECRET_HEADER);
    let Some(ip) = client else {
        // Without an address every visitor would share one allowance: a
        // misconfigured distribution or gateway is refused, loudly.
        tracing::error!("no client address: check the origin request policy or the gateway");
        return AppError::Unavailable.into_response();
    };
    request.extensions_mut().insert(ClientAddress(ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use tower::ServiceExt;

    /// Answers with the client address the layer established.
    fn echo(origin_secret: Option<&str>) -> Router {
        let router = Router::new().route(
            "/api/qui",
            get(|request: Request| async move {
                request
                    .extensions()
                    .get::<ClientAddress>()
                    .map_or("aucune".to_owned(), |client| client.0.to_string())
            }),
        );
        behind_gateway(router, origin_secret.map(str::to_owned), true)
    }

    async fn call(router: Router, request: Request) -> (StatusCode, String) {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 100_000)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn gateway_request(source_ip: &str) -> axum::http::request::Builder {
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some(source_ip.to_owned());
        Request::get("/api/qui")
            .extension(RequestContext::ApiGatewayV2(context))
            .header("x-forwarded-for", "6.6.6.6")
    }

    #[tokio::test]
    async fn behind_cloudfront_only_requests_with_the_secret_pass() {
        let request = gateway_request("198.51.100.1")
            .header(VIEWER_ADDRESS_HEADER, "6.6.6.6:1234")
            .body(Body::empty())
            .unwrap();
        let (status, _) = call(echo(Some("le secret de l'origine")), request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a direct call is refused");
        let request = gateway_request("198.51.100.1")
            .header(ORIGIN_SECRET_HEADER, "le secret de l'origine")
            .header(VIEWER_ADDRESS_HEADER, "2001:db8::7:46532")
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            call(echo(Some("le secret de l'origine")), request).await,
            (StatusCode::OK, "2001:db8::7".to_owned())
        );
    }

    #[tokio::test]
    async fn without_a_client_address_the_request_is_refused() {
        let request = Request::get("/api/qui")
            .header(ORIGIN_SECRET_HEADER, "le secret de l'origine")
            .body(Body::empty())
            .unwrap();
        let response = echo(Some("le secret de l'origine"))
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("content-security-policy"));
        assert!(response.headers().contains_key("strict-transport-security"));
    }

    #[tokio::test]
    async fn without_cloudfront_the_gateway_source_ip_is_the_client() {
        let request = gateway_request("198.51.100.1").body(Body::empty()).unwrap();
        assert_eq!(
            call(echo(None), request).await,
            (StatusCode::OK, "198.51.100.1".to_owned())
        );
    }
}
