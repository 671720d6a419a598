//! Properties over arbitrary input: signed tokens and the forms of every
//! endpoint never panic, never answer 500, and refuse in French.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use axum::body::Body;
use axum::http::{Request, header};
use common::{ORIGIN, harness, text};
use functions::tokens::{Purpose, Secret};
use proptest::prelude::*;

const NOW: i64 = 1_795_000_000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tokens_survive_anything(token in any::<String>(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let secret = Secret::new("une clé de test assez longue pour signer");
        for purpose in [Purpose::Confirm, Purpose::Manage, Purpose::Hide, Purpose::Form] {
            prop_assert!(secret.verify(&token, purpose, NOW).is_err());
            let raw = String::from_utf8_lossy(&bytes);
            prop_assert!(secret.verify(&raw, purpose, NOW).is_err());
        }
    }

    #[test]
    fn tokens_round_trip(subject in "[A-Za-z0-9:_-]{1,80}", version in any::<u64>(), life in 1i64..100_000_000) {
        let secret = Secret::new("une clé de test assez longue pour signer");
        let token = secret.sign(Purpose::Manage, &subject, version, NOW, NOW + life);
        let claims = secret.verify(&token, Purpose::Manage, NOW).unwrap();
        prop_assert_eq!((claims.subject.as_str(), claims.version), (subject.as_str(), version));
        prop_assert!(secret.verify(&token, Purpose::Confirm, NOW).is_err());
        prop_assert!(secret.verify(&token, Purpose::Manage, NOW + life).is_err());
    }
}

/// Bodies as a robot would send them: random bytes, random fields, huge values.
fn hostile_body() -> impl Strategy<Value = Vec<u8>> {
    let field = "(kind|engagement|author_kind|author_name|domain|title|description|skills|commune|remote|department|start|end|email|consent|website|form_token|offer|name|message|reason|action|version)";
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2_000),
        proptest::collection::vec(
            (
                proptest::string::string_regex(field).unwrap(),
                any::<String>()
            ),
            0..25
        )
        .prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_form_endpoint_refuses_garbage_in_french(body in hostile_body(), json in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let h = harness();
            for path in ["/api/offers", "/api/contact", "/api/report", "/api/offers/manage?token=x", "/api/moderate?token=x", "/api/offers/confirm?token=x"] {
                let content_type = if json { "application/json" } else { "application/x-www-form-urlencoded" };
                let request = Request::post(path)
                    .header(header::CONTENT_TYPE, content_type)
                    .header(header::ORIGIN, ORIGIN)
                    .body(Body::from(body.clone()))
                    .unwrap();
                let response = h.send(request).await;
                let status = response.status();
                prop_assert!(status.is_client_error() || status.is_redirection(), "{} answered {}", path, status);
                if status.is_client_error() {
                    let page = text(response).await;
                    prop_assert!(page.contains("lang=\"fr\"") || page.contains("\"message\""), "{}", page);
                }
            }
            prop_assert!(h.mails().is_empty(), "garbage sent a mail");
            Ok(())
        })?;
    }
}
