//! The `relay` Lambda's work against moto's S3: stored raw mails of every kind
//! relayed and erased, failing verdicts dropped, refusals mailed back only to a
//! sender SPF proves.

#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

mod common;

use common::Harness;
use common::relay::{POSTER, VISITOR, decoded_text, fixture, opened};
use functions::ses_relay::{MailBucket, SimpleEmailEvent, handle};
use offers::conversations::Side;
use testkit::Moto;

const BUCKET: &str = "courrier-entrant";
const PREFIX: &str = "incoming/";

/// Moto with the mail bucket (the server stops when the first is dropped).
async fn bucket() -> (Moto, MailBucket) {
    let moto = Moto::start();
    moto.bucket(BUCKET).await;
    let bucket = MailBucket {
        client: moto.s3(),
        bucket: BUCKET.into(),
        prefix: PREFIX.into(),
    };
    (moto, bucket)
}

/// Stores `raw` as SES would, and the event that SES would then send.
async fn received(
    bucket: &MailBucket,
    id: &str,
    sender: &str,
    to: &str,
    raw: Vec<u8>,
    verdicts: [&str; 5],
) -> SimpleEmailEvent {
    bucket
        .client
        .put_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}{id}"))
        .body(raw.into())
        .send()
        .await
        .unwrap();
    let [spf, dkim, dmarc, spam, virus] = verdicts;
    let verdict = |status: &str| serde_json::json!({ "status": status });
    serde_json::from_value(serde_json::json!({
        "Records": [{
            "eventSource": "aws:ses",
            "eventVersion": "1.0",
            "ses": {
                "mail": {
                    "timestamp": "2026-11-24T10:00:00.000Z",
                    "source": sender,
                    "messageId": id,
                    "destination": [to],
                    "headersTruncated": false,
                    "headers": [],
                    "commonHeaders": { "from": [sender], "to": [to], "subject": "Re: Message" }
                },
                "receipt": {
                    "timestamp": "2026-11-24T10:00:00.000Z",
                    "processingTimeMillis": 120,
                    "recipients": [to],
                    "spfVerdict": verdict(spf),
                    "dkimVerdict": verdict(dkim),
                    "dmarcVerdict": verdict(dmarc),
                    "spamVerdict": verdict(spam),
                    "virusVerdict": verdict(virus),
                    "action": { "type": "Lambda", "invocationType": "Event",
                                "functionArn": "arn:aws:lambda:eu-west-1:000000000000:function:relay" }
                }
            }
        }]
    }))
    .unwrap()
}

const PASS: [&str; 5] = ["PASS"; 5];

async fn stored(bucket: &MailBucket) -> usize {
    let listed = bucket
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    listed.contents().len()
}

fn texts(h: &Harness) -> Vec<String> {
    h.mails()
        .iter()
        .map(|mail| format!("{mail}\n{}", decoded_text(mail)))
        .collect()
}

#[tokio::test]
async fn can_relay_every_kind_of_stored_mail_and_erase_it() {
    let (_moto, bucket) = bucket().await;
    let (h, _, _, to) = opened().await;
    for (number, (name, expected)) in [
        ("plain.eml", "je suis toujours disponible samedi matin"),
        ("multipart.eml", "Oui, avec plaisir. Je peux venir mardi."),
        ("quoted_printable.eml", "deux bénévoles de l'équipe"),
        ("latin1.eml", "Ça me convient très bien"),
        ("attachment.eml", "Voici mon CV en pièce jointe."),
    ]
    .into_iter()
    .enumerate()
    {
        let raw = fixture(name, &to, POSTER);
        let event = received(&bucket, &format!("m{number}"), POSTER, &to, raw, PASS).await;
        handle(&h.state, &bucket, event).await.unwrap();
        let texts = texts(&h);
        assert!(
            texts
                .iter()
                .any(|text| text.contains(&format!("To: {VISITOR}")) && text.contains(expected)),
            "{name}: {texts:?}"
        );
        assert_eq!(stored(&bucket).await, 0, "{name}: erased once relayed");
    }
    assert_eq!(h.mails().len(), 6, "five relayed, one attachment notice");

    // An automatic reply: taken, erased, not relayed, not answered.
    let raw = fixture("auto_reply.eml", &to, POSTER);
    let event = received(&bucket, "auto", POSTER, &to, raw, PASS).await;
    handle(&h.state, &bucket, event).await.unwrap();
    assert_eq!(h.mails().len(), 6);
    assert_eq!(stored(&bucket).await, 0);
}

#[tokio::test]
async fn drops_mail_whose_verdicts_fail() {
    let (_moto, bucket) = bucket().await;
    let (h, _, _, to) = opened().await;
    for (failing, id) in [
        (0, "spf"),
        (1, "dkim"),
        (2, "dmarc"),
        (3, "spam"),
        (4, "virus"),
    ] {
        let mut verdicts = PASS;
        verdicts[failing] = "FAIL";
        let raw = fixture("plain.eml", &to, POSTER);
        let event = received(&bucket, id, POSTER, &to, raw, verdicts).await;
        handle(&h.state, &bucket, event).await.unwrap();
        assert!(h.mails().is_empty(), "{id}: {:?}", h.mails());
    }
    assert_eq!(stored(&bucket).await, 0, "dropped mails are erased too");
}

#[tokio::test]
async fn a_refusal_reaches_only_a_sender_spf_proves() {
    let (_moto, bucket) = bucket().await;
    let (h, _, conversation, to) = opened().await;
    let mut closed = conversation.clone();
    closed.close(Side::Visitor, false, common::clock());
    h.store.update_conversation(&closed).await.unwrap();

    // SPF neither passes nor fails (no record): no answer, it may be forged.
    let raw = fixture("plain.eml", &to, POSTER);
    let gray = ["GRAY", "GRAY", "GRAY", "PASS", "PASS"];
    let event = received(&bucket, "gray", POSTER, &to, raw.clone(), gray).await;
    handle(&h.state, &bucket, event).await.unwrap();
    assert!(h.mails().is_empty(), "{:?}", h.mails());

    let event = received(&bucket, "proven", POSTER, &to, raw, PASS).await;
    handle(&h.state, &bucket, event).await.unwrap();
    let texts = texts(&h);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains(&format!("To: {POSTER}")), "{}", texts[0]);
    assert!(texts[0].contains("Conversation close"), "{}", texts[0]);
    assert!(!texts[0].contains(VISITOR), "{}", texts[0]);
}
