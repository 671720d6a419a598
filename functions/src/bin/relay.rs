//! The `relay` Lambda: SES received mail for the reply domain, stored it in S3
//! and invokes this function (`functions::ses_relay`). Configured from the
//! environment like the `api` function (`functions::lambda::state_from_env`),
//! plus `ENTRAIDE_RELAY_BUCKET` and `ENTRAIDE_RELAY_PREFIX`, where the receipt
//! rule stores the mails.

use std::sync::Arc;

use functions::lambda::{state_from_env, variable};
use functions::ses_relay::{MailBucket, SimpleEmailEvent};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = Arc::new(state_from_env().await?);
    let config = aws_config::load_from_env().await;
    let bucket = Arc::new(MailBucket {
        client: aws_sdk_s3::Client::new(&config),
        bucket: variable("ENTRAIDE_RELAY_BUCKET")?,
        prefix: std::env::var("ENTRAIDE_RELAY_PREFIX").unwrap_or_default(),
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SimpleEmailEvent>| {
        let (state, bucket) = (Arc::clone(&state), Arc::clone(&bucket));
        async move {
            functions::ses_relay::handle(&state, &bucket, event.payload)
                .await
                .map_err(|error| Error::from(error.to_string()))
        }
    }))
    .await
}
