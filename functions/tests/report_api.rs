//! `POST /api/report` and `GET|POST /api/moderate`: reports that no single
//! person can turn into censorship, moderators' links that act only on POST.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Harness, clock, from_client, harness, link_in, post_to, text, unfolded};
use functions::tokens::Purpose;
use offers::demo::demo_offers;
use offers::{Offer, Status};

async fn published_offer() -> (Harness, Offer) {
    let h = harness();
    let mut offer = demo_offers(1, 8, clock()).unwrap().remove(0);
    offer.status = Status::Published;
    offer.expires = clock() + chrono::Duration::days(10);
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    (h, offer)
}

/// A report as the offer's page sends it, its form loaded a minute ago.
fn report(offer: &Offer, reason: &str) -> String {
    let now = clock().timestamp();
    let token = common::harness_secret().sign(Purpose::Form, "form", 0, now - 60, now + 3600);
    format!(
        "offer={}&reason={reason}&message=Cette+annonce+demande+de+l%27argent.&email=&website=&form_token={token}",
        offer.id
    )
}

/// The same report sent without its form token (no JavaScript, or a robot).
fn bare(body: &str) -> String {
    body[..body.find("&form_token=").unwrap()].to_owned()
}

/// A report sent from the connection `ip`.
fn report_from(ip: &str, offer: &Offer) -> Request<Body> {
    from_client(post_to("/api/report", &report(offer, "scam")), ip)
}

async fn status(h: &Harness, offer: &Offer) -> Status {
    h.store.get(offer.id).await.unwrap().unwrap().status
}

fn mails_to<'a>(mails: &'a [String], to: &str) -> Vec<&'a String> {
    mails
        .iter()
        .filter(|mail| mail.contains(&format!("To: {to}")))
        .collect()
}

/// A moderator's link as the router sees it.
fn path_of(link: &str) -> String {
    link.replace("http://127.0.0.1:8080", "")
}

#[tokio::test]
async fn three_reports_from_one_client_leave_the_offer_online() {
    let (h, offer) = published_offer().await;
    for n in 1..=3 {
        let response = h.send(report_from("198.51.100.7", &offer)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "report {n}");
        assert_eq!(response.headers()[header::LOCATION], "/signalement/merci/");
    }
    assert_eq!(status(&h, &offer).await, Status::Published);
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 0);
    assert_eq!(
        h.mails().len(),
        1,
        "the moderators hear of the first report"
    );

    // Nor does one person who hops addresses within their own allocation: an
    // IPv6 /56 (or /48), an IPv4 /24.
    for ip in [
        "2001:db8:0:100::1",
        "2001:db8:0:101::1",
        "2001:db8:0:1ff::9",
    ] {
        h.send(report_from(ip, &offer)).await;
    }
    assert_eq!(
        status(&h, &offer).await,
        Status::Published,
        "two reporters so far"
    );

    // Nor one person who changes network but gives the same address, in any case.
    let with_address = |ip: &str, address: &str| {
        from_client(
            post_to(
                "/api/report",
                &report(&offer, "scam").replace("email=", &format!("email={address}")),
            ),
            ip,
        )
    };
    let (h, offer) = published_offer().await;
    h.send(with_address("192.0.2.1", "Lea%40Exemple.org")).await;
    h.send(with_address("198.51.100.1", "lea%40exemple.org"))
        .await;
    h.send(with_address("203.0.113.1", "LEA%40EXEMPLE.ORG"))
        .await;
    assert_eq!(status(&h, &offer).await, Status::Published);
    assert!(
        h.mails()[0]
            .lines()
            .any(|l| l.starts_with("Reply-To:") && l.contains("Lea@Exemple.org")),
        "the moderators can answer the reporter who gave an address"
    );
}

