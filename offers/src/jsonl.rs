//! A backup as JSON Lines: one offer per line, then one alert per line
//! (`{"alert": {…}}`). What `entraide export` writes and `entraide import`
//! restores, every line checked before anything is kept.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::alerts::Alert;
use crate::model::Offer;
use crate::search::Criteria;
use crate::validate::{OfferInput, Rules, validate, validate_email};

/// Writes one offer as one line.
pub fn write_line(out: &mut impl Write, offer: &Offer) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, offer)?;
    out.write_all(b"\n")
}

/// An alert's line: the alert under its own key, so that no line is both.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertLine<A> {
    alert: A,
}

/// Writes one alert as one line.
pub fn write_alert_line(out: &mut impl Write, alert: &Alert) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &AlertLine { alert })?;
    out.write_all(b"\n")
}

/// What a backup holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Backup {
    pub offers: Vec<Offer>,
    pub alerts: Vec<Alert>,
}

/// Why an alert of a backup cannot be restored, if it cannot.
fn alert_problem(alert: &Alert, domains: &[String]) -> Option<String> {
    if let Err(error) = validate_email(&alert.email) {
        return Some(error.message);
    }
    match Criteria::from_query(&alert.criteria.to_query(), domains) {
        Ok(read) if read.near == alert.criteria.near && read.domain == alert.criteria.domain => {
            None
        }
        Ok(_) => Some("critères inconnus du site".into()),
        Err(message) => Some(message),
    }
}

/// Reads every line of an export; any line that is not an offer or an alert, or
/// not a valid one for `domains`, is a French problem naming its line. All or
/// nothing.
pub fn read_lines(input: impl BufRead, domains: &[String]) -> Result<Backup, Vec<String>> {
    let mut backup = Backup::default();
    let mut problems = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                problems.push(format!("ligne {number} : lecture impossible : {error}"));
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with("{\"alert\"") {
            match serde_json::from_str::<AlertLine<Alert>>(&line) {
                Ok(AlertLine { alert }) => match alert_problem(&alert, domains) {
                    None => backup.alerts.push(alert),
                    Some(problem) => {
                        problems.push(format!("ligne {number} (alerte {}) : {problem}", alert.id));
                    }
                },
                Err(error) => problems.push(format!("ligne {number} : JSON invalide : {error}")),
            }
            continue;
        }
        let offer: Offer = match serde_json::from_str(&line) {
            Ok(offer) => offer,
            Err(error) => {
                problems.push(format!("ligne {number} : JSON invalide : {error}"));
                continue;
            }
        };
        // Stored offers were valid on the day they were written.
        let rules = Rules {
            domains,
            today: offer.created.date_naive(),
        };
        match validate(&OfferInput::from(&offer), &rules) {
            Ok(_) => backup.offers.push(offer),
            Err(errors) => problems.extend(errors.into_iter().map(|error| {
                format!(
                    "ligne {number} ({}) : {} : {}",
                    offer.id, error.field, error.message
                )
            })),
        }
    }
    if problems.is_empty() {
        Ok(backup)
    } else {
        Err(problems)
    }
}
