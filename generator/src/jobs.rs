//! Planning: the list of files a build produces, each with the small context it
//! needs and the offers it shows (listing pages get only their own page of offers).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use offers::Offer;
use offers::communes::{Commune, Department, geography};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::config::SiteConfig;
use crate::content::ContentPage;
use crate::french;
use crate::manifest::Files;
use crate::urls;
use crate::view::OfferView;

/// What is drawn once per version of an offer (its hash) and reused by every page
/// that shows it, and by later builds of a running site (`crate::live`).
#[derive(Default)]
pub struct Drawn {
    /// The offer's card in listings.
    pub card: OnceLock<String>,
    /// Its record in the open data, kept only by a running site (a one-off build
    /// would hold 150 MB of records at 100,000 offers for nothing).
    pub open_data_json: OnceLock<Vec<u8>>,
    pub open_data_csv: OnceLock<Vec<u8>>,
    /// Where it is listed.
    place: OnceLock<Place>,
    /// Its URL and last change date (for the sitemap, if listed).
    sitemap: OnceLock<(String, String)>,
}

/// An offer's hash and what was drawn from that version: what a build hands to
/// the next one.
pub type Known = (blake3::Hash, Arc<Drawn>);

/// An offer ready for planning: hashed once; its view is computed once, and only
/// if a page that shows it has to be drawn.
pub struct Prepared<'a> {
    pub offer: &'a Offer,
    /// Hash of the public fields and the status visitors see.
    pub hash: blake3::Hash,
    pub listed: bool,
    pub published: DateTime<Utc>,
    /// Boxed: most builds of a running site compute no view, and a build's
    /// 100,000 `Prepared` stay small.
    view: OnceLock<Box<OfferView>>,
    pub drawn: Arc<Drawn>,
}

impl<'a> Prepared<'a> {
    pub fn new(offer: &'a Offer, now: DateTime<Utc>) -> Self {
        Prepared::known(offer, now, (hash(offer, now), Arc::default()))
    }

    /// With the hash (and drawings) an earlier `new` computed for this version.
    pub fn known(offer: &'a Offer, now: DateTime<Utc>, (hash, drawn): Known) -> Self {
        Prepared {
            offer,
            hash,
            listed: offer.is_listed(now),
            published: offer.published.unwrap_or(offer.created),
            view: OnceLock::new(),
            drawn,
        }
    }

    pub fn to_known(&self) -> Known {
        (self.hash, Arc::clone(&self.drawn))
    }

    pub fn view(&self, config: &SiteConfig, now: DateTime<Utc>) -> &OfferView {
        self.view
            .get_or_init(|| Box::new(OfferView::new(self.offer, config, now)))
    }
}

/// Hash of an offer's public fields and of the status visitors see at `now`.
pub fn hash(offer: &Offer, now: DateTime<Utc>) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&serde_json::to_vec(&offer.public()).unwrap_or_default());
    hasher.update(offer.visible_status(now).as_str().as_bytes());
    hasher.finalize()
}

/// The URLs a partial build redraws: pages (offers, fixed pages) and listings with
/// all their pages and feed. Kept without their leading slash, the form of paths in
/// the output folder.
#[derive(Debug, Default)]
pub struct Scope(rustc_hash::FxHashSet<String>);

impl Scope {
    pub fn insert(&mut self, url: &str) {
        self.0.insert(url.trim_start_matches('/').to_owned());
    }

    fn wants(&self, url: &str) -> bool {
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
        let search = format!("{}/", crate::search::SEARCH_DIR);
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
    let search = crate::search::SEARCH_DIR;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Html(&'static str),
    /// An offer's own page, drawn from its view.
    OfferPage,
    Feed,
    Sitemap,
    SitemapIndex,
    Robots,
    OpenDataJson,
    OpenDataCsv,
    Asset(usize),
    /// A commune completion file (`crate::completion::files()[n]`): it changes only
    /// with the binary, which every page's input hash covers.
    Completion(usize),
}

pub struct Job<'a> {
    /// File path relative to the output folder.
    pub path: String,
    pub output: Output,
    /// The page's own small context.
    pub meta: Meta<'a>,
    pub offers: Vec<&'a Prepared<'a>>,
}

impl Job<'_> {
    /// The open data: big files drawn after the pages.
    pub fn is_export(&self) -> bool {
        matches!(self.output, Output::OpenDataJson | Output::OpenDataCsv)
    }

    /// Far longer to draw than a page: a sitemap part (up to 50,000 URLs).
    pub fn is_long(&self) -> bool {
        matches!(self.meta, Meta::Sitemap(_))
    }
}

/// A page of a listing. The front page shows the newest offers; older ones are
/// archived on pages numbered from the oldest, so that an archived page keeps its
/// offers while new ones arrive: a new offer redraws the front pages of its
/// listings, not every page of them (docs/design.md « Listings »).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingPart {
    Front,
    Archived(usize),
}

impl ListingPart {
    fn url(self, listing: &str) -> String {
        match self {
            ListingPart::Front => listing.to_owned(),
            ListingPart::Archived(number) => urls::page(listing, number),
        }
    }
}

