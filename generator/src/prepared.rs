//! An offer as the planner and the renderers see it: hashed once, its view and
//! its drawings made once per version and kept by a running site.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use offers::Offer;
use offers::communes::{Commune, Department, geography};

use crate::config::SiteConfig;
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
    pub(crate) place: OnceLock<Place>,
    /// Its URL and last change date (for the sitemap, if listed).
    pub(crate) sitemap: OnceLock<(String, String)>,
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

/// Where a listed offer is listed. Found once per version of an offer, in one
/// pass on every core: each look-up reads the offer's fields, scattered in
/// memory, and grouping then reads these small keys only.
#[derive(Clone, Copy)]
pub(crate) struct Place {
    /// The domain's position in the site's list, if the site has that domain.
    pub(crate) domain: Option<usize>,
    pub(crate) department: Option<&'static Department>,
    pub(crate) region: Option<&'static str>,
    pub(crate) commune: Option<&'static Commune>,
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
