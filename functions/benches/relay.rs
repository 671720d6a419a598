//! The relay's speed: `cargo bench -p functions --bench relay [-- MAILS]`
//! (default 500). A SQLite store in a temporary folder (synchronous writes,
//! as `entraide serve` runs it), one offer, MAILS conversations, and one
//! reply in each, sent over SMTP to `inbound_smtp::serve` on 127.0.0.1 by one
//! client, one mail after the other, and relayed to the in-memory outbox.
//! Prints the median and 95th-percentile time per mail (the client's whole
//! SMTP transaction: RCPT looked up, DATA parsed, checked, counted, composed,
//! sent) and the mails relayed per second.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, like a test

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use functions::relay::{self, ReplyAddress};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use offers::conversations::{Conversation, Side};

const REPLY_DOMAIN: &str = "reponses.entraide.example";

#[tokio::main]
async fn main() {
    let mails: usize = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .map_or(500, |arg| arg.parse().expect("MAILS is a number"));
    let common::Bench {
        dir: _dir,
        state,
        store,
        outbox,
        offer,
    } = common::bench(|config| config.reply_domain = Some(REPLY_DOMAIN.into())).await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // One visitor per conversation: no per-address limit is reached.
    let mut addressed = Vec::with_capacity(2 * mails);
    for n in 0..2 * mails {
        let visitor = format!("visiteur{n}@exemple.org");
        let conversation = Conversation::open(offer.id, &visitor, "Camille", Utc::now());
        store.create_conversation(&conversation).await.unwrap();
        let local = ReplyAddress {
            conversation: conversation.id,
            writer: Side::Visitor,
        }
        .local_part(&state.secret);
        addressed.push((visitor, format!("{local}@{REPLY_DOMAIN}")));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(functions::inbound_smtp::serve(listener, state.clone()));
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let template = std::fs::read(root.join("functions/tests/mails/quoted_reply.eml")).unwrap();
    let template = String::from_utf8(template).unwrap();
    let raw = |visitor: &str, to: &str| {
        template
            .replace("p-TOKEN@reponses.example.org", to)
            .replace("camille@example.org", visitor)
    };
    let (by_smtp, direct) = addressed.split_at(mails);
    let mut times = Vec::with_capacity(mails);
    let started = Instant::now();
    for (visitor, to) in by_smtp {
        let raw = raw(visitor, to);
        let envelope = lettre::address::Envelope::new(
            Some(visitor.parse().unwrap()),
            vec![to.parse().unwrap()],
        )
        .unwrap();
        let sent = Instant::now();
        smtp.send_raw(&envelope, raw.as_bytes()).await.unwrap();
        times.push(sent.elapsed());
    }
    report("over SMTP, one client", &mut times, started.elapsed());
    assert_eq!(outbox.lock().unwrap().len(), mails, "every reply relayed");

    // The same work without the SMTP conversation: looked up, relayed.
    let mut times = Vec::with_capacity(mails);
    let started = Instant::now();
    for (visitor, to) in direct {
        let raw = raw(visitor, to);
        let sent = Instant::now();
        let recipient = relay::recipient(&state, to).await.unwrap();
        relay::relay(&state, &recipient, visitor, raw.as_bytes())
            .await
            .unwrap();
        times.push(sent.elapsed());
    }
    report("called directly", &mut times, started.elapsed());
    assert_eq!(outbox.lock().unwrap().len(), 2 * mails);
}

/// Prints the median and 95th percentile of `times`, and the rate.
fn report(how: &str, times: &mut [Duration], total: Duration) {
    times.sort();
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction) as usize];
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "relay {how}, {} replies: median {:.2} ms, p95 {:.2} ms, {:.0} mails/s",
        times.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        times.len() as f64 / total.as_secs_f64()
    );
}
