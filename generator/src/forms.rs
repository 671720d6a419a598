//! Pages drawn both by the build and by the functions: the posting form (empty,
//! or refilled with the errors of a refused submission), the search's choices
//! (the search page, an alert's page) and short messages.

use offers::alerts::Frequency;
use offers::communes::geography;
use offers::validate::FieldError;
use offers::{AuthorKind, Engagement, Kind};
use serde_json::{Map, Value};

use crate::config::SiteConfig;
use crate::context::{
    AlertPage, Choice, ContactForm, Form, Link, Message, PageMeta, PublishForm, RegionChoices,
    Search, Submitted,
};
use crate::urls;

/// The posting form: `values` as typed (field → text), `errors` as found.
pub fn publish_context(
    config: &SiteConfig,
    values: &Map<String, Value>,
    errors: &[FieldError],
) -> PublishForm {
    PublishForm {
        page: PageMeta::new(
            "Publier une annonce",
            "Proposez votre aide ou publiez un besoin : gratuit, sans compte, en deux minutes.",
            "/publier/",
        )
        .noindex(!errors.is_empty()),
        domain_options: config
            .domains
            .iter()
            .map(|d| (d.slug.clone(), d.label.clone()))
            .collect(),
        kind_options: [
            (Kind::Offer.as_str(), "proposez votre aide"),
            (Kind::Request.as_str(), "recherchez de l'aide"),
        ],
        engagement_options: [
            (Engagement::Volunteer.as_str(), "bénévole"),
            (Engagement::Paid.as_str(), "rémunéré"),
        ],
        author_kind_options: AuthorKind::ALL
            .map(|kind| (kind.as_str(), kind.label()))
            .to_vec(),
        submitted: Submitted::new(values, errors),
    }
}

/// A short page: a title, some paragraphs, an optional link onwards.
pub fn message_context(
    title: &str,
    url: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Message {
    Message {
        page: PageMeta::new(title, paragraphs.first().copied().unwrap_or_default(), url)
            .noindex(true),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        link: link.map(|(label, url)| Link::new(label, url)),
        action: None,
        button: None,
    }
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
) -> Message {
    Message {
        action: Some(action.to_owned()),
        button: Some(button.to_owned()),
        ..message_context(title, url, paragraphs, link)
    }
}

/// `/publier/merci/`, where a poster lands after sending the form.
pub fn sent_context() -> Message {
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
pub fn links_context(values: &Map<String, Value>, errors: &[FieldError]) -> Form {
    Form {
        page: PageMeta::new(
            "Recevoir un nouveau lien privé",
            "Votre lien pour gérer une annonce ne fonctionne plus ? Recevez-en un neuf par courriel.",
            "/gerer/",
        )
        // A utility page: nothing for search engines.
        .noindex(true),
        submitted: Submitted::new(values, errors),
    }
}

/// `/gerer/merci/`, after asking for fresh private links.
pub fn links_sent_context() -> Message {
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
pub fn contact_sent_context() -> Message {
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
pub fn report_sent_context() -> Message {
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
pub fn contact_context<'a>(
    offer: &'a Value,
    values: &Map<String, Value>,
    errors: &[FieldError],
) -> ContactForm<'a, Value> {
    ContactForm {
        page: PageMeta::new(
            "Votre message n'est pas parti",
            "Corrigez le formulaire de contact.",
            "/api/contact",
        )
        .noindex(true),
        offer,
        submitted: Submitted::new(values, errors),
    }
}

/// The search page: its filters, and the browsing links shown without JavaScript
/// (without counts, so that the page changes only with the site's config).
pub fn search_context(config: &SiteConfig) -> Search {
    let geo = geography();
    let choice = |code: &str, label: &str| Choice {
        code: code.to_owned(),
        label: label.to_owned(),
        url: None,
    };
    let departments = geo
        .regions_in_reading_order()
        .into_iter()
        .map(|region| RegionChoices {
            label: region.name.to_owned(),
            code: region.code.to_owned(),
            departments: geo
                .departments()
                .iter()
                .filter(|d| d.region == region.code)
                .map(|d| choice(d.code, &format!("{} ({})", d.name, d.code)))
                .collect(),
        })
        .collect();
    let regions = geo
        .regions_in_reading_order()
        .into_iter()
        .map(|r| Choice {
            url: Some(urls::region(r)),
            ..choice(r.code, r.name)
        })
        .collect();
    let domains = config
        .domains
        .iter()
        .map(|d| Choice {
            url: Some(urls::domain(&d.slug)),
            ..choice(&d.slug, &d.label)
        })
        .collect();
    // Named from the visitor's side: whom they will find.
    let kinds = vec![
        choice(
            offers::Kind::Request.as_str(),
            "Des structures ou des personnes qui cherchent de l'aide",
        ),
        choice(
            offers::Kind::Offer.as_str(),
            "Des personnes ou des structures qui proposent leur aide",
        ),
    ];
    let engagements = offers::Engagement::ALL
        .iter()
        .map(|e| choice(e.as_str(), e.label()))
        .collect();
    Search {
        page: PageMeta::new(
            "Rechercher une annonce",
            "Chercher parmi toutes les annonces d'entraide, par mots-clés, domaine, lieu et type d'engagement.",
            "/recherche/",
        ),
        domains,
        regions,
        departments,
        kinds,
        engagements,
        radii: urls::SEARCH_RADII.to_vec(),
        default_radius: urls::DEFAULT_RADIUS,
    }
}

/// What an alert's page is for.
pub enum AlertForm<'a> {
    /// A new alert, refused: its form refilled with the errors.
    New,
    /// The alert's private page: its criteria, frequency, pause and deletion.
    Manage {
        paused: bool,
        /// A few words on what was just done.
        said: Option<&'a str>,
    },
}

/// An alert's page, drawn by the functions: `description` tells its criteria,
/// the form posts to `action`, `values` as typed (search parameters by their
/// URL names, `email`, `frequence`).
pub fn alert_context(
    config: &SiteConfig,
    form: &AlertForm,
    description: &str,
    action: &str,
    search_url: Option<String>,
    values: &Map<String, Value>,
    errors: &[FieldError],
) -> AlertPage {
    let (title, paragraphs, paused, choices) = match form {
        AlertForm::New => ("Créer une alerte", Vec::new(), false, None),
        AlertForm::Manage { paused, said } => (
            "Votre alerte",
            said.iter().map(|said| (*said).to_owned()).collect(),
            *paused,
            Some(search_context(config)),
        ),
    };
    AlertPage {
        page: PageMeta::new(title, description, "/api/alerts").noindex(true),
        paragraphs,
        description: description.to_owned(),
        action: action.to_owned(),
        manage: choices.is_some(),
        paused,
        search_url,
        frequencies: Frequency::ALL.map(|f| (f.as_str(), f.label())).to_vec(),
        choices,
        submitted: Submitted::new(values, errors),
    }
}
