//! Hostile input at the 64 KiB body limit, for every endpoint, and a flood of
//! robots: `cargo bench -p functions --bench hostile`. Prints, for each case, the
//! status answered and the median and slowest CPU time (every thread of the
//! process) of 31 answers; then 1,000 robot posts (honeypot filled, sent too
//! fast, cross-site) and what they left behind. Target: each hostile request
//! answered in ≤ 20 ms of CPU; the robots leave no offer and send no mail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, like a test

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use chrono::Utc;
use cpu_time::ProcessTime;
use functions::tokens::Purpose;
use functions::{AppState, app};
use store::Store;
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:8080";
const RUNS: usize = 31;
/// What every endpoint reads at most.
const LIMIT: usize = functions::MAX_BODY_BYTES;

const GOOD_FIELDS: &str = "kind=offer&engagement=volunteer&author_kind=individual&author_name=Aur%C3%A9lien\
&domain=medical&title=Infirmier+retrait%C3%A9+disponible+en+renfort\
&description=Infirmier+pendant+trente+ans%2C+je+peux+aider+un+EHPAD+ou+un+cabinet.\
&commune=Ploudalmezeau&email=poster%40exemple.org&consent=on";

/// The good form with `field` taking the rest of the body, `unit` after `unit`.
fn with_huge(field: &str, unit: &str) -> String {
    let others: Vec<&str> = GOOD_FIELDS
        .split('&')
        .filter(|pair| !pair.starts_with(&format!("{field}=")))
        .collect();
    filled(&format!("{}&{field}=", others.join("&")), unit)
}

/// `prefix` then `unit` repeated until just under the body limit.
fn filled(prefix: &str, unit: &str) -> String {
    let mut body = prefix.to_owned();
    while body.len() + unit.len() < LIMIT - 64 {
        body.push_str(unit);
    }
    body
}

fn post(path: &str, content_type: &str, origin: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ORIGIN, origin)
        .body(Body::from(body))
        .unwrap()
}

fn form(path: &str, body: String) -> Request<Body> {
    post(path, "application/x-www-form-urlencoded", ORIGIN, body)
}

/// Sends one request and reads the whole answer; returns its status.
async fn answer(router: &Router, request: Request<Body>) -> u16 {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    status
}

fn main() {
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}

