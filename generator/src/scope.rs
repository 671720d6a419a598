//! Which files a partial build redraws: the URLs it names and the files each
//! URL owns in the output.

use crate::manifest::Files;
use crate::search::SEARCH_DIR;

/// The URLs a partial build redraws: pages (offers, fixed pages) and listings with
/// all their pages and feed. Kept without their leading slash, the form of paths in
/// the output folder.
#[derive(Debug, Default)]
pub struct Scope(rustc_hash::FxHashSet<String>);

impl Scope {
    pub fn insert(&mut self, url: &str) {
        self.0.insert(url.trim_start_matches('/').to_owned());
    }

    pub(crate) fn wants(&self, url: &str) -> bool {
        self.0.contains(url.trim_start_matches('/'))
    }

    /// Whether a file of the output belongs to a URL of the scope (see [`owner`]).
    pub fn owns(&self, path: &str) -> bool {
        self.0.contains(owner(path))
    }

    /// The paths of `files` that belong to a URL of the scope, the search index's
    /// aside: found by looking up what each URL can own (its index, feed, pages
    /// 1, 2… while they exist; the sitemap's parts 1, 2…) instead of reading every
    /// entry of a 160,000-file manifest.
    pub fn owned<'f>(&self, files: &'f Files) -> Vec<&'f str> {
        let search = format!("{SEARCH_DIR}/");
        let mut owned = Vec::new();
        // Whether the last build wrote `path` (kept if so).
        let mut found = |path: String| match files.get_key_value(&path) {
            Some((path, _)) => {
                owned.push(path.as_str());
                true
            }
            None => false,
        };
        for url in self.0.iter().filter(|url| **url != search) {
            if url == "sitemap.xml" {
                found(url.clone());
                (1..)
                    .take_while(|n| found(format!("sitemap-{n}.xml")))
                    .for_each(drop);
            } else if url.is_empty() || url.ends_with('/') {
                found(format!("{url}index.html"));
                found(format!("{url}atom.xml"));
                (1..)
                    .take_while(|n| found(format!("{url}page/{n}/index.html")))
                    .for_each(drop);
            } else {
                found(url.clone());
            }
        }
        owned
    }
}

/// The URL (without its leading slash) that a file of the output belongs to: a
/// listing's pages and feed belong to the listing, the sitemap's parts to
/// `sitemap.xml`, the search index to its folder.
fn owner(path: &str) -> &str {
    if path.starts_with("sitemap") {
        return "sitemap.xml";
    }
    let search = SEARCH_DIR;
    if path
        .strip_prefix(search)
        .is_some_and(|rest| rest.starts_with('/'))
    {
        return &path[..=search.len()];
    }
    let Some(folder) = path
        .strip_suffix("index.html")
        .or_else(|| path.strip_suffix("atom.xml"))
    else {
        return path;
    };
    // `…/page/N/` is page N of the listing `…/`.
    folder
        .strip_suffix('/')
        .and_then(|f| f.rsplit_once('/'))
        .filter(|(_, number)| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|(rest, _)| rest.strip_suffix("page"))
        .filter(|rest| rest.is_empty() || rest.ends_with('/'))
        .unwrap_or(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_belongs_to_the_listing_or_page_that_draws_it() {
        for (path, url) in [
            ("index.html", ""),
            ("annonces/index.html", "annonces/"),
            ("annonces/page/3/index.html", "annonces/"),
            ("annonces/atom.xml", "annonces/"),
            (
                "annonces/01KA2B3C4D5E6F7G8H9J0K1M2N/index.html",
                "annonces/01KA2B3C4D5E6F7G8H9J0K1M2N/",
            ),
            ("villes/brest-29/page/12/index.html", "villes/brest-29/"),
            ("villes/page-29/index.html", "villes/page-29/"),
            ("sitemap-2.xml", "sitemap.xml"),
            ("pagefind/b3/fragment/x.pf_fragment", "pagefind/"),
            ("donnees/annonces.csv", "donnees/annonces.csv"),
        ] {
            assert_eq!(owner(path), url, "{path}");
        }
        let mut scope = Scope::default();
        scope.insert("/villes/brest-29/");
        assert!(scope.owns("villes/brest-29/page/2/index.html"));
        assert!(!scope.owns("villes/brest-29-bis/index.html"));
    }

    #[test]
    fn a_scope_finds_the_files_it_owns_without_reading_every_entry() {
        let files: Files = [
            "index.html",
            "annonces/index.html",
            "annonces/atom.xml",
            "annonces/page/1/index.html",
            "annonces/page/2/index.html",
            "annonces/01KA2B3C4D5E6F7G8H9J0K1M2N/index.html",
            "villes/brest-29/index.html",
            "villes/brest-29/atom.xml",
            "villes/brest-29-bis/index.html",
            "domaines/agricole/index.html",
            "sitemap.xml",
            "sitemap-1.xml",
            "sitemap-2.xml",
            "donnees/annonces.csv",
            "pagefind/pagefind-entry.json",
        ]
        .into_iter()
        .map(|path| {
            let entry = crate::manifest::Entry {
                hash: String::new(),
                size: 0,
                input: String::new(),
            };
            (path.to_owned(), entry)
        })
        .collect();
        let mut scope = Scope::default();
        for url in [
            "/",
            "/annonces/",
            "/annonces/01KA2B3C4D5E6F7G8H9J0K1M2N/",
            "/villes/brest-29/",
            "/villes/vanished-56/",
            "/sitemap.xml",
            "/donnees/annonces.csv",
            "/pagefind/",
        ] {
            scope.insert(url);
        }
        let mut owned = scope.owned(&files);
        owned.sort_unstable();
        let mut scanned: Vec<&str> = files
            .keys()
            .map(String::as_str)
            .filter(|path| scope.owns(path) && !path.starts_with("pagefind/"))
            .collect();
        scanned.sort_unstable();
        assert_eq!(owned, scanned);
        assert_eq!(owned.len(), 12);
    }
}
