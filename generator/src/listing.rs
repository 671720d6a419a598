//! Listings: how a listing's offers are cut into pages, what its pages say and
//! how they link to each other.

use serde::Serialize;

use crate::context::{Link, LinkGroup, ListingBody, ListingPage, PageLink, PageMeta, Pagination};
use crate::{french, urls};

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
    pub fn url(self, listing: &str) -> String {
        match self {
            ListingPart::Front => listing.to_owned(),
            ListingPart::Archived(number) => urls::page(listing, number),
        }
    }
}

/// How a listing of `count` offers, newest first, is cut into pages: each archived
/// page holds `page_size` offers, the front page the rest (up to twice as many).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    count: usize,
    page_size: usize,
    pub(crate) archived: usize,
}

impl Layout {
    pub(crate) fn new(count: usize, page_size: usize) -> Self {
        Layout {
            count,
            page_size,
            archived: (count / page_size).saturating_sub(1),
        }
    }

    /// The front page, then the archived pages from the newest.
    pub(crate) fn parts(self) -> impl Iterator<Item = ListingPart> {
        std::iter::once(ListingPart::Front)
            .chain((1..=self.archived).rev().map(ListingPart::Archived))
    }

    /// The positions (newest first) of the offers a page shows.
    pub(crate) fn range(self, part: ListingPart) -> std::ops::Range<usize> {
        match part {
            ListingPart::Front => 0..self.count - self.archived * self.page_size,
            ListingPart::Archived(number) => {
                self.count - number * self.page_size..self.count - (number - 1) * self.page_size
            }
        }
    }
}

/// What a listing says besides its offers.
pub struct Listing {
    pub title: String,
    pub intro: String,
    pub crumbs: Vec<Link>,
    pub feed: Option<String>,
    /// Navigation shown on the front page (e.g. a department's communes).
    pub links: Vec<LinkGroup>,
    /// What the page says when nothing is listed (« Aucune annonce en cours à … »).
    pub empty: String,
    /// The distance search around the place, on the front page.
    pub near: Option<Link>,
    /// The listing's scope as a search's query string (`domaine=sante`): what
    /// « Créer une alerte » saves, on the front page.
    pub alert: String,
}

/// What a listing's pages share: built and hashed once per listing.
pub struct ListingInfo {
    pub(crate) url: String,
    title: String,
    description: String,
    intro: String,
    count: String,
    crumbs: Vec<Link>,
    pub(crate) feed: Option<String>,
    links: Vec<LinkGroup>,
    empty: String,
    near: Option<Link>,
    alert: String,
    /// No offer listed: the page is kept for the links that lead to it, out of
    /// search engines.
    nothing_listed: bool,
    archived: usize,
    /// What the front page shows besides its offers.
    front_hash: blake3::Hash,
    /// What every archived page shows besides its offers and its links.
    archived_hash: blake3::Hash,
}

/// The hash of what a page shows, fed as JSON.
fn hash_of(summary: &impl Serialize) -> blake3::Hash {
    blake3::hash(&serde_json::to_vec(summary).unwrap_or_default())
}

impl ListingInfo {
    pub fn new(url: String, listing: Listing, offers: usize, layout: Layout) -> Self {
        let count = french::count(offers, "annonce", "annonces");
        let archived_hash = hash_of(&(
            &url,
            &listing.title,
            &listing.intro,
            &listing.crumbs,
            &listing.feed,
        ));
        let description = format!("{} : {count}. {}", listing.title, listing.intro);
        let front_hash = hash_of(&(
            archived_hash.as_bytes(),
            &description,
            &count,
            &listing.links,
            &listing.empty,
            &listing.near,
            &listing.alert,
            layout.archived,
        ));
        ListingInfo {
            url,
            title: listing.title,
            description,
            intro: listing.intro,
            count,
            crumbs: listing.crumbs,
            feed: listing.feed,
            links: listing.links,
            empty: listing.empty,
            near: listing.near,
            alert: listing.alert,
            nothing_listed: offers == 0,
            archived: layout.archived,
            front_hash,
            archived_hash,
        }
    }

    /// Feeds what a page of the listing shows, its offers aside, into its hash.
    pub fn hash_into(&self, part: ListingPart, hasher: &mut blake3::Hasher) {
        match part {
            ListingPart::Front => {
                hasher.update(self.front_hash.as_bytes());
            }
            ListingPart::Archived(number) => {
                hasher.update(self.archived_hash.as_bytes());
                hasher.update(&number.to_le_bytes());
                // How many pages there are changes its links only when it is one
                // of the two newest: the front page is then among its neighbours
                // (see `pagination`).
                hasher.update(&self.archived.min(number + 2).to_le_bytes());
            }
        }
    }