/// How a listing of `count` offers, newest first, is cut into pages: each archived
/// page holds `page_size` offers, the front page the rest (up to twice as many).
#[derive(Debug, Clone, Copy)]
struct Layout {
    count: usize,
    page_size: usize,
    archived: usize,
}

impl Layout {
    fn new(count: usize, page_size: usize) -> Self {
        Layout {
            count,
            page_size,
            archived: (count / page_size).saturating_sub(1),
        }
    }

    /// The front page, then the archived pages from the newest.
    fn parts(self) -> impl Iterator<Item = ListingPart> {
        std::iter::once(ListingPart::Front)
            .chain((1..=self.archived).rev().map(ListingPart::Archived))
    }

    /// The positions (newest first) of the offers a page shows.
    fn range(self, part: ListingPart) -> std::ops::Range<usize> {
        match part {
            ListingPart::Front => 0..self.count - self.archived * self.page_size,
            ListingPart::Archived(number) => {
                self.count - number * self.page_size..self.count - (number - 1) * self.page_size
            }
        }
    }
}

/// What a listing's pages share: built and hashed once per listing.
pub struct ListingInfo {
    url: String,
    title: String,
    description: String,
    intro: String,
    count: String,
    crumbs: Vec<Value>,
    feed: Option<String>,
    links: Vec<Value>,
    empty: String,
    /// No offer listed: the page is kept for the links that lead to it, out of
    /// search engines.
    nothing_listed: bool,
    archived: usize,
    /// What the front page shows besides its offers.
    front_hash: blake3::Hash,
    /// What every archived page shows besides its offers and its links.
    archived_hash: blake3::Hash,
}

/// A job's own context. Listing pages keep only a shared summary and their page
/// number: their context is built only if the page has to be drawn.
pub enum Meta<'a> {
    Value(Value),
    ListingPage(Arc<ListingInfo>, ListingPart),
    /// A sitemap's URLs (160,000 at 100,000 offers: no JSON made of them).
    Sitemap(Vec<SitemapUrl<'a>>),
}

impl From<Value> for Meta<'_> {
    fn from(value: Value) -> Self {
        Meta::Value(value)
    }
}

impl Meta<'_> {
    /// Feeds the context into the job's input hash.
    pub fn hash_into(&self, hasher: &mut blake3::Hasher) {
        match self {
            Meta::Value(value) => {
                // Straight into the hasher: a sitemap part is megabytes of JSON.
                let _ = serde_json::to_writer(hasher, value);
            }
            Meta::ListingPage(info, ListingPart::Front) => {
                hasher.update(info.front_hash.as_bytes());
            }
            Meta::ListingPage(info, ListingPart::Archived(number)) => {
                hasher.update(info.archived_hash.as_bytes());
                hasher.update(&number.to_le_bytes());
                // How many pages there are changes its links only when it is one
                // of the two newest: the front page is then among its neighbours
                // (see `pagination`).
                hasher.update(&info.archived.min(number + 2).to_le_bytes());
            }
            Meta::Sitemap(urls) => {
                // One buffer, hashed at once: 50,000 URLs fed one by one cost the
                // hasher four small copies each.
                let mut bytes = Vec::with_capacity(urls.len() * 64);
                for url in urls {
                    let lastmod = url.lastmod.unwrap_or_default();
                    for piece in [url.url.as_bytes(), b"\0", lastmod.as_bytes(), b"\0"] {
                        bytes.extend_from_slice(piece);
                    }
                }
                hasher.update(&bytes);
            }
        }
    }

    /// The context a template gets (a sitemap is drawn without one).
    pub fn value(&self) -> Cow<'_, Value> {
        match self {
            Meta::Value(value) => Cow::Borrowed(value),
            Meta::Sitemap(_) => Cow::Owned(Value::Null),
            Meta::ListingPage(info, part) => {
                let url = part.url(&info.url);
                // The count and the links are on the front page only: an archived
                // page must not change with every offer published.
                let (title, description, count, links) = match *part {
                    ListingPart::Front => (
                        info.title.clone(),
                        info.description.clone(),
                        info.count.as_str().into(),
                        info.links.as_slice(),
                    ),
                    // Named by the dates it holds when drawn (see `render`).
                    ListingPart::Archived(_) => (
                        info.title.clone(),
                        format!("{}, annonces plus anciennes. {}", info.title, info.intro),
                        Value::Null,
                        &[][..],
                    ),
                };
                let listing = object([
                    ("heading", info.title.as_str().into()),
                    ("intro", info.intro.as_str().into()),
                    ("count", count),
                    ("feed", info.feed.as_deref().into()),
                    ("links", Value::Array(links.to_vec())),
                    ("empty", info.empty.as_str().into()),
                    ("pagination", pagination(&info.url, *part, info.archived)),
                ]);
                let page = page_meta(
                    &title,
                    &description,
                    &url,
                    info.crumbs.clone(),
                    info.nothing_listed,
                );
                Cow::Owned(object([("page", page), ("listing", listing)]))
            }
        }
    }
}

