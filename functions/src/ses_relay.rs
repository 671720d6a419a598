//! The `relay` Lambda's work on AWS. SES receives the reply domain's mail, its
//! receipt rule stores each mail in S3 (`ENTRAIDE_RELAY_BUCKET`, keys
//! `ENTRAIDE_RELAY_PREFIX` + SES's message id) and then invokes the function
//! with the verdicts. SES cannot refuse a recipient while the sender is
//! connected, so a refusal is mailed back, in French, to a sender SPF proves;
//! a mail with a failing verdict (SPF, DKIM, DMARC, spam, virus) is dropped
//! (it may not come from its sender: answering it would be backscatter). Each stored mail is erased once handled: bodies are kept only
//! until relayed.

use aws_lambda_events::event::ses::{SimpleEmailReceipt, SimpleEmailService};
use serde_json::json;

pub use aws_lambda_events::event::ses::SimpleEmailEvent;

use crate::inbound_smtp::MAX_MESSAGE_BYTES;
use crate::mailer::Outgoing;
use crate::relay::{self, Refusal};
use crate::state::AppState;

/// Where the receipt rule stores the mails.
pub struct MailBucket {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The store, S3 or the mail server failed: the invocation fails, and
    /// Lambda tries it again (the mail stays in S3 until then).
    #[error("relay unavailable: {0}")]
    Unavailable(String),
}

/// Whether SES found the mail forged or harmful.
fn failed_verdict(receipt: &SimpleEmailReceipt) -> Option<&'static str> {
    [
        ("spf", &receipt.spf_verdict),
        ("dkim", &receipt.dkim_verdict),
        ("dmarc", &receipt.dmarc_verdict),
        ("spam", &receipt.spam_verdict),
        ("virus", &receipt.virus_verdict),
    ]
    .into_iter()
    .find(|(_, verdict)| verdict.status.as_deref() == Some("FAIL"))
    .map(|(name, _)| name)
}

/// Whether the envelope sender, where a refusal would go, is proven (SPF):
/// otherwise a refusal could land on a stranger whose address was forged.
fn sender_is_proven(receipt: &SimpleEmailReceipt) -> bool {
    receipt.spf_verdict.status.as_deref() == Some("PASS")
}

/// Handles every mail of an SES event.
pub async fn handle(
    state: &AppState,
    bucket: &MailBucket,
    event: SimpleEmailEvent,
) -> Result<(), RelayError> {
    for record in event.records {
        let Some(id) = record.ses.mail.message_id.clone() else {
            continue;
        };
        let key = format!("{}{id}", bucket.prefix);
        relay_stored(state, bucket, &key, &record.ses).await?;
        bucket
            .client
            .delete_object()
            .bucket(&bucket.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|error| RelayError::Unavailable(error.to_string()))?;
    }
    Ok(())
}

/// Relays one stored mail to each of its recipients.
async fn relay_stored(
    state: &AppState,
    bucket: &MailBucket,
    key: &str,
    ses: &SimpleEmailService,
) -> Result<(), RelayError> {
    if let Some(verdict) = failed_verdict(&ses.receipt) {
        tracing::info!(verdict, "incoming mail dropped: a verdict failed");
        return Ok(());
    }
    let sender = ses.mail.source.clone().unwrap_or_default();
    let raw = read(bucket, key).await?;
    for recipient in &ses.receipt.recipients {
        let relayed = match &raw {
            Some(raw) => match relay::recipient(state, recipient).await {
                Ok(to) => relay::relay(state, &to, &sender, raw).await.map(drop),
                Err(refusal) => Err(refusal),
            },
            None => Err(Refusal::TooLong),
        };
        match relayed {
            Ok(()) => {}
            Err(Refusal::Unavailable(error)) => return Err(RelayError::Unavailable(error)),
            Err(refusal) => {
                tracing::info!("incoming mail refused: {refusal}");
                let automatic = raw
                    .as_deref()
                    .is_none_or(|raw| relay::is_automatic_raw(raw, &sender));
                if !automatic && sender_is_proven(&ses.receipt) {
                    tell_refused(state, &sender, &refusal).await;
                }
            }
        }
    }
    Ok(())
}

/// The stored mail, or `None` when it is larger than the relay takes.
async fn read(bucket: &MailBucket, key: &str) -> Result<Option<Vec<u8>>, RelayError> {
    let unavailable = |error: String| RelayError::Unavailable(error);
    let object = bucket
        .client
        .get_object()
        .bucket(&bucket.bucket)
        .key(key)
        .send()
        .await
        .map_err(|error| unavailable(aws_sdk_s3::error::DisplayErrorContext(error).to_string()))?;
    let too_big = object.content_length().is_some_and(|length| {
        usize::try_from(length).map_or(true, |length| length > MAX_MESSAGE_BYTES)
    });
    if too_big {
        return Ok(None);
    }
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|error| unavailable(error.to_string()))?;
    Ok(Some(bytes.to_vec()))
}

/// Mails the reason of a refusal back to the sender; a failure is only logged.
async fn tell_refused(state: &AppState, sender: &str, refusal: &Refusal) {
    if !sender.contains('@') {
        return;
    }
    let context = json!({ "reason": refusal.explanation() });
    let mail = Outgoing::themed(
        &state.site(),
        "relay_refused",
        sender,
        "Message non transmis".into(),
        &context,
    );
    let sent = match mail {
        Ok(mail) => state.mailer.send(mail).await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = sent {
        tracing::error!("refusal not mailed: {error}");
    }
}
