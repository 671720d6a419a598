//! The listings of domains and places, and the indexes that lead to them: what
//! each says and what it links to around it.

use std::collections::BTreeSet;

use offers::communes::{Department, Region, geography};

use super::{Groups, Planner, count};
use crate::config::SiteConfig;
use crate::context::{
    DepartmentMap, Index, Link, LinkGroup, MapDepartment, MapShade, Page, PageMeta,
};
use crate::listing::Listing;
use crate::prepared::Prepared;
use crate::urls;

/// « Finistère (29) ».
fn department_label(department: &Department) -> String {
    format!("{} ({})", department.name, department.code)
}

/// The offers of a group, none if it is not there.
fn members<'g, 'a, K: Ord>(
    groups: &'g std::collections::BTreeMap<K, Vec<&'a Prepared<'a>>>,
    key: &K,
) -> &'g [&'a Prepared<'a>] {
    groups.get(key).map(Vec::as_slice).unwrap_or_default()
}

/// A page of links in one group, under the home page.
fn index(title: &str, description: &str, url: &str, groups: Vec<LinkGroup>) -> Index {
    Index {
        page: PageMeta::new(title, description, url),
        heading: title.to_owned(),
        groups,
        map: None,
    }
}

/// The map's figures: each department's listed offers, shaded in up to five
/// steps whose bounds follow the figures (quartiles of the departments that have
/// offers, rounded to 1, 2 or 5 times a power of ten), so that a small site and a
/// large one both show where help is.
pub(crate) fn department_map(groups: &Groups) -> DepartmentMap {
    let geo = geography();
    let counted: Vec<(&Department, usize)> = geo
        .departments()
        .iter()
        .map(|d| (d, groups.by_department.get(d.code).map_or(0, Vec::len)))
        .collect();
    let mut positive: Vec<usize> = counted.iter().map(|(_, n)| *n).filter(|n| *n > 0).collect();
    positive.sort_unstable();
    let mut bounds: Vec<usize> = [1, 2, 3]
        .iter()
        .filter_map(|quarter| positive.get(positive.len() * quarter / 4).copied())
        .map(round_up_nicely)
        .collect();
    bounds.dedup();
    // A department's shade: 0 without offers, then the first bound it does not pass.
    let shade = |n: usize| match n {
        0 => 0,
        n => 1 + bounds.iter().take_while(|bound| n > **bound).count(),
    };
    let departments = counted
        .iter()
        .map(|(d, n)| {
            let label = format!(
                "{} : {}",
                d.name,
                crate::french::count(*n, "annonce", "annonces")
            );
            let (url, shade) = (urls::department(d), shade(*n));
            (d.code, MapDepartment { url, label, shade })
        })
        .collect();
    let mut legend = vec![MapShade {
        shade: 0,
        label: "aucune annonce".into(),
    }];
    let mut low = 1;
    for (index, bound) in bounds.iter().enumerate() {
        let label = match (low, *bound) {
            (low, high) if low == high => crate::french::count(high, "annonce", "annonces"),
            (low, high) => format!("de {low} à {high} annonces"),
        };
        legend.push(MapShade {
            shade: index + 1,
            label,
        });
        low = bound + 1;
    }
    if positive.last().is_some_and(|most| *most >= low) {
        legend.push(MapShade {
            shade: bounds.len() + 1,
            label: if bounds.is_empty() {
                "des annonces".into()
            } else {
                format!("{low} annonces ou plus")
            },
        });
    }
    let table = counted
        .iter()
        .map(|(d, n)| {
            Link::counted(
                department_label(d),
                urls::department(d),
                crate::french::count(*n, "annonce", "annonces"),
            )
        })
        .collect();
    DepartmentMap {
        departments,
        legend,
        table,
    }
}

/// The smallest of 1, 2, 5, 10, 20, 50… that is at least `n`.
fn round_up_nicely(n: usize) -> usize {
    let mut power = 1;
    loop {
        for step in [1, 2, 5] {
            if step * power >= n {
                return step * power;
            }
        }
        power *= 10;
    }
}

impl<'a> Planner<'a> {
    /// `/domaines/` and a listing per domain.
    pub(crate) fn domains(&mut self, groups: &Groups<'a>) {
        let config = self.config;
        let domains = config
            .domains
            .iter()
            .map(|d| {
                Link::counted(
                    &d.label,
                    urls::domain(&d.slug),
                    groups.count_of_domain(&d.slug),
                )
            })
            .collect();
        let page = index(
            "Les domaines",
            "Toutes les annonces d'entraide, domaine par domaine.",
            "/domaines/",
            vec![LinkGroup::new("", domains)],
        );
        self.html("/domaines/", "index.html", Page::Index(page), Vec::new());
        let geo = geography();
        for domain in &config.domains {
            let offers = members(&groups.by_domain, &domain.slug.as_str());
            self.listing(urls::domain(&domain.slug), offers, || {
                let departments = groups
                    .by_domain_department
                    .iter()
                    .filter(|((d, _), _)| *d == domain.slug.as_str())
                    .filter_map(|((_, code), offers)| {
                        let department = geo.department(code)?;
                        Some(Link::counted(
                            department_label(department),
                            urls::domain_department(&domain.slug, department),
                            count(Some(offers)),
                        ))
                    })
                    .collect();
                Listing {
                    title: format!("Domaine {}", domain.label.to_lowercase()),
                    intro: domain.description.clone(),
                    crumbs: vec![Link::home(), Link::new("Domaines", "/domaines/")],
                    feed: Some(format!("{}atom.xml", urls::domain(&domain.slug))),
                    links: vec![LinkGroup::new("Par département", departments)],
                    empty: format!(
                        "Aucune annonce en cours dans le domaine « {} ».",
                        domain.label
                    ),
                    near: None,
                    alert: alert_query(&[("domaine", &domain.slug)]),
                }
            });
        }
    }

