//! Planning: the list of files a build produces, each with the small context it
//! needs and the offers it shows. The listings of places and domains are planned
//! in `places`; this module holds the planner, the grouping of offers and the
//! pages that are not listings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use offers::communes::geography;
use rayon::prelude::*;
use serde_json::Map;

use crate::completion;
use crate::config::SiteConfig;
use crate::content::ContentPage;
use crate::context::{Content, DomainCard, Home, Link, Page, PageMeta};
use crate::french;
use crate::jobs::{FeedMeta, Job, Output, SitemapUrl, offer_page, sitemap_jobs};
use crate::listing::{Layout, Listing, ListingInfo};
use crate::prepared::{Place, Prepared};
use crate::scope::Scope;
use crate::urls;

mod places;

/// Newest offers shown on the home page.
const HOME_LATEST: usize = 10;

/// The jobs planned so far and the sitemap's URLs, in plan order.
pub(crate) struct Planner<'a> {
    pub(crate) config: &'a SiteConfig,
    /// `None`: every file.
    scope: Option<&'a Scope>,
    jobs: Vec<Job<'a>>,
    sitemap: Vec<SitemapUrl<'a>>,
}

impl<'a> Planner<'a> {
    fn new(config: &'a SiteConfig, scope: Option<&'a Scope>) -> Self {
        Planner {
            config,
            scope,
            jobs: Vec::new(),
            sitemap: Vec::new(),
        }
    }

    /// Appends another planner's jobs and sitemap URLs after this one's.
    fn append(&mut self, other: Planner<'a>) {
        self.jobs.extend(other.jobs);
        self.sitemap.extend(other.sitemap);
    }

    fn wants(&self, url: &str) -> bool {
        self.scope.is_none_or(|scope| scope.wants(url))
    }

    /// Files that depend on the config alone: only a full build draws them.
    fn push_fixed(&mut self, path: &str, output: Output<'a>) {
        if self.scope.is_none() {
            self.jobs.push(Job {
                path: path.to_owned(),
                output,
                offers: Vec::new(),
            });
        }
    }

    /// A page of the theme at `url`, in the sitemap unless it is `noindex`.
    pub(crate) fn html(
        &mut self,
        url: &str,
        template: &'static str,
        context: Page,
        offers: Vec<&'a Prepared<'a>>,
    ) {
        if !context.meta().noindex {
            self.sitemap.push(SitemapUrl {
                url: url.to_owned().into(),
                lastmod: None,
            });
        }
        if !self.wants(url) {
            return;
        }
        self.jobs.push(Job {
            path: urls::file_of(url),
            output: Output::Page {
                template,
                context: Box::new(context),
            },
            offers,
        });
    }

    /// A listing's pages and feed; what it says (`describe`) is built only if the
    /// listing is drawn.
    pub(crate) fn listing(
        &mut self,
        url: String,
        offers: &[&'a Prepared<'a>],
        describe: impl FnOnce() -> Listing,
    ) {
        let layout = Layout::new(offers.len(), self.config.page_size);
        // A listing with nothing in it is a page for people, not for search engines.
        if !offers.is_empty() {
            self.sitemap.extend(layout.parts().map(|part| SitemapUrl {
                url: part.url(&url).into(),
                lastmod: None,
            }));
        }
        if !self.wants(&url) {
            return;
        }
        let listing = describe();
        let title = listing.title.clone();
        let info = Arc::new(ListingInfo::new(url, listing, offers.len(), layout));
        for part in layout.parts() {
            self.jobs.push(Job {
                path: urls::file_of(&part.url(&info.url)),
                output: Output::ListingPage(Arc::clone(&info), part),
                offers: offers[layout.range(part)].to_vec(),
            });
        }
        if let Some(feed) = &info.feed {
            self.jobs.push(Job {
                path: urls::file_of(feed),
                output: Output::Feed(Box::new(FeedMeta {
                    title,
                    url: feed.clone(),
                    alternate: info.url.clone(),
                })),
                offers: offers.iter().take(self.config.feed_size).copied().collect(),
            });
        }
    }