#[tokio::test]
async fn reports_without_a_form_token_reach_the_moderators_but_hide_nothing() {
    let (h, offer) = published_offer().await;
    for ip in ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1"] {
        let request = from_client(post_to("/api/report", &bare(&report(&offer, "scam"))), ip);
        assert_eq!(h.send(request).await.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(status(&h, &offer).await, Status::Published);
    assert_eq!(h.mails().len(), 1, "one mail a day about one offer");
}

#[tokio::test]
async fn three_reports_from_three_clients_hide_the_offer_and_the_poster_is_told() {
    let (h, offer) = published_offer().await;
    h.send(report_from("198.51.100.1", &offer)).await;
    let first = h.mails();
    assert_eq!(
        first.len(),
        1,
        "the moderators' mail arrives at the first report"
    );
    assert!(
        first[0].contains("To: moderation@localhost"),
        "{}",
        first[0]
    );
    let mail = unfolded(&first[0]);
    assert!(mail.contains("arnaque") && mail.contains("Cette annonce demande de l'argent."));
    assert!(mail.contains(&offer.title) || mail.contains(&format!("/annonces/{}/", offer.id)));
    assert!(mail.contains("/api/moderate?token="), "{mail}");
    assert!(
        !first[0].contains(&offer.email),
        "moderators get no poster address"
    );

    h.send(report_from("192.0.2.2", &offer)).await;
    assert_eq!(
        status(&h, &offer).await,
        Status::Published,
        "two are not enough"
    );
    assert_eq!(h.mails().len(), 1, "one mail a day about one offer…");
    h.send(report_from("203.0.113.3", &offer)).await;
    assert_eq!(
        status(&h, &offer).await,
        Status::Removed,
        "the third hides it"
    );
    assert_eq!(h.rebuilds.0.load(Ordering::SeqCst), 1);

    let mails = h.mails();
    let to_poster = mails_to(&mails, &offer.email);
    assert_eq!(to_poster.len(), 1, "the poster is told");
    assert!(to_poster[0].contains("masqu"));
    let manage = link_in(to_poster[0], "/api/offers/manage?token=");

    // The poster asks for a new review from their private page.
    let page = text(
        h.send(Request::get(&manage).body(Body::empty()).unwrap())
            .await,
    )
    .await;
    assert!(page.contains("Demander un nouvel examen"), "{page}");
    let version = h.store.get(offer.id).await.unwrap().unwrap().version;
    let ask =
        format!("action=review&version={version}&message=J%27ai+retir%C3%A9+le+passage+en+cause.");
    let response = h.send(post_to(&manage, &ask)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mails = h.mails();
    let review = mails.last().unwrap();
    assert!(review.contains("To: moderation@localhost"));
    assert!(
        unfolded(review).contains("le passage en cause."),
        "{review}"
    );
    let restore = path_of(&link_in(
        review,
        "http://127.0.0.1:8080/api/moderate?token=",
    ));
    let again = h.send(post_to(&manage, &ask)).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "once a day");
    assert_eq!(h.mails().len(), mails.len());

    // The restore link: a GET changes nothing, the button does it.
    let page = h
        .send(Request::get(&restore).body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(text(page).await.contains("Rétablir l&#x27;annonce"));
    assert_eq!(status(&h, &offer).await, Status::Removed);
    let response = h.send(post_to(&restore, "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("rétablie"));
    assert_eq!(status(&h, &offer).await, Status::Published);
    let mails = h.mails();
    assert!(
        mails
            .last()
            .unwrap()
            .contains(&format!("To: {}", offer.email))
    );
    assert!(unfolded(mails.last().unwrap()).contains("de nouveau en ligne"));

    // The same reporters cannot hide it again at once: they stay known.
    for ip in ["198.51.100.1", "192.0.2.2", "203.0.113.3"] {
        h.send(report_from(ip, &offer)).await;
    }
    assert_eq!(status(&h, &offer).await, Status::Published);
}

#[tokio::test]
async fn moderators_links_act_only_on_post_and_only_as_bound() {
    let (h, offer) = published_offer().await;
    let mut other = demo_offers(2, 9, clock()).unwrap().remove(1);
    other.status = Status::Published;
    other.expires = clock() + chrono::Duration::days(10);
    h.store.import(std::slice::from_ref(&other)).await.unwrap();
    h.send(report_from("198.51.100.1", &offer)).await;
    let mail = h.mails().remove(0);
    let text_part = unfolded(&mail);
    let links: Vec<String> = text_part
        .match_indices("http://127.0.0.1:8080/api/moderate?token=")
        .map(|(at, _)| path_of(&link_in(&text_part[at..], "http")))
        .collect();
    let (hide, restore) = (links[0].clone(), links[1].clone());

    // Opened by a mail scanner: nothing happens.
    for link in &links {
        let response = h
            .send(Request::get(link).body(Body::empty()).unwrap())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(text(response).await.contains("<form method=\"post\""));
    }
    assert_eq!(status(&h, &offer).await, Status::Published);

    // The restore link cannot hide, the hide link hides.
    h.send(post_to(&restore, "")).await;
    assert_eq!(status(&h, &offer).await, Status::Published);
    let response = h.send(post_to(&hide, "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(status(&h, &offer).await, Status::Removed);
    assert_eq!(
        status(&h, &other).await,
        Status::Published,
        "only its offer"
    );
    assert!(
        mails_to(&h.mails(), &offer.email)[0].contains("masqu"),
        "the poster is told"
    );

    // A token is bound to its offer: another offer's id in it breaks the signature.
    let token = hide.split("token=").nth(1).unwrap();
    let (payload, signature) = token.split_once('.').unwrap();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged_payload = String::from_utf8(engine.decode(payload).unwrap())
        .unwrap()
        .replace(&offer.id.to_string(), &other.id.to_string());
    let forged = format!("{}.{signature}", engine.encode(forged_payload));
    let response = h
        .send(post_to(&format!("/api/moderate?token={forged}"), ""))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status(&h, &other).await, Status::Published);

    // A poster's link cannot moderate.
    let now = clock().timestamp();
    let manage = h
        .state
        .secret
        .sign(Purpose::Manage, &other.id.to_string(), 0, now, now + 60);
    let response = h
        .send(post_to(&format!("/api/moderate?token={manage}"), ""))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status(&h, &other).await, Status::Published);
    let mut cross_site = post_to(&hide, "");
    cross_site
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    assert_eq!(h.send(cross_site).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reports_carry_the_defences_of_every_form() {
    let (h, offer) = published_offer().await;
    let response = h
        .send(post_to("/api/report", &report(&offer, "parce-que")))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("Choisissez le motif"));

    let mut request = post_to("/api/report", &report(&offer, "scam"));
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://ailleurs.example".parse().unwrap());
    assert_eq!(h.send(request).await.status(), StatusCode::FORBIDDEN);

    let honeypot = report(&offer, "scam").replace("website=", "website=http%3A%2F%2Fspam.example");
    let response = h.send(post_to("/api/report", &honeypot)).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a robot sees the usual answer"
    );

    let now = clock().timestamp();
    let fresh = h
        .state
        .secret
        .sign(Purpose::Form, "form", 0, now, now + 3600);
    let too_fast = format!("{}&form_token={fresh}", bare(&report(&offer, "scam")));
    let response = h.send(post_to("/api/report", &too_fast)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("trop vite"));

    assert!(h.mails().is_empty(), "nothing reached the moderators");
    assert_eq!(status(&h, &offer).await, Status::Published);
}

#[tokio::test]
async fn one_client_reports_a_few_offers_a_day_at_most() {
    let h = harness();
    let mut offers = demo_offers(5, 3, clock()).unwrap();
    for offer in &mut offers {
        offer.status = Status::Published;
        offer.expires = clock() + chrono::Duration::days(10);
    }
    h.store.import(&offers).await.unwrap();
    // Without a form token (no JavaScript, or a robot): three a day.
    let mut answers = Vec::new();
    for offer in &offers {
        let request = post_to("/api/report", &bare(&report(offer, "scam")));
        answers.push(h.send(from_client(request, "192.0.2.50")).await.status());
    }
    assert_eq!(
        answers,
        [
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST
        ]
    );
    assert_eq!(h.mails().len(), 3);
}
