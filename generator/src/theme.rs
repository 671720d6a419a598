//! The theme: tera templates (a site's own `templates/` folder overrides them by
//! name) and static assets, published under a content hash so they can be cached
//! for ever.

use std::collections::BTreeMap;
use std::path::Path;

use tera::Tera;

use crate::BuildError;

pub struct Theme {
    pub tera: Tera,
    /// Asset name (`style.css`) → published URL path (`/assets/style.1a2b3c4d5e.css`).
    pub asset_urls: BTreeMap<String, String>,
    /// Published path → bytes.
    pub assets: Vec<(String, Vec<u8>)>,
    /// Hash of every template and asset, to know when every page must be redrawn.
    pub fingerprint: blake3::Hash,
}

fn read_dir_files(dir: &Path, into: &mut BTreeMap<String, Vec<u8>>) -> Result<(), BuildError> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| BuildError::Content {
            path: dir.to_owned(),
            message: e.to_string(),
        })?;
        if entry.file_type().is_file() {
            let name = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
            into.insert(name, bytes);
        }
    }
    Ok(())
}

/// Like tera's default escaping, but leaves `/` alone: URLs stay readable and pages
/// smaller, and a slash is harmless in text and in quoted attributes.
fn escape_html(input: &str) -> String {
    if !input.contains(['&', '<', '>', '"', '\'']) {
        return input.to_owned();
    }
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

impl Theme {
    /// Loads `theme_dir/templates`, then `overrides` (a site's `templates/`), then
    /// `theme_dir/static`.
    pub fn load(theme_dir: &Path, overrides: &Path) -> Result<Self, BuildError> {
        let mut templates = BTreeMap::new();
        read_dir_files(&theme_dir.join("templates"), &mut templates)?;
        read_dir_files(overrides, &mut templates)?;
        let mut hasher = blake3::Hasher::new();
        let mut sources = Vec::new();
        for (name, bytes) in &templates {
            hasher.update(name.as_bytes());
            hasher.update(bytes);
            let text = String::from_utf8(bytes.clone())
                .map_err(|_| BuildError::Template(format!("{name} is not UTF-8")))?;
            sources.push((name.clone(), text));
        }
        let mut tera = Tera::default();
        tera.add_raw_templates(sources)?;
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(escape_html);

        let mut statics = BTreeMap::new();
        read_dir_files(&theme_dir.join("static"), &mut statics)?;
        let mut asset_urls = BTreeMap::new();
        let mut assets = Vec::new();
        for (name, bytes) in statics {
            let hash = blake3::hash(&bytes);
            hasher.update(name.as_bytes());
            hasher.update(hash.as_bytes());
            let short = &hash.to_hex()[..10];
            let published = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("assets/{stem}.{short}.{ext}"),
                None => format!("assets/{name}.{short}"),
            };
            asset_urls.insert(name, format!("/{published}"));
            assets.push((published, bytes));
        }
        Ok(Theme {
            tera,
            asset_urls,
            assets,
            fingerprint: hasher.finalize(),
        })
    }
}
