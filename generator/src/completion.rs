//! Commune completion for the posting form: small static JSON files drawn from the
//! commune table, so that one look-up downloads a few KB (see `docs/design.md`).
//!
//! - `/communes/noms/index.json`: every name prefix that has a file;
//! - `/communes/noms/PREFIX.json`: for a prefix of at most [`LEAF_SIZE`]
//!   communes, all of them; for a larger one (split into longer prefixes), its
//!   [`TOP`] most populous;
//! - `/communes/codes-postaux/NNN.json`: every postcode starting with NNN.
//!
//! Entries are `[name, department, postcode, INSEE code]`, the most populous first.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use offers::communes::{Commune, geography, name_key};
use serde_json::{Value, json};

pub const NAMES_FOLDER: &str = "communes/noms";
pub const POSTCODES_FOLDER: &str = "communes/codes-postaux";
/// A prefix with more communes than this is split into longer prefixes.
const LEAF_SIZE: usize = 150;
/// Suggestions kept for a prefix that is split further.
const TOP: usize = 12;
/// Names are looked up from their second character on.
const SHORTEST_PREFIX: usize = 2;
/// Postcodes are grouped by their first three digits.
const POSTCODE_PREFIX: usize = 3;

/// One completion file: its path under the output folder and what it lists. The
/// JSON is made only when the file is drawn: a build that finds it unchanged only
/// needs the path.
pub struct CompletionFile {
    pub path: String,
    contents: Contents,
}

enum Contents {
    Prefixes(Vec<String>),
    Communes(Vec<(&'static Commune, &'static str)>),
}

impl CompletionFile {
    pub fn json(&self) -> Value {
        match &self.contents {
            Contents::Prefixes(prefixes) => json!(prefixes),
            Contents::Communes(entries) => entries
                .iter()
                .map(|(c, postcode)| json!([c.name, c.department, postcode, c.insee]))
                .collect(),
        }
    }
}

fn first_postcode(commune: &'static Commune) -> &'static str {
    commune.postcodes.first().copied().unwrap_or_default()
}

/// A prefix as a file name: spaces (word breaks) become hyphens.
pub fn file_name(prefix: &str) -> String {
    prefix.replace(' ', "-")
}

/// Splits `communes` (all sharing `prefix`) until every file is small.
fn split_names(
    prefix: &str,
    communes: Vec<(&str, &'static Commune)>,
    files: &mut Vec<CompletionFile>,
    prefixes: &mut Vec<String>,
) {
    let path = format!("{NAMES_FOLDER}/{}.json", file_name(prefix));
    prefixes.push(prefix.to_owned());
    let longest = communes.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    if communes.len() <= LEAF_SIZE || longest <= prefix.len() {
        let entries = communes
            .iter()
            .map(|(_, c)| (*c, first_postcode(c)))
            .collect();
        let contents = Contents::Communes(entries);
        files.push(CompletionFile { path, contents });
        return;
    }
    let top = communes
        .iter()
        .take(TOP)
        .map(|(_, c)| (*c, first_postcode(c)));
    let contents = Contents::Communes(top.collect());
    files.push(CompletionFile { path, contents });
    let mut children: BTreeMap<&str, Vec<(&str, &'static Commune)>> = BTreeMap::new();
    for (key, commune) in communes {
        // Communes whose whole key is the prefix stay in its top list only.
        if let Some(child) = key.get(..=prefix.len()) {
            children.entry(child).or_default().push((key, commune));
        }
    }
    for (child, communes) in children {
        split_names(child, communes, files, prefixes);
    }
}

fn build() -> Vec<CompletionFile> {
    let geo = geography();
    let mut by_population: Vec<&'static Commune> = geo.communes().iter().collect();
    by_population.sort_by(|a, b| b.population.cmp(&a.population).then(a.name.cmp(b.name)));

    let keys: Vec<(String, &'static Commune)> = by_population
        .iter()
        .map(|c| (name_key(c.name), *c))
        .collect();
    let mut roots: BTreeMap<&str, Vec<(&str, &'static Commune)>> = BTreeMap::new();
    for (key, commune) in &keys {
        if let Some(root) = key.get(..SHORTEST_PREFIX) {
            roots.entry(root).or_default().push((key.as_str(), commune));
        }
    }
    let mut files = Vec::new();
    let mut prefixes = Vec::new();
    for (root, communes) in roots {
        split_names(root, communes, &mut files, &mut prefixes);
    }
    files.push(CompletionFile {
        path: format!("{NAMES_FOLDER}/index.json"),
        contents: Contents::Prefixes(prefixes),
    });

    let mut by_postcode: BTreeMap<&str, Vec<(&'static Commune, &'static str)>> = BTreeMap::new();
    let mut postcodes: Vec<(&'static str, &'static Commune)> = by_population
        .iter()
        .flat_map(|c| c.postcodes.iter().map(move |p| (*p, *c)))
        .collect();
    postcodes.sort_by_key(|(postcode, _)| *postcode); // stable: population order kept
    for (postcode, commune) in postcodes {
        if let Some(group) = postcode.get(..POSTCODE_PREFIX) {
            by_postcode
                .entry(group)
                .or_default()
                .push((commune, postcode));
        }
    }
    files.extend(
        by_postcode
            .into_iter()
            .map(|(group, entries)| CompletionFile {
                path: format!("{POSTCODES_FOLDER}/{group}.json"),
                contents: Contents::Communes(entries),
            }),
    );
    files
}

/// Every completion file, computed once per process (the table never changes).
pub fn files() -> &'static [CompletionFile] {
    static FILES: OnceLock<Vec<CompletionFile>> = OnceLock::new();
    FILES.get_or_init(build)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Value {
        files().iter().find(|f| f.path == path).unwrap().json()
    }

    #[test]
    fn can_find_a_commune_by_name_prefix_in_a_small_file() {
        let index = file("communes/noms/index.json");
        let index: Vec<&str> = index
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let query = name_key("Ploudalmézeau");
        let prefix = index
            .iter()
            .filter(|p| query.starts_with(**p))
            .max_by_key(|p| p.len())
            .unwrap();
        let found = file(&format!("communes/noms/{}.json", file_name(prefix)));
        assert!(found.as_array().unwrap().len() <= LEAF_SIZE);
        assert!(found.as_array().unwrap().contains(&json!([
            "Ploudalmézeau",
            "29",
            "29830",
            "29178"
        ])));
    }

    #[test]
    fn can_keep_every_file_small() {
        for file in files() {
            let bytes = serde_json::to_vec(&file.json()).unwrap().len();
            let limit = if file.path.ends_with("index.json") {
                40_000
            } else {
                16_000
            };
            assert!(bytes <= limit, "{} is {bytes} bytes", file.path);
        }
        let big_city = file("communes/noms/pa.json");
        let big_city = big_city.as_array().unwrap();
        assert_eq!(big_city[0][0], "Paris", "the most populous first");
        let postcodes = file("communes/codes-postaux/298.json");
        let postcodes = postcodes.as_array().unwrap();
        assert!(postcodes.contains(&json!(["Ploudalmézeau", "29", "29830", "29178"])));
    }
}
