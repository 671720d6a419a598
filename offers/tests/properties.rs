//! Properties over arbitrary input: validation, the Markdown subset and the JSON
//! Lines export never panic, every refusal is a French sentence, and an export
//! imports back to the same offers.

#![allow(clippy::unwrap_used)] // tests may unwrap

use chrono::{DateTime, NaiveDate, Utc};
use offers::demo::demo_offers;
use offers::jsonl::{read_lines, write_line};
use offers::markdown::render_description;
use offers::validate::{OfferInput, Rules, validate, validate_contact, validate_report};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
        .unwrap()
        .to_utc()
}

fn domains() -> Vec<String> {
    [
        "agricole",
        "associatif",
        "commercial",
        "medical",
        "transport",
        "socio-educatif",
        "impression-3d",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Text as people and robots type it: any character, biased towards the ones
/// that matter (accents, spaces, line breaks, invisible and direction marks).
fn typed(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::string::string_regex(&format!(
            "[a-zA-Zéèàçô0-9 ,.'!?\\n\\r\\t\\u{{202E}}\\u{{200B}}\\u{{AD}}\\u{{202F}}\\u{{0}}<>\\[\\]()*_#-]{{0,{max}}}"
        ))
        .unwrap(),
    ]
}

/// A French refusal: a sentence, not a debug dump.
fn is_french_sentence(message: &str) -> bool {
    message.chars().next().is_some_and(char::is_uppercase)
        && (message.ends_with('.') || message.ends_with('?'))
        && !message.contains("Err(")
        && !message.contains("invalid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn validation_never_panics_and_refuses_in_french(
        kind in typed(12), title in typed(200), description in typed(600),
        author in typed(100), skills in proptest::collection::vec(typed(50), 0..30),
        commune in typed(80), email in typed(80), start in typed(12), remote in any::<bool>(),
    ) {
        let input = OfferInput {
            kind, engagement: "volunteer".into(), author_kind: "association".into(),
            author_name: author, domain: "medical".into(), title, description, skills,
            commune, remote, department: String::new(), start, end: String::new(), email,
        };
        let rules = Rules { domains: &domains(), today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap() };
        if let Err(errors) = validate(&input, &rules) {
            prop_assert!(!errors.is_empty());
            for error in errors {
                prop_assert!(is_french_sentence(&error.message), "{:?}", error);
            }
        }
    }

    #[test]
    fn contact_and_report_checks_never_panic(name in typed(100), email in typed(80), message in typed(400)) {
        for errors in [
            validate_contact(&name, &email, &message).err(),
            validate_report(&message, &email).err(),
        ].into_iter().flatten() {
            for error in errors {
                prop_assert!(is_french_sentence(&error.message), "{:?}", error);
            }
        }
    }

    #[test]
    fn the_markdown_subset_renders_anything_safely(markdown in typed(800)) {
        let html = render_description(&markdown);
        let lower = html.to_lowercase();
        prop_assert!(!lower.contains("<script") && !lower.contains("<img") && !lower.contains("<iframe"));
        for href in lower.split("href=\"").skip(1) {
            prop_assert!(
                ["http://", "https://", "mailto:"].iter().any(|scheme| href.starts_with(scheme)),
                "unsafe link in {}", html
            );
        }
    }

    #[test]
    fn an_export_imports_back_to_the_same_offers(
        seed in 0u64..1_000,
        title in "[A-Za-zÀ-ÿ0-9 ,.'!?-]{10,100}",
        description in "[A-Za-zÀ-ÿ0-9 ,.'!?\\n*_-]{30,500}",
        author in "[A-Za-zÀ-ÿ' -]{2,60}",
    ) {
        let mut offers = demo_offers(3, seed, now()).unwrap();
        offers[0].title = title;
        offers[0].description = description;
        offers[0].author_name = author;
        let rules = Rules { domains: &domains(), today: offers[0].created.date_naive() };
        prop_assume!(validate(&OfferInput::from(&offers[0]), &rules).is_ok());
        let mut export = Vec::new();
        for offer in &offers {
            write_line(&mut export, offer).unwrap();
        }
        prop_assert_eq!(read_lines(export.as_slice(), &domains()).map(|backup| backup.offers), Ok(offers));
    }

    #[test]
    fn importing_garbage_is_refused_line_by_line(lines in proptest::collection::vec(typed(300), 1..6)) {
        match read_lines(lines.join("\n").as_bytes(), &domains()) {
            Ok(backup) => {
                let some_object = lines.iter().any(|l| l.contains('{'));
                prop_assert!((backup.offers.is_empty() && backup.alerts.is_empty()) || some_object);
            }
            Err(problems) => {
                for problem in problems {
                    prop_assert!(problem.starts_with("ligne "), "{}", problem);
                }
            }
        }
    }
}