/// What one URL shows in the sitemap.
pub struct SitemapUrl<'a> {
    pub url: Cow<'a, str>,
    pub lastmod: Option<&'a str>,
}

pub const SITEMAP_LIMIT: usize = 50_000;
const HOME_LATEST: usize = 10;

struct Planner<'a> {
    config: &'a SiteConfig,
    /// `None`: every file.
    scope: Option<&'a Scope>,
    jobs: Vec<Job<'a>>,
    sitemap: Vec<SitemapUrl<'a>>,
}

pub(crate) fn crumb(label: &str, url: &str) -> Value {
    json!({ "label": label, "url": url })
}

pub(crate) fn page_meta(
    title: &str,
    description: &str,
    url: &str,
    crumbs: Vec<Value>,
    noindex: bool,
) -> Value {
    object([
        ("title", title.into()),
        ("description", description.into()),
        ("url", url.into()),
        ("breadcrumbs", Value::Array(crumbs)),
        ("noindex", noindex.into()),
    ])
}

/// A JSON object of values already built: `json!` would copy each of them once
/// more (it serialises every value it is given), for every page drawn.
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

/// Link to a page, for navigation blocks.
fn link(label: &str, url: &str) -> Value {
    json!({ "label": label, "url": url })
}

/// Link to a listing with its count, for navigation blocks.
fn counted_link(label: &str, url: &str, count: usize) -> Value {
    json!({ "label": label, "url": url, "count": french::count(count, "annonce", "annonces") })
}

/// How a listing's pages link to each other, in reading order (newest first).
/// The front page numbers its pages as a reader counts them (it is redrawn with
/// every change anyway): 1 for itself, then the newest archived pages and the
/// oldest. An archived page keeps its offers while new ones arrive, so it names
/// its neighbours in words only (« plus récentes », « plus anciennes ») and is
/// not redrawn when a page is added further on. `previous` leads to newer
/// offers, `next` to older ones.
fn pagination(base: &str, part: ListingPart, archived: usize) -> Value {
    let newer = match part {
        ListingPart::Front => None,
        ListingPart::Archived(number) if number == archived => Some(ListingPart::Front),
        ListingPart::Archived(number) => Some(ListingPart::Archived(number + 1)),
    };
    let older = match part {
        ListingPart::Front => (archived > 0).then_some(ListingPart::Archived(archived)),
        ListingPart::Archived(number) => (number > 1).then(|| ListingPart::Archived(number - 1)),
    };
    let link = |label: String, target: ListingPart, current: bool| {
        object([
            ("label", label.into()),
            ("url", target.url(base).into()),
            ("current", current.into()),
        ])
    };
    let pages: Vec<Value> = match part {
        ListingPart::Front => {
            // Reading position n (1: the front page) is archived page `archived + 2 - n`.
            let mut pages = vec![link("1".into(), ListingPart::Front, true)];
            let near = archived.min(FRONT_PAGE_LINKS);
            for position in 2..=near + 1 {
                pages.push(link(
                    position.to_string(),
                    ListingPart::Archived(archived + 2 - position),
                    false,
                ));
            }
            if archived > near {
                pages.push(link(
                    (archived + 1).to_string(),
                    ListingPart::Archived(1),
                    false,
                ));
            }
            pages
        }
        // The two ends, unless a neighbour link already leads there.
        ListingPart::Archived(number) => {
            let mut pages = Vec::new();
            if number < archived {
                pages.push(link("Les plus récentes".into(), ListingPart::Front, false));
            }
            if number > 2 {
                pages.push(link(
                    "Les plus anciennes".into(),
                    ListingPart::Archived(1),
                    false,
                ));
            }
            pages
        }
    };
    object([
        ("archived", matches!(part, ListingPart::Archived(_)).into()),
        ("previous", newer.map(|p| p.url(base)).into()),
        ("next", older.map(|p| p.url(base)).into()),
        (
            "gap",
            (matches!(part, ListingPart::Front) && archived > FRONT_PAGE_LINKS + 1).into(),
        ),
        ("pages", Value::Array(pages)),
    ])
}

/// Archived pages the front page links by number before the oldest one.
const FRONT_PAGE_LINKS: usize = 3;

/// What a listing says besides its offers.
pub struct Listing {
    pub title: String,
    pub intro: String,
    pub crumbs: Vec<Value>,
    pub feed: Option<String>,
    /// Navigation shown on the first page (e.g. a department's communes).
    pub links: Vec<(String, Vec<Value>)>,
    /// What the page says when nothing is listed (« Aucune annonce en cours à … »).
    pub empty: String,
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

