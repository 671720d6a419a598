//! Offers as JSON Lines, one offer per line: what `entraide export` writes and
//! `entraide import` restores, every line checked before anything is kept.

use std::io::{BufRead, Write};

use crate::model::Offer;
use crate::validate::{OfferInput, Rules, validate};

/// Writes one offer as one line.
pub fn write_line(out: &mut impl Write, offer: &Offer) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, offer)?;
    out.write_all(b"\n")
}

/// Reads every line of an export; any line that is not an offer, or not a valid
/// one for `domains`, is a French problem naming its line. All or nothing.
pub fn read_lines(input: impl BufRead, domains: &[String]) -> Result<Vec<Offer>, Vec<String>> {
    let mut offers = Vec::new();
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
            Ok(_) => offers.push(offer),
            Err(errors) => problems.extend(errors.into_iter().map(|error| {
                format!(
                    "ligne {number} ({}) : {} : {}",
                    offer.id, error.field, error.message
                )
            })),
        }
    }
    if problems.is_empty() {
        Ok(offers)
    } else {
        Err(problems)
    }
}