    /// Every domain in every department, with offers or not: neighbouring
    /// departments link to each other's page without knowing what it holds.
    pub(crate) fn domain_departments(&mut self, groups: &Groups<'a>) {
        let geo = geography();
        let inhabited: BTreeSet<&str> = geo.communes().iter().map(|c| c.department).collect();
        for domain in &self.config.domains {
            for department in geo
                .departments()
                .iter()
                .filter(|d| inhabited.contains(d.code))
            {
                let offers = members(
                    &groups.by_domain_department,
                    &(domain.slug.as_str(), department.code),
                );
                let url = urls::domain_department(&domain.slug, department);
                self.listing(url, offers, || {
                    let neighbours = department
                        .neighbours
                        .iter()
                        .filter_map(|code| geo.department(code))
                        .map(|d| {
                            Link::new(
                                department_label(d),
                                urls::domain_department(&domain.slug, d),
                            )
                        })
                        .collect();
                    let mut wider = vec![Link::new(
                        format!("Tout le domaine « {} »", domain.label),
                        urls::domain(&domain.slug),
                    )];
                    if let Some(region) = geo.region(department.region) {
                        wider.push(Link::new(
                            format!("{} dans la région {}", domain.label, region.name),
                            format!("/recherche/?domaine={}&region={}", domain.slug, region.code),
                        ));
                        wider.push(Link::new(
                            format!("Tous les domaines dans la région {}", region.name),
                            urls::region(region),
                        ));
                    }
                    Listing {
                        title: format!("{} – {}", domain.label, department_label(department)),
                        intro: format!(
                            "Les annonces du domaine {} dans le département {}.",
                            domain.label.to_lowercase(),
                            department.name
                        ),
                        crumbs: vec![
                            Link::home(),
                            Link::new(&domain.label, urls::domain(&domain.slug)),
                        ],
                        feed: None,
                        links: vec![
                            LinkGroup::new("Dans les départements voisins", neighbours),
                            LinkGroup::new("Plus large", wider),
                        ],
                        empty: format!(
                            "Aucune annonce du domaine « {} » en cours dans le département {}.",
                            domain.label,
                            department_label(department)
                        ),
                        near: None,
                        alert: alert_query(&[
                            ("domaine", &domain.slug),
                            ("departement", department.code),
                        ]),
                    }
                });
            }
        }
    }

    /// `/departements/`, `/regions/`, and a listing per region and per department.
    pub(crate) fn regions_and_departments(&mut self, groups: &Groups<'a>) {
        let config = self.config;
        let geo = geography();
        let department_link = |d: &Department| {
            Link::counted(
                department_label(d),
                urls::department(d),
                count(groups.by_department.get(d.code)),
            )
        };
        let departments_of = |region: &Region| -> Vec<Link> {
            geo.departments()
                .iter()
                .filter(|d| d.region == region.code)
                .map(department_link)
                .collect()
        };
        let mut by_region: Vec<LinkGroup> = geo
            .regions_in_reading_order()
            .into_iter()
            .map(|region| LinkGroup {
                url: Some(urls::region(region)),
                ..LinkGroup::new(region.name, departments_of(region))
            })
            .collect();
        let outside = geo
            .departments()
            .iter()
            .filter(|d| geo.region(d.region).is_none())
            .map(department_link)
            .collect();
        by_region.push(LinkGroup::new("Collectivités d'outre-mer", outside));
        let page = Index {
            map: Some(department_map(groups)),
            ..index(
                "Les départements",
                "Les annonces d'entraide de chaque département, région par région.",
                "/departements/",
                by_region,
            )
        };
        self.html(
            "/departements/",
            "index.html",
            Page::Index(page),
            Vec::new(),
        );
        let regions = geo
            .regions_in_reading_order()
            .into_iter()
            .map(|r| Link::counted(r.name, urls::region(r), count(groups.by_region.get(r.code))))
            .collect();
        let page = index(
            "Les régions",
            "Les annonces d'entraide de chaque région.",
            "/regions/",
            vec![LinkGroup::new("", regions)],
        );
        self.html("/regions/", "index.html", Page::Index(page), Vec::new());

        for region in geo.regions() {
            let offers = members(&groups.by_region, &region.code);
            self.listing(urls::region(region), offers, || Listing {
                title: format!("Région {}", region.name),
                intro: format!("Les annonces d'entraide dans la région {}.", region.name),
                crumbs: vec![Link::home(), Link::new("Régions", "/regions/")],
                feed: None,
                links: vec![LinkGroup::new("Par département", departments_of(region))],
                empty: format!("Aucune annonce en cours dans la région {}.", region.name),
                near: None,
                alert: alert_query(&[("region", region.code)]),
            });
        }
        for department in geo.departments() {
            let offers = members(&groups.by_department, &department.code);
            self.listing(urls::department(department), offers, || {
                describe_department(config, department, groups)
            });
        }
    }