    /// A listing per commune with listed offers, or with a public offer whose
    /// page links to it (a filled offer keeps its page a while: its commune says
    /// there is nothing left there, instead of a 404).
    fn communes(
        &mut self,
        by_commune: &BTreeMap<&str, Vec<&'a Prepared<'a>>>,
        linked: &BTreeSet<&'static str>,
    ) {
        let geo = geography();
        let all = by_commune.keys().copied().chain(linked.iter().copied());
        for insee in all.collect::<BTreeSet<_>>() {
            let Some(commune) = geo.commune(insee) else {
                continue;
            };
            let members = by_commune.get(insee).map(Vec::as_slice).unwrap_or_default();
            self.listing(urls::commune(commune), members, || {
                let mut crumbs = vec![home_crumb()];
                let department = geo.department(commune.department);
                let mut around = Vec::new();
                if let Some(department) = department {
                    let label = format!("{} ({})", department.name, department.code);
                    crumbs.push(crumb(&label, &urls::department(department)));
                    around.push(link(
                        &format!("Le département {label}"),
                        &urls::department(department),
                    ));
                    if let Some(region) = geo.region(department.region) {
                        around.push(link(
                            &format!("La région {}", region.name),
                            &urls::region(region),
                        ));
                    }
                }
                Listing {
                    title: format!("{} ({})", commune.name, commune.department),
                    intro: format!("Les annonces d'entraide à {}.", commune.name),
                    crumbs,
                    feed: Some(format!("{}atom.xml", urls::commune(commune))),
                    links: vec![("Autour de cette commune".into(), around)],
                    empty: format!("Aucune annonce en cours à {}.", commune.name),
                }
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

    fn wants(&self, url: &str) -> bool {
        self.scope.is_none_or(|scope| scope.wants(url))
    }

    /// Files that depend on the config alone: only a full build draws them.
    fn push_fixed(&mut self, job: Job<'a>) {
        if self.scope.is_none() {
            self.jobs.push(job);
        }
    }

    fn html(
        &mut self,
        url: &str,
        template: &'static str,
        meta: Value,
        offers: Vec<&'a Prepared<'a>>,
    ) {
        let indexed = !meta
            .pointer("/page/noindex")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if indexed {
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
            output: Output::Html(template),
            meta: meta.into(),
            offers,
        });
    }

    /// A listing's pages and feed; what it says (`describe`) is built only if the
    /// listing is drawn.
    fn listing(
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
        let count = french::count(offers.len(), "annonce", "annonces");
        let links: Vec<Value> = listing
            .links
            .iter()
            .map(|(heading, items)| json!({ "heading": heading, "items": items }))
            .collect();
        let hash = |summary: Value| blake3::hash(&serde_json::to_vec(&summary).unwrap_or_default());
        let archived_hash = hash(json!([
            url,
            listing.title,
            listing.intro,
            listing.crumbs,
            listing.feed
        ]));
        let description = format!("{} : {count}. {}", listing.title, listing.intro);
        let front_hash = hash(json!([
            archived_hash.as_bytes(),
            description,
            count,
            links,
            listing.empty,
            layout.archived
        ]));
        let info = Arc::new(ListingInfo {
            description,
            url: url.clone(),
            title: listing.title.clone(),
            intro: listing.intro,
            count,
            crumbs: listing.crumbs,
            feed: listing.feed.clone(),
            links,
            empty: listing.empty,
            nothing_listed: offers.is_empty(),
            archived: layout.archived,
            front_hash,
            archived_hash,
        });
        for part in layout.parts() {
            self.jobs.push(Job {
                path: urls::file_of(&part.url(&url)),
                output: Output::Html("listing.html"),
                meta: Meta::ListingPage(Arc::clone(&info), part),
                offers: offers[layout.range(part)].to_vec(),
            });
        }
        if let Some(feed) = listing.feed {
            let newest = offers.iter().take(self.config.feed_size).copied().collect();
            let meta = json!({ "title": listing.title, "url": feed, "alternate": url });
            self.jobs.push(Job {
                path: urls::file_of(&feed),
                output: Output::Feed,
                meta: meta.into(),
                offers: newest,
            });
        }
    }
}

pub(crate) fn home_crumb() -> Value {
    crumb("Accueil", "/")
}

fn count_in<K: Ord>(groups: &BTreeMap<K, Vec<&Prepared>>, key: &K) -> usize {
    groups.get(key).map_or(0, Vec::len)
}

/// Where a listed offer is listed. Found once per version of an offer, in one
/// pass on every core: each look-up reads the offer's fields, scattered in
/// memory, and grouping then reads these small keys only.
#[derive(Clone, Copy)]
pub(crate) struct Place {
    /// The domain's position in the site's list, if the site has that domain.
    domain: Option<usize>,
    department: Option<&'static Department>,
    region: Option<&'static str>,
    commune: Option<&'static Commune>,
}

impl Place {
    pub(crate) fn of(offer: &Offer, config: &SiteConfig) -> Place {
        let geo = geography();
        let department = offer
            .department_code()
            .and_then(|code| geo.department(code));
        Place {
            domain: config.domains.iter().position(|d| d.slug == offer.domain),
            department,
            region: department
                .and_then(|d| geo.region(d.region))
                .map(|r| r.code),
            commune: offer.commune.as_deref().and_then(|code| geo.commune(code)),
        }
    }

    pub(crate) fn commune(&self) -> Option<&'static Commune> {
        self.commune
    }

    /// The listings an offer of this place is in besides all offers: those `plan`
    /// groups it into.
    pub(crate) fn listings(&self, config: &SiteConfig) -> Vec<String> {
        let domain = self.domain.map(|index| config.domains[index].slug.as_str());
        let region = self.region.and_then(|code| geography().region(code));
        [
            domain.map(urls::domain),
            self.department.map(urls::department),
            domain
                .zip(self.department)
                .map(|(domain, department)| urls::domain_department(domain, department)),
            region.map(urls::region),
            self.commune.map(urls::commune),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
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
    publish: Value,
    pages: &'a [ContentPage],
    prepared: &'a [Prepared<'a>],
    assets: &[String],
) -> Vec<Job<'a>> {
    let geo = geography();
    let mut planner = Planner::new(config, scope);
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
    // The groups, on both cores.
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
    // Communes that a public offer's page links to, listed or not.
    let linked_communes: BTreeSet<&'static str> = prepared
        .iter()
        .filter_map(|p| p.offer.commune.as_deref())
        .filter_map(|insee| geo.commune(insee).map(|c| c.insee))
        .collect();
    let department_link = |d: &offers::communes::Department| {
        counted_link(
            &format!("{} ({})", d.name, d.code),
            &urls::department(d),
            count_in(&by_department, &d.code),
        )
    };
    let departments_of = |region: &offers::communes::Region| -> Vec<Value> {
        geo.departments()
            .iter()
            .filter(|d| d.region == region.code)
            .map(department_link)
            .collect()
    };

    // Communes' listings and offers' pages are planned on the other core meanwhile,
    // then appended in this order (the sitemap lists URLs in plan order).
    let mut communes = Planner::new(config, scope);
    let mut offer_pages = Planner::new(config, scope);
    rayon::scope(|s| {
        s.spawn(|_| communes.communes(&by_commune, &linked_communes));
        s.spawn(|_| offer_pages.offer_pages(prepared, &listed));
        // Home
        let domain_cards: Vec<Value> = config
            .domains
            .iter()
            .map(|d| {
                json!({ "label": d.label, "url": urls::domain(&d.slug), "description": d.description,
                        "count": french::count(count_in(&by_domain, &d.slug.as_str()), "annonce", "annonces") })
            })
            .collect();
        let home = json!({
            "page": page_meta(&config.name, &config.description, "/", Vec::new(), false),
            "domains": domain_cards,
            "count": french::count(listed.len(), "annonce", "annonces"),
        });
        planner.html(
            "/",
            "home.html",
            home,
            listed.iter().take(HOME_LATEST).copied().collect(),
        );

        // Every listing
        planner.listing("/annonces/".into(), &listed, || Listing {
            title: "Toutes les annonces".into(),
            intro: "Les annonces en cours, partout en France, les plus récentes d'abord.".into(),
            crumbs: vec![home_crumb()],
            feed: Some("/annonces/atom.xml".into()),
            links: Vec::new(),
            empty: "Aucune annonce en cours pour le moment.".into(),
        });

        let domain_index: Vec<Value> = config
            .domains
            .iter()
            .map(|d| {
                counted_link(
                    &d.label,
                    &urls::domain(&d.slug),
                    count_in(&by_domain, &d.slug.as_str()),
                )
            })
            .collect();
        let meta = json!({
            "page": page_meta("Les domaines", "Toutes les annonces d'entraide, domaine par domaine.", "/domaines/", vec![home_crumb()], false),
            "heading": "Les domaines", "groups": [{ "heading": "", "items": domain_index }],
        });
        planner.html("/domaines/", "index.html", meta, Vec::new());
        for domain in &config.domains {
            let members = by_domain
                .get(domain.slug.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            planner.listing(urls::domain(&domain.slug), members, || {
                let departments = by_domain_department
                    .iter()
                    .filter(|((d, _), _)| *d == domain.slug.as_str())
                    .filter_map(|((_, code), offers)| {
                        let department = geo.department(code)?;
                        Some(counted_link(
                            &format!("{} ({})", department.name, department.code),
                            &urls::domain_department(&domain.slug, department),
                            offers.len(),
                        ))
                    })
                    .collect();
                Listing {
                    title: format!("Domaine {}", domain.label.to_lowercase()),
                    intro: domain.description.clone(),
                    crumbs: vec![home_crumb(), crumb("Domaines", "/domaines/")],
                    feed: Some(format!("{}atom.xml", urls::domain(&domain.slug))),
                    links: vec![("Par département".into(), departments)],
                    empty: format!(
                        "Aucune annonce en cours dans le domaine « {} ».",
                        domain.label
                    ),
                }
            });
        }
        // Every domain in every department, with offers or not: neighbouring
        // departments link to each other's page without knowing what it holds.
        let inhabited: BTreeSet<&str> = geo.communes().iter().map(|c| c.department).collect();
        for domain in &config.domains {
            for department in geo
                .departments()
                .iter()
                .filter(|d| inhabited.contains(d.code))
            {
                let members = by_domain_department
                    .get(&(domain.slug.as_str(), department.code))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let url = urls::domain_department(&domain.slug, department);
                planner.listing(url, members, || {
                    let neighbours = department
                        .neighbours
                        .iter()
                        .filter_map(|code| geo.department(code))
                        .map(|d| {
                            link(
                                &format!("{} ({})", d.name, d.code),
                                &urls::domain_department(&domain.slug, d),
                            )
                        })
                        .collect();
                    let mut wider = vec![link(
                        &format!("Tout le domaine « {} »", domain.label),
                        &urls::domain(&domain.slug),
                    )];
                    if let Some(region) = geo.region(department.region) {
                        wider.push(link(
                            &format!("{} dans la région {}", domain.label, region.name),
                            &format!("/recherche/?domaine={}&region={}", domain.slug, region.code),
                        ));
                        wider.push(link(
                            &format!("Tous les domaines dans la région {}", region.name),
                            &urls::region(region),
                        ));
                    }
                    Listing {
                        title: format!(
                            "{} – {} ({})",
                            domain.label, department.name, department.code
                        ),
                        intro: format!(
                            "Les annonces du domaine {} dans le département {}.",
                            domain.label.to_lowercase(),
                            department.name
                        ),
                        crumbs: vec![
                            home_crumb(),
                            crumb(&domain.label, &urls::domain(&domain.slug)),
                        ],
                        feed: None,
                        links: vec![
                            ("Dans les départements voisins".into(), neighbours),
                            ("Plus large".into(), wider),
                        ],
                        empty: format!(
                            "Aucune annonce du domaine « {} » en cours dans le département {} ({}).",
                            domain.label,
                            department.name,
                            department.code
                        ),
                    }
                });
            }
        }

        // Regions and departments
        let mut region_groups = Vec::new();
        for region in geo.regions_in_reading_order() {
            let departments = departments_of(region);
            region_groups.push(
                json!({ "heading": region.name, "url": urls::region(region), "items": departments }),
            );
        }
        let outside: Vec<Value> = geo
            .departments()
            .iter()
            .filter(|d| geo.region(d.region).is_none())
            .map(department_link)
            .collect();
        region_groups.push(json!({ "heading": "Collectivités d'outre-mer", "items": outside }));
        let meta = json!({
            "page": page_meta("Les départements", "Les annonces d'entraide de chaque département, région par région.", "/departements/", vec![home_crumb()], false),
            "heading": "Les départements", "groups": region_groups,
        });
        planner.html("/departements/", "index.html", meta, Vec::new());
        let regions: Vec<Value> = geo
            .regions_in_reading_order()
            .into_iter()
            .map(|r| counted_link(r.name, &urls::region(r), count_in(&by_region, &r.code)))
            .collect();
        let meta = json!({
            "page": page_meta("Les régions", "Les annonces d'entraide de chaque région.", "/regions/", vec![home_crumb()], false),
            "heading": "Les régions", "groups": [{ "heading": "", "items": regions }],
        });
        planner.html("/regions/", "index.html", meta, Vec::new());

        for region in geo.regions() {
            let members = by_region
                .get(region.code)
                .map(Vec::as_slice)
                .unwrap_or_default();
            planner.listing(urls::region(region), members, || Listing {
                title: format!("Région {}", region.name),
                intro: format!("Les annonces d'entraide dans la région {}.", region.name),
                crumbs: vec![home_crumb(), crumb("Régions", "/regions/")],
                feed: None,
                links: vec![("Par département".into(), departments_of(region))],
                empty: format!("Aucune annonce en cours dans la région {}.", region.name),
            });
        }
        for department in geo.departments() {
            let members = by_department
                .get(department.code)
                .map(Vec::as_slice)
                .unwrap_or_default();
            planner.listing(urls::department(department), members, || {
                let mut crumbs = vec![home_crumb(), crumb("Départements", "/departements/")];
                if let Some(region) = geo.region(department.region) {
                    crumbs.push(crumb(region.name, &urls::region(region)));
                }
                let domains = config
                    .domains
                    .iter()
                    .filter_map(|d| {
                        let count = by_domain_department
                            .get(&(d.slug.as_str(), department.code))?
                            .len();
                        Some(counted_link(
                            &d.label,
                            &urls::domain_department(&d.slug, department),
                            count,
                        ))
                    })
                    .collect();
                let communes = communes_by_department
                    .range((department.code, "")..)
                    .take_while(|((code, _), _)| *code == department.code)
                    .filter_map(|((_, slug), offers)| {
                        let commune = geo.commune_by_slug(slug)?;
                        Some(counted_link(
                            commune.name,
                            &urls::commune(commune),
                            offers.len(),
                        ))
                    })
                    .collect();
                // Without counts: a neighbour's offers do not redraw this page.
                let neighbours = department
                    .neighbours
                    .iter()
                    .filter_map(|code| geo.department(code))
                    .map(|d| link(&format!("{} ({})", d.name, d.code), &urls::department(d)))
                    .collect();
                Listing {
                    title: format!("{} ({})", department.name, department.code),
                    intro: format!(
                        "Les annonces d'entraide dans le département {} ({}).",
                        department.name, department.code
                    ),
                    crumbs,
                    feed: Some(format!("{}atom.xml", urls::department(department))),
                    links: vec![
                        ("Par domaine".into(), domains),
                        ("Par commune".into(), communes),
                        ("Départements voisins".into(), neighbours),
                    ],
                    empty: format!(
                        "Aucune annonce en cours dans le département {} ({}).",
                        department.name, department.code
                    ),
                }
            });
        }
    });
    planner.append(communes);
    planner.append(offer_pages);

    // Fixed pages
    planner.html("/publier/", "publish.html", publish, Vec::new());
    planner.html(
        "/recherche/",
        "search.html",
        search_context(config),
        Vec::new(),
    );
    planner.html(
        "/gerer/",
        "links.html",
        crate::forms::links_context(&serde_json::Map::new(), &[]),
        Vec::new(),
    );
    for (url, context) in [
        ("/gerer/merci/", crate::forms::links_sent_context()),
        ("/publier/merci/", crate::forms::sent_context()),
        ("/contact/merci/", crate::forms::contact_sent_context()),
        ("/signalement/merci/", crate::forms::report_sent_context()),
    ] {
        planner.html(url, "message.html", context, Vec::new());
    }
    for page in pages {
        let url = format!("/{}/", page.slug);
        let meta = json!({ "page": page_meta(&page.title, &page.description, &url, vec![home_crumb()], false), "content": page.html });
        planner.html(&url, "page.html", meta, Vec::new());
    }
    let not_found = json!({ "page": page_meta("Page introuvable", "Cette page n'existe pas ou plus.", "/404.html", vec![home_crumb()], true) });
    planner.push_fixed(Job {
        path: "404.html".into(),
        output: Output::Html("404.html"),
        meta: not_found.into(),
        offers: Vec::new(),
    });

    // Machine-readable files
    planner.push_fixed(Job {
        path: "robots.txt".into(),
        output: Output::Robots,
        meta: Value::Null.into(),
        offers: Vec::new(),
    });
    planner.jobs.push(Job {
        path: "donnees/annonces.json".into(),
        output: Output::OpenDataJson,
        meta: Value::Null.into(),
        offers: listed.clone(),
    });
    planner.jobs.push(Job {
        path: "donnees/annonces.csv".into(),
        output: Output::OpenDataCsv,
        meta: Value::Null.into(),
        offers: listed,
    });
    for (index, path) in assets.iter().enumerate() {
        planner.push_fixed(Job {
            path: path.clone(),
            output: Output::Asset(index),
            meta: Value::Null.into(),
            offers: Vec::new(),
        });
    }
    for (index, file) in crate::completion::files().iter().enumerate() {
        planner.push_fixed(Job {
            path: file.path.clone(),
            output: Output::Completion(index),
            meta: Value::Null.into(),
            offers: Vec::new(),
        });
    }
    let sitemap = std::mem::take(&mut planner.sitemap);
    planner.jobs.extend(sitemap_jobs(sitemap));
    planner.jobs
}

/// The search page: its filters, and the browsing links shown without JavaScript
/// (without counts, so that the page changes only with the site's config).
fn search_context(config: &SiteConfig) -> Value {
    let geo = geography();
    let departments: Vec<Value> = geo
        .regions_in_reading_order()
        .into_iter()
        .map(|region| {
            let members: Vec<Value> = geo
                .departments()
                .iter()
                .filter(|d| d.region == region.code)
                .map(|d| json!({ "code": d.code, "label": format!("{} ({})", d.name, d.code) }))
                .collect();
            json!({ "label": region.name, "code": region.code, "departments": members })
        })
        .collect();
    let regions: Vec<Value> = geo
        .regions_in_reading_order()
        .into_iter()
        .map(|r| json!({ "code": r.code, "label": r.name, "url": urls::region(r) }))
        .collect();
    let domains: Vec<Value> = config
        .domains
        .iter()
        .map(|d| json!({ "code": d.slug, "label": d.label, "url": urls::domain(&d.slug) }))
        .collect();
    let choices = |values: Vec<(&str, &str)>| -> Vec<Value> {
        values
            .into_iter()
            .map(|(code, label)| json!({ "code": code, "label": label }))
            .collect()
    };
    // Named from the visitor's side: whom they will find.
    let kinds = choices(vec![
        (
            offers::Kind::Request.as_str(),
            "Des structures ou des personnes qui cherchent de l'aide",
        ),
        (
            offers::Kind::Offer.as_str(),
            "Des personnes ou des structures qui proposent leur aide",
        ),
    ]);
    let engagements = choices(
        offers::Engagement::ALL
            .iter()
            .map(|e| (e.as_str(), e.label()))
            .collect(),
    );
    json!({
        "page": page_meta("Rechercher une annonce", "Chercher parmi toutes les annonces d'entraide, par mots-clés, domaine, lieu et type d'engagement.", "/recherche/", vec![home_crumb()], false),
        "domains": domains,
        "regions": regions,
        "departments": departments,
        "kinds": kinds,
        "engagements": engagements,
    })
}

/// An offer's own page: it needs that offer alone, so it can be drawn before the
/// other offers are read.
pub fn offer_page<'a>(prepared: &'a Prepared<'a>) -> Job<'a> {
    Job {
        path: urls::file_of(&urls::offer(prepared.offer.id)),
        output: Output::OfferPage,
        meta: Value::Null.into(),
        offers: vec![prepared],
    }
}

/// `sitemap.xml`, or past the protocol's 50,000 URLs an index of `sitemap-N.xml` parts.
fn sitemap_jobs(mut urls: Vec<SitemapUrl<'_>>) -> Vec<Job<'_>> {
    let job = |path: String, output, meta| Job {
        path,
        output,
        meta,
        offers: Vec::new(),
    };
    if urls.len() <= SITEMAP_LIMIT {
        return vec![job(
            "sitemap.xml".into(),
            Output::Sitemap,
            Meta::Sitemap(urls),
        )];
    }
    let mut jobs = Vec::new();
    while !urls.is_empty() {
        let rest = urls.split_off(urls.len().min(SITEMAP_LIMIT));
        let path = format!("sitemap-{}.xml", jobs.len() + 1);
        jobs.push(job(path, Output::Sitemap, Meta::Sitemap(urls)));
        urls = rest;
    }
    let names: Vec<String> = jobs.iter().map(|j| j.path.clone()).collect();
    jobs.push(job(
        "sitemap.xml".into(),
        Output::SitemapIndex,
        Meta::Value(json!(names)),
    ));
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_sitemaps_become_an_index_of_parts() {
        let urls = |count| -> Vec<SitemapUrl> {
            (0..count)
                .map(|n| SitemapUrl {
                    url: format!("/annonces/{n}/").into(),
                    lastmod: None,
                })
                .collect()
        };
        let jobs = sitemap_jobs(urls(120_001));
        let length = |job: &Job| match &job.meta {
            Meta::Sitemap(urls) => urls.len(),
            _ => 0,
        };
        let paths: Vec<&str> = jobs.iter().map(|j| j.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml",
                "sitemap.xml"
            ]
        );
        assert_eq!(length(&jobs[0]), SITEMAP_LIMIT);
        assert_eq!(length(&jobs[2]), 20_001);
        assert_eq!(jobs[3].output, Output::SitemapIndex);
        let small = sitemap_jobs(urls(10));
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].output, Output::Sitemap);
    }

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

    #[test]
    fn archived_pages_keep_their_offers_when_a_new_one_arrives() {
        // A page's offers as positions counted from the oldest.
        let from_oldest = |layout: Layout, part| {
            let range = layout.range(part);
            layout.count - range.end..layout.count - range.start
        };
        for count in 0..60 {
            let before = Layout::new(count, 5);
            let shown: Vec<usize> = before.parts().flat_map(|p| before.range(p)).collect();
            assert_eq!(shown, (0..count).collect::<Vec<_>>(), "{count}");
            let front = before.range(ListingPart::Front).len();
            assert!((count.min(5)..10).contains(&front), "{count}: {front}");
            let after = Layout::new(count + 1, 5);
            assert!(after.archived >= before.archived);
            for number in 1..=before.archived {
                let part = ListingPart::Archived(number);
                assert_eq!(from_oldest(before, part), from_oldest(after, part));
            }
        }
    }

    #[test]
    fn pagination_reads_from_the_newest_and_archived_pages_name_no_number() {
        let labels = |part| -> Vec<String> {
            pagination("/annonces/", part, 40)["pages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["label"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(labels(ListingPart::Front), ["1", "2", "3", "4", "41"]);
        let urls: Vec<String> = pagination("/annonces/", ListingPart::Front, 40)["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["url"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            urls,
            [
                "/annonces/",
                "/annonces/page/40/",
                "/annonces/page/39/",
                "/annonces/page/38/",
                "/annonces/page/1/"
            ],
            "the archive's URLs stay as they are"
        );
        assert_eq!(
            labels(ListingPart::Archived(20)),
            ["Les plus récentes", "Les plus anciennes"]
        );
        let none: [&str; 0] = [];
        assert_eq!(labels(ListingPart::Archived(2)), ["Les plus récentes"]);
        assert_eq!(labels(ListingPart::Archived(40)), ["Les plus anciennes"]);
        assert_eq!(labels(ListingPart::Archived(1)), ["Les plus récentes"]);
        assert_eq!(
            pagination("/annonces/", ListingPart::Archived(1), 1)["pages"]
                .as_array()
                .unwrap()
                .len(),
            none.len()
        );
        let links = |part| {
            let value = pagination("/annonces/", part, 40);
            (value["previous"].clone(), value["next"].clone())
        };
        assert_eq!(
            links(ListingPart::Front),
            (Value::Null, "/annonces/page/40/".into())
        );
        assert_eq!(
            links(ListingPart::Archived(40)),
            ("/annonces/".into(), "/annonces/page/39/".into())
        );
        assert_eq!(
            links(ListingPart::Archived(1)),
            ("/annonces/page/2/".into(), Value::Null)
        );
        let single = pagination("/annonces/", ListingPart::Front, 0);
        assert_eq!(single["pages"].as_array().unwrap().len(), 1);
        let short = pagination("/annonces/", ListingPart::Front, 2);
        let short: Vec<&str> = short["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["label"].as_str().unwrap())
            .collect();
        assert_eq!(short, ["1", "2", "3"]);
    }
}
