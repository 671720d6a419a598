//! The `api` Lambda: the same router as `entraide serve`, under `lambda_http`,
//! configured from the environment:
//!
//! - `ENTRAIDE_SITE`: folder holding `content/` and `themes/` (shipped with the function)
//! - `ENTRAIDE_STORE`: the store URL
//! - `ENTRAIDE_SECRET`: the signing key (at least 32 characters)
//! - `ENTRAIDE_MAIL`: `smtp://user:pass@email-smtp.<region>.amazonaws.com:587` for SES
//! - `ENTRAIDE_BASE_URL`: the public address of the site (checked against `Origin`)
//! - `ENTRAIDE_MAIL_FROM` (optional): the sender, instead of `mail_from` in site.toml
//! - `ENTRAIDE_ORIGIN_SECRET` (optional): the secret CloudFront adds to every
//!   request (`X-Entraide-Origin-Secret`); when set, requests without it are
//!   refused and the client is CloudFront's viewer address
//!
//! Rebuilds are triggered by the store's change stream, not by this function.

use std::path::PathBuf;

use functions::lambda::{behind_gateway, state_from_env};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = state_from_env().await?;
    // CloudFront serves the site from S3: only /api/* reaches the function.
    let https = state.base_url().starts_with("https://");
    let router = functions::app(state, PathBuf::from("/nonexistent"));
    let origin_secret = std::env::var("ENTRAIDE_ORIGIN_SECRET")
        .ok()
        .filter(|secret| !secret.is_empty());
    lambda_http::run(behind_gateway(router, origin_secret, https)).await
}
