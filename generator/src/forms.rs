//! Pages drawn both by the build and by the functions: the posting form (empty,
//! or refilled with the errors of a refused submission) and short messages.

use offers::AuthorKind;
use offers::validate::FieldError;
use serde_json::{Map, Value, json};
use tera::Context;

use crate::BuildError;
use crate::build::Site;
use crate::jobs::{home_crumb, page_meta};

/// Field → message; the first error of a field is the one shown beside it.
fn errors_by_field(errors: &[FieldError]) -> Map<String, Value> {
    let mut by_field = Map::new();
    for error in errors {
        by_field
            .entry(error.field)
            .or_insert_with(|| Value::String(error.message.clone()));
    }
    by_field
}

/// The posting form's context: `values` as typed (field → text), `errors` as found.
pub fn publish_context(site: &Site, values: &Map<String, Value>, errors: &[FieldError]) -> Value {
    let mut by_field = Map::new();
    for error in errors {
        // The first error of a field is the one shown beside it.
        by_field
            .entry(error.field)
            .or_insert_with(|| Value::String(error.message.clone()));
    }
    let domain_options: Vec<Value> = site
        .config
        .domains
        .iter()
        .map(|d| json!([d.slug, d.label]))
        .collect();
    json!({
        "page": page_meta(
            "Publier une annonce",
            "Proposez votre aide ou publiez un besoin : gratuit, sans compte, en deux minutes.",
            "/publier/",
            vec![home_crumb()],
            !errors.is_empty(),
        ),
        "domain_options": domain_options,
        "kind_options": [["offer", "proposez votre aide"], ["request", "recherchez de l'aide"]],
        "engagement_options": [["volunteer", "bénévole"], ["paid", "rémunéré"]],
        "author_kind_options": AuthorKind::ALL.map(|kind| json!([kind, kind.label()])),
        "values": values,
        "errors": by_field,
        "error_list": errors,
    })
}

/// A short page: a title, some paragraphs, an optional link onwards.
pub fn message_context(
    title: &str,
    url: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Value {
    json!({
        "page": page_meta(title, paragraphs.first().copied().unwrap_or_default(), url, vec![home_crumb()], true),
        "paragraphs": paragraphs,
        "link": link.map(|(label, url)| json!({ "label": label, "url": url })),
    })
}

/// A page with one button that posts to `action`: what a link in a mail opens,
/// so that nothing happens until a person presses it (mail scanners open links).
pub fn action_context(
    title: &str,
    url: &str,
    paragraphs: &[&str],
    action: &str,
    button: &str,
    link: Option<(&str, &str)>,
) -> Value {
    let mut context = message_context(title, url, paragraphs, link);
    if let Some(fields) = context.as_object_mut() {
        fields.insert("action".into(), json!(action));
        fields.insert("button".into(), json!(button));
    }
    context
}

impl Site {
    /// Renders one of the theme's page templates with `context` plus what every
    /// page gets (the site and its assets).
    pub fn render_page(&self, template: &str, context: Value) -> Result<String, BuildError> {
        let mut context = Context::from_value(context)?;
        context.insert(
            "site",
            &json!({ "name": self.config.name, "base_url": self.config.base_url, "language": self.config.language }),
        );
        context.insert("assets", &self.theme.asset_urls);
        Ok(self.theme.tera.render(template, &context)?)
    }
}

/// `/publier/merci/`, where a poster lands after sending the form.
pub fn sent_context() -> Value {
    message_context(
        "Vérifiez votre messagerie",
        "/publier/merci/",
        &[
            "Votre annonce est bien reçue. Nous venons de vous envoyer un courriel : cliquez sur le lien qu'il contient pour la publier.",
            "Sans confirmation sous 48 heures, l'annonce est effacée. Pensez à regarder dans les courriers indésirables.",
        ],
        Some(("Retour à l'accueil", "/")),
    )
}

/// `/gerer/`: the form that mails a poster fresh private links, refilled with
/// its errors when the function draws it again.
pub fn links_context(values: &Map<String, Value>, errors: &[FieldError]) -> Value {
    json!({
        "page": page_meta(
            "Recevoir un nouveau lien privé",
            "Votre lien pour gérer une annonce ne fonctionne plus ? Recevez-en un neuf par courriel.",
            "/gerer/",
            vec![home_crumb()],
            // A utility page: nothing for search engines.
            true,
        ),
        "values": values,
        "errors": errors_by_field(errors),
        "error_list": errors,
    })
}

/// `/gerer/merci/`, after asking for fresh private links.
pub fn links_sent_context() -> Value {
    message_context(
        "Vérifiez votre messagerie",
        "/gerer/merci/",
        &[
            "Si des annonces sont liées à cette adresse, un courriel vient de partir avec un lien neuf pour chacune d'elles.",
            "Rien reçu dans quelques minutes ? Regardez dans les courriers indésirables, et vérifiez l'adresse : c'est celle que vous avez donnée en publiant.",
        ],
        Some(("Retour à l'accueil", "/")),
    )
}

/// `/contact/merci/`, where a visitor lands after writing to a poster.
pub fn contact_sent_context() -> Value {
    message_context(
        "Message envoyé",
        "/contact/merci/",
        &[
            "Votre message a été transmis par courriel à l'auteur de l'annonce. S'il vous répond, ce sera directement à votre adresse.",
            "Sans réponse de sa part, n'hésitez pas à consulter d'autres annonces : l'entraide ne manque pas.",
        ],
        Some(("Voir les annonces", "/annonces/")),
    )
}

/// `/signalement/merci/`, after a report.
pub fn report_sent_context() -> Value {
    message_context(
        "Signalement reçu",
        "/signalement/merci/",
        &[
            "Merci : l'équipe de modération est prévenue et examinera l'annonce. Une annonce signalée plusieurs fois est masquée en attendant.",
        ],
        Some(("Retour aux annonces", "/annonces/")),
    )
}

/// The contact form of one offer, refilled with the errors of a refused message.
pub fn contact_context(offer: &Value, values: &Map<String, Value>, errors: &[FieldError]) -> Value {
    let by_field = errors_by_field(errors);
    json!({
        "page": page_meta("Votre message n'est pas parti", "Corrigez le formulaire de contact.", "/api/contact", vec![home_crumb()], true),
        "offer": offer,
        "values": values,
        "errors": by_field,
        "error_list": errors,
    })
}
