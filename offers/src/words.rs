//! Words as the site's search reads them: Pagefind lower-cases each word, keeps
//! its letters and digits, folds its accents and stems it with the French
//! Snowball stemmer (the same crate), and also indexes the parts of a word
//! joined by punctuation (`l'aide` → `laide`, `aide`). Alerts match keywords
//! through this, so that an alert finds what the search would.

use std::collections::HashSet;
use std::sync::LazyLock;

use pagefind_stem::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

static FRENCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));

/// One word's letters and digits, lower-cased, accents folded, stemmed.
fn stem(letters: &str) -> String {
    let folded: String = letters.nfd().filter(|c| !is_combining_mark(*c)).collect();
    FRENCH.stem(&folded).into_owned()
}

fn letters_of(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The stems of a text, each once, in the order met.
pub fn stems(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut keep = |letters: String| {
        if !letters.is_empty() {
            let stemmed = stem(&letters);
            if seen.insert(stemmed.clone()) {
                found.push(stemmed);
            }
        }
    };
    for word in text.split_whitespace() {
        keep(letters_of(word));
        if word.chars().any(|c| !c.is_alphanumeric()) {
            for part in word.split(|c: char| !c.is_alphanumeric()) {
                if part.chars().count() > 1 {
                    keep(letters_of(part));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_fold_accents_and_stem_like_the_search() {
        assert_eq!(stems("Infirmières"), stems("infirmiere"));
        assert_eq!(stems("infirmier"), stems("INFIRMIERS"));
        assert_eq!(stems("aide"), stems("aides"));
        assert_ne!(stems("aide"), stems("jardin"));
    }

    #[test]
    fn can_index_the_parts_of_joined_words() {
        let found = stems("l'aide aux devoirs, porte-à-porte");
        for word in ["aide", "devoirs", "porte"] {
            assert!(found.contains(&stem(word)), "{word} in {found:?}");
        }
        assert_eq!(found.iter().filter(|s| **s == stem("porte")).count(), 1);
    }
}
