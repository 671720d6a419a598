//! The site's URLs: stable, French, with a trailing slash.

use offers::Ulid;
use offers::communes::{Commune, Department, Region};

pub fn offer(id: Ulid) -> String {
    format!("/annonces/{id}/")
}
pub fn domain(slug: &str) -> String {
    format!("/domaines/{slug}/")
}
pub fn domain_department(domain: &str, department: &Department) -> String {
    format!("/domaines/{domain}/{}/", department.slug)
}
pub fn department(department: &Department) -> String {
    format!("/departements/{}/", department.slug)
}
pub fn region(region: &Region) -> String {
    format!("/regions/{}/", region.slug)
}
pub fn commune(commune: &Commune) -> String {
    format!("/villes/{}/", commune.slug)
}
/// The radii the distance search offers, in kilometres, and the one it starts with.
pub const SEARCH_RADII: [u32; 5] = [5, 10, 20, 50, 100];
pub const DEFAULT_RADIUS: u32 = 20;
/// The distance search around a commune: `/recherche/?pres=ploudalmezeau-29&rayon=20`
/// (`&` escaped by the templates).
pub fn near(commune: &Commune) -> String {
    format!("/recherche/?pres={}&rayon={DEFAULT_RADIUS}", commune.slug)
}
/// Archived page `n` of a listing whose front page is `base`: `/annonces/page/2/`
/// (page 1 holds the oldest offers).
pub fn page(base: &str, n: usize) -> String {
    format!("{base}page/{n}/")
}
/// The file a URL is served from: `/annonces/` → `annonces/index.html`.
pub fn file_of(url: &str) -> String {
    let path = url.trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    }
}