    /// A page's context; `period` names an archived page by the dates it holds.
    pub fn page<'a>(
        &'a self,
        part: ListingPart,
        cards: Vec<&'a str>,
        period: Option<String>,
    ) -> ListingPage<'a> {
        // The count and the links are on the front page only: an archived page
        // must not change with every offer published.
        let (title, description, count, links, near, alert) = match (part, &period) {
            (ListingPart::Front, _) => (
                self.title.clone(),
                self.description.clone(),
                Some(self.count.as_str()),
                self.links.as_slice(),
                self.near.as_ref(),
                Some(self.alert.as_str()),
            ),
            (ListingPart::Archived(_), period) => (
                match period {
                    Some(period) => format!("{} – publiées {period}", self.title),
                    None => self.title.clone(),
                },
                format!("{}, annonces plus anciennes. {}", self.title, self.intro),
                None,
                &[][..],
                None,
                None,
            ),
        };
        ListingPage {
            page: PageMeta {
                title,
                description,
                url: part.url(&self.url),
                breadcrumbs: self.crumbs.clone(),
                noindex: self.nothing_listed,
            },
            listing: ListingBody {
                heading: &self.title,
                intro: &self.intro,
                count,
                feed: self.feed.as_deref(),
                links,
                empty: &self.empty,
                near,
                alert,
                pagination: pagination(&self.url, part, self.archived),
            },
            cards,
            period,
        }
    }
}

/// How a listing's pages link to each other, in reading order (newest first).
/// The front page numbers its pages as a reader counts them (it is redrawn with
/// every change anyway): 1 for itself, then the newest archived pages and the
/// oldest. An archived page keeps its offers while new ones arrive, so it names
/// its neighbours in words only (« plus récentes », « plus anciennes ») and is
/// not redrawn when a page is added further on. `previous` leads to newer
/// offers, `next` to older ones.
fn pagination(base: &str, part: ListingPart, archived: usize) -> Pagination {
    let newer = match part {
        ListingPart::Front => None,
        ListingPart::Archived(number) if number == archived => Some(ListingPart::Front),
        ListingPart::Archived(number) => Some(ListingPart::Archived(number + 1)),
    };
    let older = match part {
        ListingPart::Front => (archived > 0).then_some(ListingPart::Archived(archived)),
        ListingPart::Archived(number) => (number > 1).then(|| ListingPart::Archived(number - 1)),
    };
    let link = |label: String, target: ListingPart, current: bool| PageLink {
        label,
        url: target.url(base),
        current,
    };
    let pages = match part {
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
    Pagination {
        archived: matches!(part, ListingPart::Archived(_)),
        previous: newer.map(|p| p.url(base)),
        next: older.map(|p| p.url(base)),
        gap: matches!(part, ListingPart::Front) && archived > FRONT_PAGE_LINKS + 1,
        pages,
    }
}

/// Archived pages the front page links by number before the oldest one.
const FRONT_PAGE_LINKS: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

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
        let labels = |part, archived| -> Vec<String> {
            pagination("/annonces/", part, archived)
                .pages
                .into_iter()
                .map(|p| p.label)
                .collect()
        };
        assert_eq!(labels(ListingPart::Front, 40), ["1", "2", "3", "4", "41"]);
        let urls: Vec<String> = pagination("/annonces/", ListingPart::Front, 40)
            .pages
            .into_iter()
            .map(|p| p.url)
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
            labels(ListingPart::Archived(20), 40),
            ["Les plus récentes", "Les plus anciennes"]
        );
        assert_eq!(labels(ListingPart::Archived(2), 40), ["Les plus récentes"]);
        assert_eq!(
            labels(ListingPart::Archived(40), 40),
            ["Les plus anciennes"]
        );
        assert_eq!(labels(ListingPart::Archived(1), 40), ["Les plus récentes"]);
        assert!(labels(ListingPart::Archived(1), 1).is_empty());
        let links = |part| {
            let pagination = pagination("/annonces/", part, 40);
            (pagination.previous, pagination.next)
        };
        let url = |u: &str| Some(u.to_owned());
        assert_eq!(links(ListingPart::Front), (None, url("/annonces/page/40/")));
        assert_eq!(
            links(ListingPart::Archived(40)),
            (url("/annonces/"), url("/annonces/page/39/"))
        );
        assert_eq!(
            links(ListingPart::Archived(1)),
            (url("/annonces/page/2/"), None)
        );
        assert_eq!(labels(ListingPart::Front, 0).len(), 1);
        assert_eq!(labels(ListingPart::Front, 2), ["1", "2", "3"]);
    }
}
