//! What the router tests share: a router over a real SQLite store in a temporary
//! folder, the in-memory outbox, a rebuild counter and a fixed clock.

#![allow(clippy::unwrap_used, dead_code)] // each test file uses its own part

pub mod relay;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use functions::mailer::Mailer;
use functions::tokens::Purpose;
use functions::tokens::Secret;
use functions::{AppState, Rebuild, app};
use lettre::Message;
use offers::demo::demo_offers;
use offers::validate::OfferInput;
use offers::{Offer, Status};
use store::{SqliteStore, Store};
use tower::ServiceExt;

pub const ORIGIN: &str = "http://127.0.0.1:8080";

pub fn clock() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
        .unwrap()
        .to_utc()
}

#[derive(Default)]
pub struct CountingRebuild(pub AtomicUsize);

#[async_trait::async_trait]
impl Rebuild for CountingRebuild {
    async fn changed(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub outbox: Arc<Mutex<Vec<Message>>>,
    pub rebuilds: Arc<CountingRebuild>,
}

/// The signing key of every harness.
pub fn harness_secret() -> Secret {
    Secret::new("secret de test")
}

pub fn harness() -> Harness {
    harness_with(|_| {})
}

/// A harness whose site.toml is changed by `configure`.
pub fn harness_with(configure: impl FnOnce(&mut generator::SiteConfig)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut site = generator::Site::load(&root, &root.join("themes/default")).unwrap();
    configure(&mut site.config);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("test.db")).unwrap());
    let (mailer, outbox) = Mailer::in_memory(
        "Entraide <ne-pas-repondre@entraide.example>"
            .parse()
            .unwrap(),
    );
    let rebuilds = Arc::new(CountingRebuild::default());
    let state = AppState {
        store: Arc::clone(&store),
        site: functions::SiteHandle::new(site),
        secret: harness_secret(),
        mailer: Arc::new(mailer),
        rebuild: rebuilds.clone(),
        min_fill_seconds: 3,
        trusted_proxies: functions::client::TrustedProxies::default(),
        clock,
    };
    Harness {
        dir,
        state,
        store,
        outbox,
        rebuilds,
    }
}

impl Harness {
    pub async fn send(&self, request: Request<Body>) -> Response {
        app(self.state.clone(), self.dir.path().join("public"))
            .oneshot(request)
            .await
            .unwrap()
    }

    pub fn mails(&self) -> Vec<String> {
        self.outbox
            .lock()
            .unwrap()
            .iter()
            .map(|m| String::from_utf8(m.formatted()).unwrap())
            .collect()
    }
}

pub fn post_form(body: &str) -> Request<Body> {
    post_to("/api/offers", body)
}

/// The same request as if it came from `ip`'s connection.
pub fn from_client(mut request: Request<Body>, ip: &str) -> Request<Body> {
    let peer = std::net::SocketAddr::new(ip.parse().unwrap(), 40000);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    request
}

pub fn post_to(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

pub async fn text(response: Response) -> String {
    String::from_utf8(
        axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

/// The link a mail carries to an endpoint, decoded from quoted-printable soft breaks.
/// A quoted-printable mail with its soft line breaks and `=` escapes undone
/// (enough for ASCII text and links).
pub fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "").replace("=3D", "=")
}

pub fn link_in(mail: &str, path: &str) -> String {
    let unfolded = unfolded(mail);
    let start = unfolded.find(path).unwrap();
    unfolded[start..]
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>'))
        .next()
        .unwrap()
        .to_owned()
}

/// A harness holding one offer in `status`, and the offer's management token.
pub async fn with_offer(status: Status) -> (Harness, Offer, String) {
    let h = harness();
    let mut offer = demo_offers(1, 5, clock()).unwrap().remove(0);
    offer.status = status;
    offer.published = Some(clock());
    offer.expires = clock() + chrono::Duration::days(10);
    offer.start = None;
    offer.end = None;
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    let now = clock().timestamp();
    let token = h
        .state
        .secret
        .sign(Purpose::Manage, &offer.id.to_string(), 0, now, now + 3600);
    (h, offer, token)
}

/// The edit form as the page would send it, with one field changed.
pub fn edit_form(offer: &Offer, version: u64, title: &str) -> String {
    let input = OfferInput::from(offer);
    serde_urlencoded::to_string([
        ("action", "edit"),
        ("version", &version.to_string()),
        ("kind", &input.kind),
        ("engagement", &input.engagement),
        ("author_kind", &input.author_kind),
        ("author_name", &input.author_name),
        ("domain", &input.domain),
        ("title", title),
        ("description", &input.description),
        ("skills", &input.skills.join(", ")),
        ("commune", &input.commune),
        ("department", &input.department),
        ("email", &input.email),
    ])
    .unwrap()
}