    /// One page per public offer, and the sitemap's URL of each listed one in the
    /// listings' order (the order the offers were given in must not show: a
    /// DynamoDB scan has none).
    fn offer_pages(&mut self, prepared: &'a [Prepared<'a>], listed: &[&'a Prepared<'a>]) {
        let url_of = |prepared: &'a Prepared<'a>| {
            prepared.drawn.sitemap.get_or_init(|| {
                let offer = prepared.offer;
                (
                    urls::offer(offer.id),
                    offer.updated.date_naive().to_string(),
                )
            })
        };
        for prepared in listed {
            let (url, lastmod) = url_of(prepared);
            self.sitemap.push(SitemapUrl {
                url: url.as_str().into(),
                lastmod: Some(lastmod),
            });
        }
        for prepared in prepared {
            if self.wants(&url_of(prepared).0) {
                self.jobs.push(offer_page(prepared));
            }
        }
    }

    /// The home page: the domains and the newest offers.
    fn home(&mut self, groups: &Groups<'a>) {
        let config = self.config;
        let domains = config
            .domains
            .iter()
            .map(|d| DomainCard {
                label: d.label.clone(),
                url: urls::domain(&d.slug),
                description: d.description.clone(),
                count: groups.count_of_domain(&d.slug),
            })
            .collect();
        let home = Home {
            page: PageMeta::new(&config.name, &config.description, "/").breadcrumbs(Vec::new()),
            domains,
            count: french::count(groups.listed.len(), "annonce", "annonces"),
            map: places::department_map(groups),
        };
        let latest = groups.listed.iter().take(HOME_LATEST).copied().collect();
        self.html("/", "home.html", Page::Home(home), latest);
    }

    /// Pages that do not show offers: forms, messages, the site's own content.
    fn fixed_pages(&mut self, pages: &[ContentPage]) {
        let config = self.config;
        let publish = crate::forms::publish_context(config, &Map::new(), &[]);
        self.html(
            "/publier/",
            "publish.html",
            Page::Publish(publish),
            Vec::new(),
        );
        let search = Page::Search(crate::forms::search_context(config));
        self.html("/recherche/", "search.html", search, Vec::new());
        let links = crate::forms::links_context(&Map::new(), &[]);
        self.html("/gerer/", "links.html", Page::Form(links), Vec::new());
        for (url, context) in [
            ("/gerer/merci/", crate::forms::links_sent_context()),
            ("/publier/merci/", crate::forms::sent_context()),
            ("/contact/merci/", crate::forms::contact_sent_context()),
            ("/signalement/merci/", crate::forms::report_sent_context()),
        ] {
            self.html(url, "message.html", Page::Message(context), Vec::new());
        }
        for page in pages {
            let url = format!("/{}/", page.slug);
            let content = Content {
                page: PageMeta::new(&page.title, &page.description, &url),
                content: page.html.clone(),
            };
            self.html(&url, "page.html", Page::Content(content), Vec::new());
        }
        let page = PageMeta::new(
            "Page introuvable",
            "Cette page n'existe pas ou plus.",
            "/404.html",
        )
        .noindex(true);
        self.push_fixed(
            "404.html",
            Output::Page {
                template: "404.html",
                context: Box::new(Page::Bare { page }),
            },
        );
    }
}

/// The listed offers, newest first, and their groups by place and domain.
pub(crate) struct Groups<'a> {
    pub(crate) listed: Vec<&'a Prepared<'a>>,
    pub(crate) by_domain: BTreeMap<&'a str, Vec<&'a Prepared<'a>>>,
    pub(crate) by_department: BTreeMap<&'static str, Vec<&'a Prepared<'a>>>,
    pub(crate) by_commune: BTreeMap<&'static str, Vec<&'a Prepared<'a>>>,
    pub(crate) by_region: BTreeMap<&'static str, Vec<&'a Prepared<'a>>>,
    pub(crate) by_domain_department: BTreeMap<(&'a str, &'static str), Vec<&'a Prepared<'a>>>,
    /// By department code, then commune slug.
    pub(crate) communes_by_department:
        BTreeMap<(&'static str, &'static str), Vec<&'a Prepared<'a>>>,
    /// Communes that a public offer's page links to, listed or not.
    pub(crate) linked_communes: BTreeSet<&'static str>,
}

