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
//!
//! The distance search reads where communes are from the same kind of files:
//! - `/communes/positions/index.json`: each department's bounding box
//!   `[south, west, north, east]`, so that a circle reads only the departments
//!   it touches;
//! - `/communes/positions/DD.json`: each commune of department DD as
//!   `[INSEE code, latitude, longitude]`, to 3 decimals (about 100 m): a 100 km
//!   circle around Paris reads 15 of them;
//! - `/communes/positions/DD-noms.json`: its communes as `[INSEE code, slug,
//!   name]`, read for the commune a search is centred on.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use offers::communes::{Commune, geography, name_key};
use serde_json::{Value, json};

pub const NAMES_FOLDER: &str = "communes/noms";
pub const POSTCODES_FOLDER: &str = "communes/codes-postaux";
pub const POSITIONS_FOLDER: &str = "communes/positions";
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
    /// Every department's bounding box.
    Bounds,
    /// The communes of one department, with their positions.
    Positions(Vec<&'static Commune>),
    /// The communes of one department, with their slugs and names.
    Names(Vec<&'static Commune>),
}

impl CompletionFile {
    pub fn json(&self) -> Value {
        match &self.contents {
            Contents::Prefixes(prefixes) => json!(prefixes),
            Contents::Communes(entries) => entries
                .iter()
                .map(|(c, postcode)| json!([c.name, c.department, postcode, c.insee]))
                .collect(),
            Contents::Bounds => Value::Object(department_bounds()),
            Contents::Positions(communes) => communes
                .iter()
                .filter_map(|c| {
                    let (latitude, longitude) = c.position?.to_thousandths();
                    Some(json!([c.insee, latitude, longitude]))
                })
                .collect(),
            Contents::Names(communes) => communes
                .iter()
                .map(|c| json!([c.insee, c.slug, c.name]))
                .collect(),
        }
    }
}

/// `{"29": [south, west, north, east], …}` over the positions of each
/// department's communes.
fn department_bounds() -> serde_json::Map<String, Value> {
    let mut bounds: BTreeMap<&str, [f64; 4]> = BTreeMap::new();
    for commune in geography().communes() {
        let Some(at) = commune.position else { continue };
        let (lat, lon) = (at.latitude(), at.longitude());
        let b = bounds
            .entry(commune.department)
            .or_insert([lat, lon, lat, lon]);
        *b = [b[0].min(lat), b[1].min(lon), b[2].max(lat), b[3].max(lon)];
    }
    bounds
        .into_iter()
        .map(|(department, b)| (department.to_owned(), json!(b)))
        .collect()
}

/// The positions file of a department (`2A` → `2a.json`), and its names file
/// (`2a-noms.json`).
fn positions_path(department: &str, names: bool) -> String {
    let suffix = if names { "-noms" } else { "" };
    format!(
        "{POSITIONS_FOLDER}/{}{suffix}.json",
        department.to_lowercase()
    )
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

    files.push(CompletionFile {
        path: format!("{POSITIONS_FOLDER}/index.json"),
        contents: Contents::Bounds,
    });
    let mut by_department: BTreeMap<&str, Vec<&'static Commune>> = BTreeMap::new();
    for commune in geo.communes() {
        by_department
            .entry(commune.department)
            .or_default()
            .push(commune);
    }
    for (department, communes) in by_department {
        files.push(CompletionFile {
            path: positions_path(department, true),
            contents: Contents::Names(communes.clone()),
        });
        files.push(CompletionFile {
            path: positions_path(department, false),
            contents: Contents::Positions(communes),
        });
    }
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
    fn can_find_where_a_commune_is_and_which_departments_a_circle_touches() {
        let find = |path: &str| {
            file(path)
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c[0] == "29019")
                .cloned()
                .unwrap()
        };
        assert_eq!(
            find("communes/positions/29.json"),
            json!(["29019", 48.392, -4.485])
        );
        assert_eq!(
            find("communes/positions/29-noms.json"),
            json!(["29019", "brest-29", "Brest"])
        );
        let bounds = file("communes/positions/index.json");
        let [south, west, north, east] = [0, 1, 2, 3].map(|i| bounds["29"][i].as_f64().unwrap());
        assert!(
            south < 48.0 && north > 48.7 && west < -4.7 && east > -3.5,
            "{bounds}"
        );
        assert!(file("communes/positions/2a.json").as_array().unwrap().len() > 100);
        let every = files()
            .iter()
            .filter(|f| f.path.starts_with(POSITIONS_FOLDER))
            .map(|f| f.json().as_array().map_or(0, Vec::len))
            .sum::<usize>();
        assert_eq!(
            every,
            2 * geography().communes().len(),
            "positions and names"
        );
    }

    #[test]
    fn can_keep_every_file_small() {
        for file in files() {
            let bytes = serde_json::to_vec(&file.json()).unwrap().len();
            // A department's positions: 890 communes in the Pas-de-Calais.
            let limit = if file.path.starts_with(POSITIONS_FOLDER) {
                60_000
            } else if file.path.ends_with("index.json") {
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
