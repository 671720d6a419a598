//! What the `alerts` Lambda is invoked with: its schedule (a pass of the
//! alerts), or SES's bounce and complaint notifications through SNS, whose
//! addresses lose their alerts and are mailed no more.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::alerts_run::{run_alerts, suppress};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
struct Notifications {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "Sns")]
    sns: Sns,
}

#[derive(Deserialize)]
struct Sns {
    /// SES's event, as JSON text.
    #[serde(rename = "Message")]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    /// `Bounce`, `Complaint`… (a configuration set's event destination).
    event_type: Option<String>,
    /// The same, in identity notifications.
    notification_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// The addresses an SNS delivery of SES events says refused our mail for
/// good: permanent bounces and complaints (a transient bounce is not one).
pub fn refused_addresses(event: &Value) -> Option<Vec<String>> {
    let notifications = Notifications::deserialize(event).ok()?;
    let mut addresses = Vec::new();
    for record in notifications.records {
        let Ok(ses) = serde_json::from_str::<SesEvent>(&record.sns.message) else {
            tracing::warn!("an SNS message that is no SES event, ignored");
            continue;
        };
        let kind = ses.event_type.or(ses.notification_type).unwrap_or_default();
        match (kind.as_str(), ses.bounce, ses.complaint) {
            ("Bounce", Some(bounce), _) if bounce.bounce_type == "Permanent" => addresses.extend(
                bounce
                    .bounced_recipients
                    .into_iter()
                    .map(|r| r.email_address),
            ),
            ("Complaint", _, Some(complaint)) => addresses.extend(
                complaint
                    .complained_recipients
                    .into_iter()
                    .map(|r| r.email_address),
            ),
            _ => {}
        }
    }
    Some(addresses)
}

/// Handles one invocation: SES notifications, or else a pass.
pub async fn handle(state: &AppState, event: &Value) -> Result<Value, AppError> {
    if let Some(addresses) = refused_addresses(event) {
        let now = state.now();
        for address in &addresses {
            suppress(state, address, now).await?;
        }
        tracing::info!(count = addresses.len(), "addresses that refused our mail");
        return Ok(json!({ "suppressed": addresses.len() }));
    }
    let run = run_alerts(state).await?;
    Ok(json!({ "queued": run.queued, "mailed": run.mailed, "deferred": run.deferred }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(messages: &[Value]) -> Value {
        let records: Vec<Value> = messages
            .iter()
            .map(|message| json!({ "EventSource": "aws:sns", "Sns": { "Message": message.to_string() } }))
            .collect();
        json!({ "Records": records })
    }

    #[test]
    fn can_read_permanent_bounces_and_complaints_and_nothing_else() {
        let event = delivery(&[
            json!({ "eventType": "Bounce", "bounce": { "bounceType": "Permanent",
                "bouncedRecipients": [{ "emailAddress": "parti@exemple.org" }] } }),
            json!({ "eventType": "Bounce", "bounce": { "bounceType": "Transient",
                "bouncedRecipients": [{ "emailAddress": "absent@exemple.org" }] } }),
            json!({ "notificationType": "Complaint", "complaint": {
                "complainedRecipients": [{ "emailAddress": "agace@exemple.org" }] } }),
            json!({ "eventType": "Delivery" }),
        ]);
        assert_eq!(
            refused_addresses(&event),
            Some(vec![
                "parti@exemple.org".to_owned(),
                "agace@exemple.org".to_owned()
            ])
        );
        assert_eq!(
            refused_addresses(&json!({ "task": "alerts" })),
            None,
            "the schedule"
        );
    }
}