impl<'a> Groups<'a> {
    fn new(config: &'a SiteConfig, prepared: &'a [Prepared<'a>]) -> Self {
        let geo = geography();
        let mut listed: Vec<&Prepared> = prepared.iter().filter(|p| p.listed).collect();
        // Ids are unique: the order is total, and an unstable sort finds the same one.
        listed.sort_unstable_by(|a, b| {
            b.published
                .cmp(&a.published)
                .then(b.offer.id.cmp(&a.offer.id))
        });
        let places: Vec<Place> = listed
            .par_iter()
            .map(|p| *p.drawn.place.get_or_init(|| Place::of(p.offer, config)))
            .collect();
        let slug = |index: usize| config.domains[index].slug.as_str();
        // On both cores.
        let (
            (by_domain, by_department, by_commune),
            (by_region, by_domain_department, communes_by_department),
        ) = rayon::join(
            || {
                (
                    group_by(&listed, &places, |p| p.domain.map(slug)),
                    group_by(&listed, &places, |p| Some(p.department?.code)),
                    group_by(&listed, &places, |p| Some(p.commune?.insee)),
                )
            },
            || {
                (
                    group_by(&listed, &places, |p| p.region),
                    group_by(&listed, &places, |p| {
                        Some((slug(p.domain?), p.department?.code))
                    }),
                    group_by(&listed, &places, |p| {
                        let commune = p.commune?;
                        Some((commune.department, commune.slug.as_str()))
                    }),
                )
            },
        );
        let linked_communes = prepared
            .iter()
            .filter_map(|p| p.offer.commune.as_deref())
            .filter_map(|insee| geo.commune(insee).map(|c| c.insee))
            .collect();
        Groups {
            listed,
            by_domain,
            by_department,
            by_commune,
            by_region,
            by_domain_department,
            communes_by_department,
            linked_communes,
        }
    }

    /// « 3 annonces » in a domain.
    pub(crate) fn count_of_domain(&self, slug: &str) -> String {
        count(self.by_domain.get(slug))
    }
}

/// « 3 annonces » in a group (none if it is not there).
pub(crate) fn count(group: Option<&Vec<&Prepared>>) -> String {
    french::count(group.map_or(0, Vec::len), "annonce", "annonces")
}

/// Groups listed offers by a key of their place, keeping their order (newest first).
fn group_by<'a, K: Ord + std::hash::Hash>(
    listed: &[&'a Prepared<'a>],
    places: &[Place],
    key: impl Fn(&Place) -> Option<K>,
) -> BTreeMap<K, Vec<&'a Prepared<'a>>> {
    // Hashed while filling (a look-up per offer), sorted once at the end.
    let mut groups: rustc_hash::FxHashMap<K, Vec<&'a Prepared<'a>>> = Default::default();
    for (prepared, place) in listed.iter().zip(places) {
        if let Some(k) = key(place) {
            groups.entry(k).or_default().push(prepared);
        }
    }
    groups.into_iter().collect()
}

/// Every file of the site, or with a `scope` only the files it names, the sitemap
/// and the open data.
pub fn plan<'a>(
    config: &'a SiteConfig,
    scope: Option<&'a Scope>,
    pages: &'a [ContentPage],
    prepared: &'a [Prepared<'a>],
    assets: &'a [(String, Vec<u8>)],
) -> Vec<Job<'a>> {
    let groups = Groups::new(config, prepared);
    let mut planner = Planner::new(config, scope);
    // Communes' listings and offers' pages are planned on the other core meanwhile,
    // then appended in this order (the sitemap lists URLs in plan order).
    let mut communes = Planner::new(config, scope);
    let mut offer_pages = Planner::new(config, scope);
    rayon::scope(|s| {
        s.spawn(|_| communes.communes(&groups));
        s.spawn(|_| offer_pages.offer_pages(prepared, &groups.listed));
        planner.home(&groups);
        planner.listing("/annonces/".into(), &groups.listed, || Listing {
            title: "Toutes les annonces".into(),
            intro: "Les annonces en cours, partout en France, les plus récentes d'abord.".into(),
            crumbs: vec![Link::home()],
            feed: Some("/annonces/atom.xml".into()),
            links: Vec::new(),
            empty: "Aucune annonce en cours pour le moment.".into(),
            near: None,
            alert: String::new(),
        });
        planner.domains(&groups);
        planner.domain_departments(&groups);
        planner.regions_and_departments(&groups);
    });
    planner.append(communes);
    planner.append(offer_pages);
    planner.fixed_pages(pages);

    // Machine-readable files
    planner.push_fixed("robots.txt", Output::Robots);
    for (path, output) in [
        ("donnees/annonces.json", Output::OpenDataJson),
        ("donnees/annonces.csv", Output::OpenDataCsv),
    ] {
        planner.jobs.push(Job {
            path: path.into(),
            output,
            offers: groups.listed.clone(),
        });
    }
    for (path, bytes) in assets {
        planner.push_fixed(path, Output::Asset(bytes));
    }
    for file in completion::files() {
        planner.push_fixed(&file.path, Output::Completion(file));
    }
    let sitemap = std::mem::take(&mut planner.sitemap);
    planner.jobs.extend(sitemap_jobs(sitemap));
    planner.jobs
}
