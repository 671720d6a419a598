//! The `alerts` Lambda: every `alert_interval_seconds` (an EventBridge
//! schedule) it matches new offers against the alerts and mails those due;
//! SES's bounce and complaint notifications (SNS) erase the alerts of the
//! addresses that refused our mail. Configured from the environment like the
//! `api` function (`functions::lambda::state_from_env`).

use std::sync::Arc;

use functions::lambda::state_from_env;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = Arc::new(state_from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = Arc::clone(&state);
        async move {
            functions::mail_events::handle(&state, &event.payload)
                .await
                .map_err(|error| Error::from(error.to_string()))
        }
    }))
    .await
}
