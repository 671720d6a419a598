//! The platform's mails to posters and moderators, drawn from the theme's
//! `mail/` templates and handed to the mailer.

use offers::Offer;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::mailer::{Mailbox, Outgoing};
use crate::state::AppState;

/// A mail to the poster from the theme's `mail/<name>.txt` and `.html`.
pub(crate) fn render_mail(
    state: &AppState,
    name: &str,
    subject: &str,
    offer: &Offer,
    extra: Value,
) -> Result<Outgoing, generator::BuildError> {
    let mut context =
        json!({ "offer": { "title": offer.title, "author_name": offer.author_name } });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    Outgoing::themed(
        &state.site(),
        name,
        &offer.email,
        subject.to_owned(),
        &context,
    )
}

/// Sends a mail drawn from the theme (or says why it could not be drawn).
pub(crate) async fn send(
    state: &AppState,
    mail: Result<Outgoing, generator::BuildError>,
) -> Result<(), AppError> {
    let mail = mail.map_err(AppError::internal)?;
    state.mailer.send(mail).await.map_err(AppError::internal)
}

/// A mail to the moderators (`moderation_email`), from the theme's `template`.
pub(crate) async fn mail_moderators(
    state: &AppState,
    template: &str,
    subject: String,
    context: &Value,
    reply_to: Option<Mailbox>,
) -> Result<(), AppError> {
    let site = state.site();
    let mail = Outgoing::themed(
        &site,
        template,
        &site.config.moderation_email,
        subject,
        context,
    )
    .map(|mail| Outgoing { reply_to, ..mail });
    send(state, mail).await
}
