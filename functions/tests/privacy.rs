//! The privacy page states every retention period the code applies.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::harness;
use offers::PENDING_HOURS;

#[test]
fn the_privacy_page_states_every_retention_period_the_code_applies() {
    let h = harness();
    let config = &h.state.site().config;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("content/confidentialite.md")).unwrap();
    let longest_limit = functions::limits::ALL
        .iter()
        .map(|limit| limit.window())
        .max()
        .unwrap();
    for stated in [
        format!("{PENDING_HOURS} heures après l'envoi du formulaire"),
        format!(
            "{} jours après la publication ou le dernier renouvellement",
            config.offer_lifetime_days
        ),
        format!("sa page reste visible {} jours", config.keep_closed_days),
        format!(
            "adresse email comprise, {} jours après avoir été masquée",
            config.keep_closed_days
        ),
        format!(
            "chaque personne qui a signalé une annonce, pendant {} jours",
            config.report_window_days
        ),
        // The longest window, then the hourly sweep.
        format!(
            "effacées au plus tard {} heures après leur création",
            longest_limit.num_hours() + 1
        ),
        "Annonce supprimée avec le lien privé** : effacée immédiatement".to_owned(),
        format!(
            "Alerte non confirmée** : effacée avec votre adresse {} heures après la demande",
            offers::alerts::UNCONFIRMED_HOURS
        ),
        format!(
            "identifiants des annonces déjà envoyées, pendant {} jours",
            offers::alerts::SENT_KEPT_DAYS
        ),
        format!(
            "refusé nos courriels est gardée {} jours",
            functions::alerts_run::SUPPRESSED_DAYS
        ),
        "Alerte supprimée ou arrêtée** : effacée immédiatement".to_owned(),
        format!(
            "effacés {} jours après le dernier message",
            config.conversation_days
        ),
        format!(
            "gardées, pendant {} jours, pour ne plus lui transmettre",
            functions::relay::BLOCK_DAYS
        ),
    ] {
        assert!(
            page.contains(&stated),
            "content/confidentialite.md should say « {stated} »"
        );
    }
}
