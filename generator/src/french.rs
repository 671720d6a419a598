//! French wording: dates, counts, numbers.

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "1er novembre 2026", "24 novembre 2026".
pub fn date(date: NaiveDate) -> String {
    let day = date.day();
    let month = MONTHS[date.month0() as usize];
    if day == 1 {
        format!("1er {month} {}", date.year())
    } else {
        format!("{day} {month} {}", date.year())
    }
}

/// When an offer's help is wanted or given: « du 3 mars 2027 au 4 avril 2027 »,
/// « à partir du … », « jusqu'au … », or nothing.
pub fn period(start: Option<NaiveDate>, end: Option<NaiveDate>) -> String {
    match (start, end) {
        (Some(start), Some(end)) if start == end => format!("le {}", date(start)),
        (Some(start), Some(end)) => format!("du {} au {}", date(start), date(end)),
        (Some(start), None) => format!("à partir du {}", date(start)),
        (None, Some(end)) => format!("jusqu'au {}", date(end)),
        (None, None) => String::new(),
    }
}

/// "12 345", with a no-break space between thousands.
pub fn number(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(digit);
    }
    out
}

/// "0 annonce", "1 annonce", "2 annonces": French uses the singular below two.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{} {}", number(n), if n < 2 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_write_french_dates_and_counts() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
            "24 novembre 2026"
        );
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 8, 1).unwrap()),
            "1er août 2026"
        );
        assert_eq!(count(1, "annonce", "annonces"), "1 annonce");
        assert_eq!(count(0, "annonce", "annonces"), "0 annonce");
        assert_eq!(count(12_345, "annonce", "annonces"), "12\u{a0}345 annonces");
        assert_eq!(number(999), "999");
        assert_eq!(number(1_000_000), "1\u{a0}000\u{a0}000");
    }
}