type Case = (&'static str, Box<dyn Fn() -> Request<Body>>);

async fn run() {
    let common::Bench {
        dir,
        state,
        store,
        outbox,
        offer,
    } = common::bench(|_| {}).await;
    let (id, now) = (offer.id, Utc::now().timestamp());
    let manage = state
        .secret
        .sign(Purpose::Manage, &id.to_string(), 0, now, now + 3600);
    let router = app(state.clone(), dir.path().join("public"));
    time_hostile_requests(&router, hostile_requests(id, &manage, offer.version)).await;
    robots(&router, &state, &store, &outbox, now).await;
}

/// The worst request at the body limit for each endpoint.
fn hostile_requests(id: offers::Ulid, manage: &str, version: u64) -> Vec<Case> {
    let manage = manage.to_owned();
    let skills = with_huge("skills", "a%2C");
    let manage_skills = filled(
        &format!("{GOOD_FIELDS}&action=edit&version={version}&skills="),
        "a%2C",
    );
    vec![
        (
            "POST /api/offers, 15,500 skills",
            Box::new(move || form("/api/offers", skills.clone())),
        ),
        (
            "POST /api/offers (JSON), 12,000 skills",
            Box::new(|| {
                let body = filled(
                    r#"{"kind":"offer","title":"Infirmier disponible","skills":["a""#,
                    r#","a""#,
                );
                post("/api/offers", "application/json", ORIGIN, body + "]}")
            }),
        ),
        (
            "POST /api/offers, a description of 4,000 links",
            Box::new(|| {
                form(
                    "/api/offers",
                    with_huge("description", "%5Ba%5D%28http%3A%2F%2Fx%29+"),
                )
            }),
        ),
        (
            "POST /api/offers, a title of 10,000 combining accents",
            Box::new(|| form("/api/offers", with_huge("title", "e%CC%81"))),
        ),
        (
            "POST /api/offers, a commune of 64 KiB",
            Box::new(|| form("/api/offers", with_huge("commune", "Saint-"))),
        ),
        (
            "POST /api/offers, 16,000 unknown fields",
            Box::new(|| {
                form(
                    "/api/offers",
                    filled(&GOOD_FIELDS.replace("&consent=on", ""), "&x=1"),
                )
            }),
        ),
        (
            "POST /api/contact, a message of 64 KiB",
            Box::new(move || {
                form(
                    "/api/contact",
                    filled(
                        &format!("offer={id}&name=L%C3%A9a&email=lea%40exemple.org&message="),
                        "%C3%A9t%C3%A9+",
                    ),
                )
            }),
        ),
        (
            "POST /api/report, details of 64 KiB",
            Box::new(move || {
                form(
                    "/api/report",
                    filled(
                        &format!("offer={id}&reason=scam&message="),
                        "www.spam.example+",
                    ),
                )
            }),
        ),
        (
            "POST /api/offers/manage, 15,500 skills",
            Box::new(move || {
                form(
                    &format!("/api/offers/manage?token={manage}"),
                    manage_skills.clone(),
                )
            }),
        ),
        (
            "POST /api/offers/confirm, a forged token of 64 KiB",
            Box::new(|| form(&filled("/api/offers/confirm?token=", "QUJD"), String::new())),
        ),
        (
            "POST /api/moderate, 64 KiB of bytes",
            Box::new(|| form("/api/moderate?token=x.y", filled("", "%FF%00"))),
        ),
        (
            "POST /api/offers/undo-address, a forged token of 64 KiB",
            Box::new(|| {
                form(
                    &filled("/api/offers/undo-address?token=", "QUJD"),
                    String::new(),
                )
            }),
        ),
        (
            "POST /api/offers, 4 times the limit",
            Box::new(|| form("/api/offers", "x".repeat(LIMIT * 4))),
        ),
    ]
}

/// A table of each request's answer and CPU time (median and slowest of RUNS).
async fn time_hostile_requests(router: &Router, cases: Vec<Case>) {
    println!("| hostile request | answer | median CPU | slowest CPU |");
    println!("|---|---|---|---|");
    for (name, request) in &cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut status = 0;
        for _ in 0..RUNS {
            let request = request();
            let start = ProcessTime::now();
            status = answer(router, request).await;
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {status} | {:.2} ms | {:.2} ms |",
            ms(times[RUNS / 2]),
            ms(times[RUNS - 1])
        );
    }
}

/// 1,000 robots: a third fill the honeypot, a third send the form at once, a
/// third post from another site. None gets an offer stored or a mail sent.
async fn robots(
    router: &Router,
    state: &AppState,
    store: &Arc<dyn Store>,
    outbox: &std::sync::Mutex<Vec<lettre::Message>>,
    now: i64,
) {
    let fresh = state.secret.sign(Purpose::Form, "form", 0, now, now + 3600);
    let (cpu, wall) = (ProcessTime::now(), Instant::now());
    let mut statuses = std::collections::BTreeMap::new();
    for robot in 0..1_000 {
        let request = match robot % 3 {
            0 => form(
                "/api/offers",
                format!("{GOOD_FIELDS}&website=http%3A%2F%2Fspam.example"),
            ),
            1 => form("/api/offers", format!("{GOOD_FIELDS}&form_token={fresh}")),
            _ => post(
                "/api/offers",
                "application/x-www-form-urlencoded",
                "https://spam.example",
                GOOD_FIELDS.into(),
            ),
        };
        *statuses.entry(answer(router, request).await).or_insert(0) += 1;
    }
    let (cpu, wall) = (cpu.elapsed(), wall.elapsed());
    let stored = store.list(None).await.unwrap().len() - 1;
    let mails = outbox.lock().unwrap().len();
    println!(
        "\n1,000 robot posts: answers {statuses:?}, {:.0} ms of wall time, {:.0} ms of CPU; offers stored: {stored}, mails sent: {mails}",
        ms(wall),
        ms(cpu)
    );
    assert_eq!((stored, mails), (0, 0), "a robot got through");
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