    /// A listing per commune with listed offers, or with a public offer whose
    /// page links to it (a filled offer keeps its page a while: its commune says
    /// there is nothing left there, instead of a 404).
    pub(crate) fn communes(&mut self, groups: &Groups<'a>) {
        let geo = geography();
        let all = groups
            .by_commune
            .keys()
            .chain(groups.linked_communes.iter())
            .copied();
        for insee in all.collect::<BTreeSet<_>>() {
            let Some(commune) = geo.commune(insee) else {
                continue;
            };
            let offers = members(&groups.by_commune, &insee);
            self.listing(urls::commune(commune), offers, || {
                let mut crumbs = vec![Link::home()];
                let mut around = Vec::new();
                if let Some(department) = geo.department(commune.department) {
                    let label = department_label(department);
                    crumbs.push(Link::new(&label, urls::department(department)));
                    around.push(Link::new(
                        format!("Le département {label}"),
                        urls::department(department),
                    ));
                    if let Some(region) = geo.region(department.region) {
                        around.push(Link::new(
                            format!("La région {}", region.name),
                            urls::region(region),
                        ));
                    }
                }
                Listing {
                    title: format!("{} ({})", commune.name, commune.department),
                    intro: format!("Les annonces d'entraide à {}.", commune.name),
                    crumbs,
                    feed: Some(format!("{}atom.xml", urls::commune(commune))),
                    links: vec![LinkGroup::new("Autour de cette commune", around)],
                    empty: format!("Aucune annonce en cours à {}.", commune.name),
                    near: Some(near(commune)),
                    alert: alert_query(&[("commune", commune.insee)]),
                }
            });
        }
    }
}

/// « Les annonces à moins de 20 km de Brest »: the distance search around a commune.
fn near(commune: &offers::communes::Commune) -> Link {
    Link::new(
        format!(
            "Les annonces à moins de {} km de {}",
            urls::DEFAULT_RADIUS,
            commune.name
        ),
        urls::near(commune),
    )
}

/// What a department's listing says: its domains, communes and neighbours.
fn describe_department(config: &SiteConfig, department: &Department, groups: &Groups) -> Listing {
    let geo = geography();
    let mut crumbs = vec![Link::home(), Link::new("Départements", "/departements/")];
    if let Some(region) = geo.region(department.region) {
        crumbs.push(Link::new(region.name, urls::region(region)));
    }
    let domains = config
        .domains
        .iter()
        .filter_map(|d| {
            let offers = groups
                .by_domain_department
                .get(&(d.slug.as_str(), department.code))?;
            Some(Link::counted(
                &d.label,
                urls::domain_department(&d.slug, department),
                count(Some(offers)),
            ))
        })
        .collect();
    let communes = groups
        .communes_by_department
        .range((department.code, "")..)
        .take_while(|((code, _), _)| *code == department.code)
        .filter_map(|((_, slug), offers)| {
            let commune = geo.commune_by_slug(slug)?;
            Some(Link::counted(
                commune.name,
                urls::commune(commune),
                count(Some(offers)),
            ))
        })
        .collect();
    // Without counts: a neighbour's offers do not redraw this page.
    let neighbours = department
        .neighbours
        .iter()
        .filter_map(|code| geo.department(code))
        .map(|d| Link::new(department_label(d), urls::department(d)))
        .collect();
    let label = department_label(department);
    Listing {
        title: label.clone(),
        intro: format!("Les annonces d'entraide dans le département {label}."),
        crumbs,
        feed: Some(format!("{}atom.xml", urls::department(department))),
        links: vec![
            LinkGroup::new("Par domaine", domains),
            LinkGroup::new("Par commune", communes),
            LinkGroup::new("Départements voisins", neighbours),
        ],
        empty: format!("Aucune annonce en cours dans le département {label}."),
        // Around its most populous commune, the one most visitors live nearest.
        near: geo
            .communes()
            .iter()
            .filter(|c| c.department == department.code)
            .max_by_key(|c| c.population)
            .map(near),
        alert: alert_query(&[("departement", department.code)]),
    }
}

/// A listing's scope as the query string of a search
/// (`domaine=sante&departement=29`); slugs and codes need no escaping.
fn alert_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shade_bounds_are_round_numbers() {
        let rounded: Vec<usize> = [1, 2, 3, 7, 10, 11, 49, 51, 120, 999]
            .into_iter()
            .map(round_up_nicely)
            .collect();
        assert_eq!(rounded, [1, 2, 5, 10, 10, 20, 50, 100, 200, 1000]);
    }
}
