//! The platform under robots and races: a flood of robot posts leaves nothing
//! behind, and parallel edits of one offer are each applied or refused, never lost.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use common::{clock, edit_form, harness, post_form, post_to, with_offer};
use functions::tokens::Purpose;
use offers::Status;
use tower::ServiceExt;

const GOOD_FORM: &str = "kind=offer&engagement=volunteer&author_kind=individual&author_name=Aur%C3%A9lien\
&domain=medical&title=Infirmier+retrait%C3%A9+disponible+en+renfort\
&description=Infirmier+pendant+trente+ans%2C+je+peux+aider+un+EHPAD+ou+un+cabinet.\
&commune=Ploudalmezeau&email=poster%40exemple.org&consent=on";

#[tokio::test]
async fn a_thousand_robot_posts_store_nothing_and_send_nothing() {
    let h = harness();
    let now = clock().timestamp();
    let fresh = h
        .state
        .secret
        .sign(Purpose::Form, "form", 0, now, now + 3600);
    let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
    for robot in 0..1_000 {
        let request = match robot % 3 {
            // The honeypot filled…
            0 => post_form(&format!("{GOOD_FORM}&website=http%3A%2F%2Fspam.example")),
            // …the form sent the moment it was loaded…
            1 => post_form(&format!("{GOOD_FORM}&form_token={fresh}")),
            // …or from another site.
            _ => {
                let mut request = post_form(GOOD_FORM);
                request
                    .headers_mut()
                    .insert(header::ORIGIN, "https://spam.example".parse().unwrap());
                request
            }
        };
        *answers
            .entry(h.send(request).await.status().as_u16())
            .or_default() += 1;
    }
    assert_eq!(
        answers,
        BTreeMap::from([(303, 334), (403, 333), (422, 333)])
    );
    assert!(
        h.store.list(None).await.unwrap().is_empty(),
        "nothing stored"
    );
    assert!(h.mails().is_empty(), "nothing sent");
}

#[tokio::test]
async fn parallel_edits_are_each_applied_or_refused_never_lost() {
    let (h, offer, token) = with_offer(Status::Published).await;
    let manage = format!("/api/offers/manage?token={token}");
    let mut edits = tokio::task::JoinSet::new();
    for editor in 0..50 {
        // Each editor read the page at some version, then sends its own title.
        let version = offer.version + (editor % 3);
        let title = format!("Titre de la modification numéro {editor}");
        let form = edit_form(&offer, version, &title);
        let router = functions::app(h.state.clone(), h.dir.path().join("public"));
        let request = post_to(&manage, &form);
        edits.spawn(async move {
            let status = router.oneshot(request).await.unwrap().status();
            (status, title)
        });
    }
    let mut applied = Vec::new();
    let mut refused = 0;
    while let Some(edit) = edits.join_next().await {
        match edit.unwrap() {
            (StatusCode::SEE_OTHER, title) => applied.push(title),
            (StatusCode::CONFLICT, _) => refused += 1,
            (other, title) => panic!("{title}: answered {other}"),
        }
    }
    assert_eq!(applied.len() + refused, 50);
    assert!(!applied.is_empty(), "some edit went through");
    let stored = h.store.get(offer.id).await.unwrap().unwrap();
    assert_eq!(
        stored.version,
        offer.version + applied.len() as u64,
        "every applied edit is one version, none overwritten silently"
    );
    assert!(applied.contains(&stored.title), "{}", stored.title);
}
