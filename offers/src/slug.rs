//! URL slugs: ASCII, lower case, words joined by hyphens.

use deunicode::deunicode;

/// "Ploudalmézeau" → "ploudalmezeau", "L'Île-d'Yeu" → "l-ile-d-yeu".
pub fn slugify(text: &str) -> String {
    let ascii = deunicode(text).to_ascii_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for word in ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn can_slugify_french_names() {
        assert_eq!(slugify("Ploudalmézeau"), "ploudalmezeau");
        assert_eq!(slugify("L'Île-d'Yeu"), "l-ile-d-yeu");
        assert_eq!(slugify("  Socio-éducatif  "), "socio-educatif");
        assert_eq!(slugify("Œuvres & Cœur"), "oeuvres-coeur");
    }
}
