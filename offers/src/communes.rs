//! French communes, departments and regions, from Etalab's administrative-division
//! data (see `data/SOURCE.md`). Parsed once, on first use, from tables embedded in
//! the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::slug::slugify;

const COMMUNES_TSV: &str = include_str!("../data/communes.tsv");
const DEPARTEMENTS_TSV: &str = include_str!("../data/departements.tsv");
const REGIONS_TSV: &str = include_str!("../data/regions.tsv");
/// Departments that share a land border (see `data/SOURCE.md`).
const NEIGHBOURS_TSV: &str = include_str!("../data/department-neighbours.tsv");
/// Where each commune is (see `data/SOURCE.md`).
const COORDINATES_TSV: &str = include_str!("../data/commune-coordinates.tsv");
/// The Earth's mean radius (IUGG), for distances as the crow flies.
const EARTH_RADIUS_KM: f64 = 6371.0088;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    /// URL slug, e.g. `bretagne`.
    pub slug: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: &'static str,
    pub name: &'static str,
    /// Region code; empty for overseas collectivities outside any region.
    pub region: &'static str,
    /// URL slug, e.g. `29-finistere`.
    pub slug: String,
    /// Codes of the departments it shares a land border with.
    pub neighbours: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    /// INSEE code, e.g. `29178`.
    pub insee: &'static str,
    pub name: &'static str,
    pub department: &'static str,
    pub postcodes: Vec<&'static str>,
    pub population: u32,
    /// URL slug, unique across France, e.g. `ploudalmezeau-29`.
    pub slug: String,
    /// Its town hall or its centre; every commune has one (a test checks).
    pub position: Option<Position>,
}

/// A commune's place on the map, in ten-thousandths of a degree (WGS 84, about
/// 10 m), as the table gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    latitude: i32,
    longitude: i32,
    /// Estimated from the communes it merged, or its department's main town.
    approximate: bool,
}

impl Position {
    fn parse(latitude: &str, longitude: &str, origin: &str) -> Option<Position> {
        let tenths_of_thousandths = |degrees: &str| {
            let degrees: f64 = degrees.parse().ok()?;
            Some((degrees * 1e4).round() as i32)
        };
        Some(Position {
            latitude: tenths_of_thousandths(latitude)?,
            longitude: tenths_of_thousandths(longitude)?,
            approximate: !matches!(origin, "mairie" | "centre" | "overseas"),
        })
    }

    pub fn latitude(self) -> f64 {
        f64::from(self.latitude) / 1e4
    }

    pub fn longitude(self) -> f64 {
        f64::from(self.longitude) / 1e4
    }

    /// Latitude and longitude rounded to 3 decimals (about 100 m), as the open
    /// data gives them: rounded from the table's own digits, so that a half
    /// (`-4.4845`) goes away from zero whatever the binary fractions do.
    pub fn to_thousandths(self) -> (f64, f64) {
        let round =
            |tenths_of_thousandths: i32| (f64::from(tenths_of_thousandths) / 10.0).round() / 1e3;
        (round(self.latitude), round(self.longitude))
    }

    pub fn is_approximate(self) -> bool {
        self.approximate
    }

    /// Great-circle distance (haversine), in kilometres.
    pub fn kilometres_to(self, other: Position) -> f64 {
        let (lat1, lat2) = (self.latitude().to_radians(), other.latitude().to_radians());
        let half_lat = (lat2 - lat1) / 2.0;
        let half_lon = (other.longitude() - self.longitude()).to_radians() / 2.0;
        let h = half_lat.sin().powi(2) + lat1.cos() * lat2.cos() * half_lon.sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
    }
}

/// Every commune, department and region, with look-up indexes.
#[derive(Debug)]
pub struct Geography {
    regions: Vec<Region>,
    departments: Vec<Department>,
    communes: Vec<Commune>,
    /// Looked up for every offer drawn (a fast hash: the keys are this data's own).
    by_insee: FxHashMap<&'static str, usize>,
    by_postcode: HashMap<&'static str, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    by_slug: FxHashMap<String, usize>,
}

/// The geography of France, loaded on first call.
pub fn geography() -> &'static Geography {
    static GEOGRAPHY: OnceLock<Geography> = OnceLock::new();
    GEOGRAPHY.get_or_init(Geography::load)
}

