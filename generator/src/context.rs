//! What each template gets, as types: the pages' contexts are built from these
//! and serialised once for tera. This module imports nothing else of the crate,
//! so that the planner, the renderers and the forms all depend on it and it on
//! none of them.

use offers::validate::FieldError;
use serde::Serialize;
use serde_json::{Map, Value};

/// What every page has: its title, description, URL, breadcrumbs and whether
/// search engines may index it.
#[derive(Debug, Clone, Serialize)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    pub url: String,
    pub breadcrumbs: Vec<Link>,
    pub noindex: bool,
}

impl PageMeta {
    /// An indexed page under the home page.
    pub fn new(title: &str, description: &str, url: &str) -> Self {
        PageMeta {
            title: title.to_owned(),
            description: description.to_owned(),
            url: url.to_owned(),
            breadcrumbs: vec![Link::home()],
            noindex: false,
        }
    }

    pub fn noindex(self, noindex: bool) -> Self {
        PageMeta { noindex, ..self }
    }

    pub fn breadcrumbs(self, breadcrumbs: Vec<Link>) -> Self {
        PageMeta {
            breadcrumbs,
            ..self
        }
    }
}

/// A link of a navigation block or of the breadcrumbs, with the number of offers
/// behind it where it leads to a listing.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub label: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
}

impl Link {
    pub fn new(label: impl Into<String>, url: impl Into<String>) -> Self {
        Link {
            label: label.into(),
            url: url.into(),
            count: None,
        }
    }

    /// `count` as read (« 3 annonces »).
    pub fn counted(label: impl Into<String>, url: impl Into<String>, count: String) -> Self {
        Link {
            count: Some(count),
            ..Link::new(label, url)
        }
    }

    pub fn home() -> Self {
        Link::new("Accueil", "/")
    }
}

/// A titled block of links (a listing's « Par département », a region of the
/// departments' index, whose heading links to the region).
#[derive(Debug, Clone, Serialize)]
pub struct LinkGroup {
    pub heading: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub items: Vec<Link>,
}

impl LinkGroup {
    pub fn new(heading: impl Into<String>, items: Vec<Link>) -> Self {
        LinkGroup {
            heading: heading.into(),
            url: None,
            items,
        }
    }
}

/// How a listing page links to the others.
#[derive(Debug, Serialize)]
pub struct Pagination {
    /// An archived page (not the listing's front page).
    pub archived: bool,
    /// Newer offers.
    pub previous: Option<String>,
    /// Older offers.
    pub next: Option<String>,
    /// Pages left out between the last numbered one and the oldest.
    pub gap: bool,
    pub pages: Vec<PageLink>,
}

#[derive(Debug, Serialize)]
pub struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

/// What a listing page says besides its cards.
#[derive(Serialize)]
pub struct ListingBody<'a> {
    pub heading: &'a str,
    pub intro: &'a str,
    /// « 12 annonces », on the front page only.
    pub count: Option<&'a str>,
    pub feed: Option<&'a str>,
    pub links: &'a [LinkGroup],
    /// What it says with nothing listed.
    pub empty: &'a str,
    /// The distance search around the place (front page of a commune's or a
    /// department's listing).
    pub near: Option<&'a Link>,
    /// « Créer une alerte » for this listing: its scope as a search's query
    /// string (front page only).
    pub alert: Option<&'a str>,
    pub pagination: Pagination,
}

/// A page of a listing: `listing.html`.
#[derive(Serialize)]
pub struct ListingPage<'a> {
    pub page: PageMeta,
    pub listing: ListingBody<'a>,
    pub cards: Vec<&'a str>,
    /// The dates an archived page's offers were published in (« du … au … »).
    pub period: Option<String>,
}

/// A domain on the home page.
#[derive(Serialize)]
pub struct DomainCard {
    pub label: String,
    pub url: String,
    pub description: String,
    pub count: String,
}

#[derive(Serialize)]
pub struct Home {
    pub page: PageMeta,
    pub domains: Vec<DomainCard>,
    /// Offers listed in all.
    pub count: String,
    pub map: DepartmentMap,
}

/// A page of links in groups: the domains, the regions, the departments.
#[derive(Serialize)]
pub struct Index {
    pub page: PageMeta,
    pub heading: String,
    pub groups: Vec<LinkGroup>,
    /// The map of the departments (`/departements/`).
    pub map: Option<DepartmentMap>,
}

/// The figures of the map of France (`france_map.html`, drawn by
/// `scripts/department-map.py`): each department's link, accessible name and
/// shade, the legend of the shades, and the same figures as a table.
#[derive(Serialize)]
pub struct DepartmentMap {
    pub departments: std::collections::BTreeMap<&'static str, MapDepartment>,
    pub legend: Vec<MapShade>,
    pub table: Vec<Link>,
}

