//! Markdown content pages (`content/*.md`) with TOML front matter between `+++` lines.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BuildError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentPage {
    /// File stem, and the page's URL: `a-propos` → `/a-propos/`.
    pub slug: String,
    pub title: String,
    pub description: String,
    pub html: String,
}

/// Splits `+++ … +++` front matter from the body.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++")?.trim_start_matches(['\r', '\n']);
    let end = rest.find("\n+++")?;
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    Some((&rest[..end], body))
}

pub fn parse_page(slug: &str, text: &str) -> Result<ContentPage, String> {
    let (front, body) = split_front_matter(text)
        .ok_or("the page must start with TOML front matter between +++ lines")?;
    let front: FrontMatter = toml::from_str(front).map_err(|e| e.to_string())?;
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(body));
    Ok(ContentPage {
        slug: slug.to_owned(),
        title: front.title,
        description: front.description,
        html,
    })
}

/// Every `*.md` file of the content folder, sorted by slug.
pub fn load_pages(dir: &Path) -> Result<Vec<ContentPage>, BuildError> {
    let mut pages = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| BuildError::Content {
            path: dir.to_owned(),
            message: e.to_string(),
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            let slug = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path).map_err(|e| BuildError::io(path, e))?;
            pages.push(
                parse_page(&slug, &text).map_err(|message| BuildError::Content {
                    path: path.to_owned(),
                    message,
                })?,
            );
        }
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_parse_a_page() {
        let page = parse_page(
            "faq",
            "+++\ntitle = \"FAQ\"\ndescription = \"Réponses.\"\n+++\n\n## Question\n\nRéponse.\n",
        )
        .unwrap();
        assert_eq!(page.title, "FAQ");
        assert_eq!(page.html, "<h2>Question</h2>\n<p>Réponse.</p>\n");
    }

    #[test]
    fn errors_on_missing_or_bad_front_matter() {
        assert!(
            parse_page("x", "# Titre")
                .unwrap_err()
                .contains("front matter")
        );
        let error = parse_page("x", "+++\ntitle = \"T\"\nauthor = \"A\"\n+++\n").unwrap_err();
        assert!(error.contains("unknown field `author`"), "{error}");
    }

    #[test]
    fn the_shipped_pages_load() {
        let pages = load_pages(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../content"
        )))
        .unwrap();
        let slugs: Vec<&str> = pages.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(
            slugs,
            [
                "a-propos",
                "charte",
                "confidentialite",
                "faq",
                "mentions-legales"
            ]
        );
    }
}