/// The key names are compared by: accents, case and punctuation folded, so that
/// "saint-etienne", "Saint Étienne" and "SAINT-ÉTIENNE" meet.
pub fn name_key(name: &str) -> String {
    slugify(name)
        .split('-')
        .map(|word| match word {
            "st" => "saint",
            "ste" => "sainte",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many typos a name of `length` letters may hold and still be recognised.
fn typos_forgiven(length: usize) -> usize {
    match length {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

fn columns(line: &str) -> impl Iterator<Item = &str> {
    line.split('\t')
}

impl Geography {
    fn load() -> Self {
        let regions: Vec<Region> = REGIONS_TSV
            .lines()
            .map(|line| {
                let mut cols = columns(line);
                let code = cols.next().unwrap_or_default();
                let name = cols.next().unwrap_or_default();
                Region {
                    code,
                    name,
                    slug: slugify(name),
                }
            })
            .collect();
        let departments: Vec<Department> = DEPARTEMENTS_TSV
            .lines()
            .map(|line| {
                let mut cols = columns(line);
                let code = cols.next().unwrap_or_default();
                let name = cols.next().unwrap_or_default();
                let region = cols.next().unwrap_or_default();
                let neighbours = NEIGHBOURS_TSV
                    .lines()
                    .skip(1)
                    .filter_map(|line| line.split_once('\t'))
                    .find(|(department, _)| *department == code)
                    .map(|(_, list)| list.split(',').filter(|c| !c.is_empty()).collect())
                    .unwrap_or_default();
                Department {
                    code,
                    name,
                    region,
                    slug: format!("{}-{}", code.to_lowercase(), slugify(name)),
                    neighbours,
                }
            })
            .collect();
        let mut communes: Vec<Commune> = COMMUNES_TSV
            .lines()
            .map(|line| {
                let mut cols = columns(line);
                let insee = cols.next().unwrap_or_default();
                let name = cols.next().unwrap_or_default();
                let department = cols.next().unwrap_or_default();
                let postcodes = cols.next().unwrap_or_default().split_whitespace().collect();
                let population = cols.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                let slug = format!("{}-{}", slugify(name), department.to_lowercase());
                Commune {
                    insee,
                    name,
                    department,
                    postcodes,
                    population,
                    slug,
                    position: None,
                }
            })
            .collect();
        // Two communes of one department with the same name would share a slug: such
        // homonyms take their INSEE code instead, which never changes meaning.
        let mut slug_count: HashMap<String, usize> = HashMap::new();
        for commune in &communes {
            *slug_count.entry(commune.slug.clone()).or_default() += 1;
        }
        for commune in &mut communes {
            if slug_count.get(&commune.slug).copied().unwrap_or(0) > 1 {
                commune.slug =
                    format!("{}-{}", slugify(commune.name), commune.insee.to_lowercase());
            }
        }
        let mut by_insee = FxHashMap::default();
        by_insee.reserve(communes.len());
        let mut by_postcode: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_slug = FxHashMap::default();
        by_slug.reserve(communes.len());
        for (index, commune) in communes.iter().enumerate() {
            by_insee.insert(commune.insee, index);
            by_slug.insert(commune.slug.clone(), index);
            by_name
                .entry(name_key(commune.name))
                .or_default()
                .push(index);
            for postcode in &commune.postcodes {
                by_postcode.entry(postcode).or_default().push(index);
            }
        }
        for line in COORDINATES_TSV.lines().skip(1) {
            let mut cols = columns(line);
            let (Some(insee), Some(latitude), Some(longitude), Some(origin)) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            if let Some(&index) = by_insee.get(insee) {
                communes[index].position = Position::parse(latitude, longitude, origin);
            }
        }
        // Biggest commune first: "75001" or "Saint-Denis" should offer the likeliest first.
        for indexes in by_postcode.values_mut().chain(by_name.values_mut()) {
            indexes.sort_by(|&a, &b| {
                communes[b]
                    .population
                    .cmp(&communes[a].population)
                    .then(a.cmp(&b))
            });
        }
        Geography {
            regions,
            departments,
            communes,
            by_insee,
            by_postcode,
            by_name,
            by_slug,
        }
    }

    /// Regions as a reader looks for theirs: mainland regions by name, then
    /// Corsica, then the overseas regions, then the overseas collectivities
    /// (three-digit codes).
    pub fn regions_in_reading_order(&self) -> Vec<&Region> {
        let rank = |region: &Region| match region.code {
            "94" => 1,
            code if code.len() == 3 => 3,
            code if code < "10" => 2,
            _ => 0,
        };
        let mut regions: Vec<&Region> = self.regions.iter().collect();
        regions.sort_by_key(|region| (rank(region), region.slug.clone()));
        regions
    }

    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn commune(&self, insee: &str) -> Option<&Commune> {
        self.by_insee.get(insee).map(|&i| &self.communes[i])
    }

    pub fn commune_by_slug(&self, slug: &str) -> Option<&Commune> {
        self.by_slug.get(slug).map(|&i| &self.communes[i])
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments
            .binary_search_by(|d| d.code.cmp(code))
            .ok()
            .map(|i| &self.departments[i])
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    /// The department's region, if it belongs to one.
    pub fn region_of(&self, department: &str) -> Option<&Region> {
        self.department(department)
            .and_then(|d| self.region(d.region))
    }

    /// Every commune a postcode serves, the most populous first.
    pub fn by_postcode(&self, postcode: &str) -> Vec<&Commune> {
        self.indexed(self.by_postcode.get(postcode.trim()))
    }

    /// Communes with this name (case, accents and punctuation ignored), the most
    /// populous first; `department` narrows homonyms down.
    pub fn by_name(&self, name: &str, department: Option<&str>) -> Vec<&Commune> {
        let mut found = self.indexed(self.by_name.get(&name_key(name)));
        if let Some(department) = department {
            found.retain(|c| c.department.eq_ignore_ascii_case(department));
        }
        found
    }

    /// The communes whose names a misspelt `name` comes closest to (at most
    /// `typos_forgiven` edits on the folded names), the most populous first.
    pub fn nearest(&self, name: &str, department: Option<&str>, at_most: usize) -> Vec<&Commune> {
        let key = name_key(name);
        let forgiven = typos_forgiven(key.len());
        // Longer than any commune's name: nothing to look for.
        if forgiven == 0 || key.len() > 60 {
            return Vec::new();
        }
        let mut found: Vec<(usize, &Commune)> = self
            .by_name
            .iter()
            .filter(|(other, _)| other.len().abs_diff(key.len()) <= forgiven)
            .filter_map(|(other, indexes)| {
                let distance = strsim::levenshtein(&key, other);
                (distance <= forgiven).then_some((distance, indexes))
            })
            .flat_map(|(distance, indexes)| {
                indexes.iter().map(move |&i| (distance, &self.communes[i]))
            })
            .filter(|(_, c)| department.is_none_or(|d| c.department.eq_ignore_ascii_case(d)))
            .collect();
        found.sort_by(|(a, x), (b, y)| {
            a.cmp(b)
                .then(y.population.cmp(&x.population))
                .then(x.insee.cmp(y.insee))
        });
        found.into_iter().take(at_most).map(|(_, c)| c).collect()
    }

    fn indexed(&self, indexes: Option<&Vec<usize>>) -> Vec<&Commune> {
        indexes
            .map(|list| list.iter().map(|&i| &self.communes[i]).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_read_mainland_then_corsica_then_overseas() {
        let names: Vec<&str> = geography()
            .regions_in_reading_order()
            .iter()
            .map(|r| r.name)
            .collect();
        let at = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert_eq!(names[0], "Auvergne-Rhône-Alpes");
        assert!(at("Île-de-France") < at("Corse"));
        assert!(at("Corse") < at("Guadeloupe"));
        assert!(at("Mayotte") < at("Nouvelle-Calédonie"));
        assert!(at("Île-de-France") < at("Île de Clipperton"));
    }

    /// Boxes (south, west, north, east) of mainland France, Corsica and each
    /// overseas department or collectivity.
    fn bounding_box(department: &str) -> (f64, f64, f64, f64) {
        match department {
            "2A" | "2B" => (41.3, 8.5, 43.1, 9.6),
            "971" => (15.8, -61.9, 16.6, -60.9),
            "972" => (14.3, -61.3, 14.9, -60.8),
            "973" => (2.1, -54.7, 5.8, -51.6),
            "974" => (-21.4, 55.2, -20.8, 55.9),
            "975" => (46.7, -56.5, 47.2, -56.1),
            "976" => (-13.1, 44.9, -12.6, 45.4),
            "977" => (17.8, -63.0, 18.0, -62.7),
            "978" => (18.0, -63.2, 18.2, -62.9),
            "984" => (-67.0, 39.0, -10.0, 141.0),
            "986" => (-14.4, -178.3, -13.1, -176.0),
            "987" => (-28.0, -155.0, -7.8, -134.0),
            "988" => (-23.0, 163.5, -19.5, 168.2),
            "989" => (10.2, -109.3, 10.4, -109.1),
            _ => (41.3, -5.2, 51.1, 9.6),
        }
    }

    #[test]
    fn every_commune_lies_in_its_part_of_france() {
        for commune in geography().communes() {
            let position = commune
                .position
                .unwrap_or_else(|| panic!("{}", commune.insee));
            let (south, west, north, east) = bounding_box(commune.department);
            let (lat, lon) = (position.latitude(), position.longitude());
            assert!(
                (south..=north).contains(&lat) && (west..=east).contains(&lon),
                "{} {} at {lat}, {lon}",
                commune.insee,
                commune.name
            );
        }
    }

    #[test]
    fn distances_are_those_of_the_map() {
        let geo = geography();
        let at = |insee: &str| geo.commune(insee).unwrap().position.unwrap();
        // As the crow flies, against the distances between the cities' usual
        // centre points (as encyclopaedias give them), computed apart: Brest–Quimper
        // 52.3 km (the 57 km once quoted for it is no crow-fly figure), Paris–Marseille
        // 660.5 km, Ajaccio–Bastia 104.2 km, Saint-Denis–Saint-Pierre (La Réunion)
        // 51.3 km.
        for (a, b, km) in [
            ("29019", "29232", 52.3),
            ("75056", "13055", 660.5),
            ("2A004", "2B033", 104.2),
            ("97411", "97416", 51.3),
        ] {
            let measured = at(a).kilometres_to(at(b));
            assert!((measured - km).abs() <= km * 0.02, "{a}–{b}: {measured} km");
            assert_eq!(measured, at(b).kilometres_to(at(a)));
        }
    }

    #[test]
    fn departments_know_their_neighbours() {
        let geo = geography();
        let neighbours = |code: &str| geo.department(code).unwrap().neighbours.clone();
        assert_eq!(neighbours("29"), ["22", "56"]);
        assert_eq!(neighbours("2A"), ["2B"]);
        assert!(neighbours("974").is_empty());
        for department in geo.departments() {
            for other in &department.neighbours {
                assert!(
                    neighbours(other).contains(&department.code),
                    "{} and {other}",
                    department.code
                );
            }
        }
    }

    #[test]
    fn can_load_every_commune_department_and_region() {
        let geo = geography();
        assert!(geo.communes().len() > 34_000, "{}", geo.communes().len());
        assert_eq!(geo.departments().len(), 109);
        assert!(geo.regions().len() >= 18);
        let slugs: std::collections::HashSet<_> = geo.communes().iter().map(|c| &c.slug).collect();
        assert_eq!(slugs.len(), geo.communes().len(), "commune slugs collide");
    }

    #[test]
    fn can_find_a_commune_by_insee_code_and_slug() {
        let geo = geography();
        let commune = geo.commune("29178").expect("Ploudalmézeau");
        assert_eq!(commune.name, "Ploudalmézeau");
        assert_eq!(commune.slug, "ploudalmezeau-29");
        assert_eq!(geo.commune_by_slug("ploudalmezeau-29"), Some(commune));
        assert_eq!(
            geo.department("29").map(|d| d.slug.as_str()),
            Some("29-finistere")
        );
        assert_eq!(geo.region_of("29").map(|r| r.name), Some("Bretagne"));
    }

    #[test]
    fn big_city_postcodes_map_to_the_city() {
        let geo = geography();
        for (postcode, city) in [
            ("75011", "Paris"),
            ("13008", "Marseille"),
            ("69003", "Lyon"),
        ] {
            let found = geo.by_postcode(postcode);
            assert_eq!(found.first().map(|c| c.name), Some(city), "{postcode}");
        }
    }

    #[test]
    fn a_postcode_may_serve_several_communes() {
        let found = geography().by_postcode("29830");
        assert!(found.len() > 1, "{found:?}");
        assert!(found.iter().any(|c| c.name == "Ploudalmézeau"));
    }

    #[test]
    fn names_ignore_case_and_accents_and_homonyms_narrow_by_department() {
        let geo = geography();
        let found = geo.by_name("PLOUDALMEZEAU", None);
        assert_eq!(found.len(), 1);
        let saint_denis = geo.by_name("saint denis", None);
        assert!(saint_denis.len() > 1, "Saint-Denis has homonyms");
        let reunion = geo.by_name("Saint-Denis", Some("974"));
        assert_eq!(reunion.len(), 1);
        assert_eq!(reunion[0].insee, "97411");
    }

    #[test]
    fn corsica_and_overseas_are_there() {
        let geo = geography();
        assert_eq!(geo.commune("2A004").map(|c| c.name), Some("Ajaccio"));
        assert_eq!(geo.commune("2B033").map(|c| c.name), Some("Bastia"));
        assert_eq!(
            geo.department("2A").map(|d| d.slug.as_str()),
            Some("2a-corse-du-sud")
        );
        for (department, commune) in [
            ("971", "97105"),
            ("972", "97209"),
            ("973", "97302"),
            ("974", "97411"),
            ("976", "97611"),
        ] {
            assert_eq!(geo.commune(commune).map(|c| c.department), Some(department));
            assert!(
                geo.region_of(department).is_some(),
                "{department} has a region"
            );
        }
    }
}