#[derive(Serialize)]
pub struct MapDepartment {
    pub url: String,
    /// « Finistère : 312 annonces ».
    pub label: String,
    pub shade: usize,
}

/// One shade of the map and what it stands for (« de 10 à 49 annonces »).
#[derive(Serialize)]
pub struct MapShade {
    pub shade: usize,
    pub label: String,
}

/// A page of the site's content folder (Markdown drawn to HTML).
#[derive(Serialize)]
pub struct Content {
    pub page: PageMeta,
    pub content: String,
}

/// A value of a search filter.
#[derive(Serialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A region's departments, for the department filter.
#[derive(Serialize)]
pub struct RegionChoices {
    pub label: String,
    pub code: String,
    pub departments: Vec<Choice>,
}

/// The search page's filters.
#[derive(Serialize)]
pub struct Search {
    pub page: PageMeta,
    pub domains: Vec<Choice>,
    pub regions: Vec<Choice>,
    pub departments: Vec<RegionChoices>,
    pub kinds: Vec<Choice>,
    pub engagements: Vec<Choice>,
    /// « Dans un rayon de »: kilometres, and the one chosen at first.
    pub radii: Vec<u32>,
    pub default_radius: u32,
}

/// What a form shows of a submission: the values as typed (field → text) and,
/// when it was refused, the first error of each field and all of them in order.
#[derive(Serialize, Default)]
pub struct Submitted {
    pub values: Map<String, Value>,
    pub errors: Map<String, Value>,
    pub error_list: Vec<FieldError>,
}

impl Submitted {
    pub fn new(values: &Map<String, Value>, errors: &[FieldError]) -> Self {
        let mut by_field = Map::new();
        for error in errors {
            // The first error of a field is the one shown beside it.
            by_field
                .entry(error.field)
                .or_insert_with(|| Value::String(error.message.clone()));
        }
        Submitted {
            values: values.clone(),
            errors: by_field,
            error_list: errors.to_vec(),
        }
    }
}

/// The posting form (and the management form, which adds its own fields).
#[derive(Serialize)]
pub struct PublishForm {
    pub page: PageMeta,
    /// `(value, label)` pairs.
    pub domain_options: Vec<(String, String)>,
    pub kind_options: [(&'static str, &'static str); 2],
    pub engagement_options: [(&'static str, &'static str); 2],
    pub author_kind_options: Vec<(&'static str, &'static str)>,
    #[serde(flatten)]
    pub submitted: Submitted,
}

/// A form of one field set (`/gerer/`).
#[derive(Serialize)]
pub struct Form {
    pub page: PageMeta,
    #[serde(flatten)]
    pub submitted: Submitted,
}

/// An offer's contact form drawn again with its errors.
#[derive(Serialize)]
pub struct ContactForm<'a, O: Serialize> {
    pub page: PageMeta,
    pub offer: &'a O,
    #[serde(flatten)]
    pub submitted: Submitted,
}

/// An offer's own page.
#[derive(Serialize)]
pub struct OfferPage<'a, O: Serialize> {
    pub page: PageMeta,
    pub offer: &'a O,
    /// Its contact form, empty.
    #[serde(flatten)]
    pub submitted: Submitted,
    /// Its schema.org description.
    pub json_ld: String,
}

/// An alert's page (`alert.html`): a new alert refused, or its private page.
#[derive(Serialize)]
pub struct AlertPage {
    pub page: PageMeta,
    pub paragraphs: Vec<String>,
    /// Its criteria in words.
    pub description: String,
    /// Where its form posts.
    pub action: String,
    /// The private page: criteria editable, pause, deletion.
    pub manage: bool,
    pub paused: bool,
    /// The search page showing the same offers.
    pub search_url: Option<String>,
    /// `(value, label)` pairs.
    pub frequencies: Vec<(&'static str, &'static str)>,
    /// The search's choices (private page only).
    pub choices: Option<Search>,
    #[serde(flatten)]
    pub submitted: Submitted,
}

/// A short page: a title, some paragraphs, an optional link onwards; with an
/// `action`, a page of one button that posts there.
#[derive(Serialize)]
pub struct Message {
    pub page: PageMeta,
    pub paragraphs: Vec<String>,
    pub link: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<String>,
}

/// A page the planner stores until it is drawn.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Page {
    Home(Home),
    Index(Index),
    Content(Content),
    Search(Search),
    Publish(PublishForm),
    Form(Form),
    Message(Message),
    /// A page with no context of its own (404).
    Bare {
        page: PageMeta,
    },
}

impl Page {
    pub fn meta(&self) -> &PageMeta {
        match self {
            Page::Home(Home { page, .. })
            | Page::Index(Index { page, .. })
            | Page::Content(Content { page, .. })
            | Page::Search(Search { page, .. })
            | Page::Publish(PublishForm { page, .. })
            | Page::Form(Form { page, .. })
            | Page::Message(Message { page, .. })
            | Page::Bare { page } => page,
        }
    }
}
