//! A build as a list of jobs: each file of the output with what drawing it
//! needs, and nothing more (a listing page gets only its own page of offers).

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::completion::CompletionFile;
use crate::context::Page;
use crate::listing::{ListingInfo, ListingPart};
use crate::prepared::Prepared;
use crate::urls;

/// What a file is, with what drawing it takes besides its offers.
pub enum Output<'a> {
    /// A page of the theme with its own context.
    Page {
        template: &'static str,
        context: Box<Page>,
    },
    /// A page of a listing: its context is built only if the page is drawn.
    ListingPage(Arc<ListingInfo>, ListingPart),
    /// An offer's own page, drawn from its view.
    OfferPage(&'a Prepared<'a>),
    Feed(Box<FeedMeta>),
    /// A sitemap's URLs (160,000 at 100,000 offers: no JSON made of them).
    Sitemap(Vec<SitemapUrl<'a>>),
    /// The names of a sitemap's parts.
    SitemapIndex(Vec<String>),
    Robots,
    OpenDataJson,
    OpenDataCsv,
    /// A theme file, as it is.
    Asset(&'a [u8]),
    /// A commune completion file: it changes only with the binary, which every
    /// page's input hash covers.
    Completion(&'static CompletionFile),
}

/// An Atom feed's own fields.
#[derive(Serialize)]
pub struct FeedMeta {
    pub title: String,
    /// The feed's URL.
    pub url: String,
    /// The listing it follows.
    pub alternate: String,
}

pub struct Job<'a> {
    /// File path relative to the output folder.
    pub path: String,
    pub output: Output<'a>,
    /// The offers it shows, newest first.
    pub offers: Vec<&'a Prepared<'a>>,
}

impl Job<'_> {
    /// The open data: big files drawn after the pages.
    pub fn is_export(&self) -> bool {
        matches!(self.output, Output::OpenDataJson | Output::OpenDataCsv)
    }

    /// Far longer to draw than a page: a sitemap part (up to 50,000 URLs).
    pub fn is_long(&self) -> bool {
        matches!(self.output, Output::Sitemap(_))
    }

    /// Feeds what the file shows besides its offers into its input hash.
    pub fn hash_into(&self, hasher: &mut blake3::Hasher) {
        match &self.output {
            Output::Page { context, .. } => {
                // Straight into the hasher, no JSON kept.
                let _ = serde_json::to_writer(hasher, context);
            }
            Output::ListingPage(info, part) => info.hash_into(*part, hasher),
            Output::OfferPage(prepared) => {
                hasher.update(prepared.hash.as_bytes());
            }
            Output::Feed(meta) => {
                let _ = serde_json::to_writer(hasher, meta);
            }
            Output::Sitemap(urls) => {
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
            Output::SitemapIndex(names) => {
                for name in names {
                    hasher.update(name.as_bytes());
                    hasher.update(b"\0");
                }
            }
            // The theme and the binary are in every file's input hash already.
            Output::Robots
            | Output::OpenDataJson
            | Output::OpenDataCsv
            | Output::Asset(_)
            | Output::Completion(_) => {}
        }
    }
}

/// What one URL shows in the sitemap.
pub struct SitemapUrl<'a> {
    pub url: Cow<'a, str>,
    pub lastmod: Option<&'a str>,
}

pub const SITEMAP_LIMIT: usize = 50_000;

/// An offer's own page: it needs that offer alone, so it can be drawn before the
/// other offers are read.
pub fn offer_page<'a>(prepared: &'a Prepared<'a>) -> Job<'a> {
    Job {
        path: urls::file_of(&urls::offer(prepared.offer.id)),
        output: Output::OfferPage(prepared),
        offers: Vec::new(),
    }
}

/// `sitemap.xml`, or past the protocol's 50,000 URLs an index of `sitemap-N.xml` parts.
pub fn sitemap_jobs(mut urls: Vec<SitemapUrl<'_>>) -> Vec<Job<'_>> {
    let job = |path: String, output| Job {
        path,
        output,
        offers: Vec::new(),
    };
    if urls.len() <= SITEMAP_LIMIT {
        return vec![job("sitemap.xml".into(), Output::Sitemap(urls))];
    }
    let mut jobs = Vec::new();
    while !urls.is_empty() {
        let rest = urls.split_off(urls.len().min(SITEMAP_LIMIT));
        let path = format!("sitemap-{}.xml", jobs.len() + 1);
        jobs.push(job(path, Output::Sitemap(urls)));
        urls = rest;
    }
    let names: Vec<String> = jobs.iter().map(|j| j.path.clone()).collect();
    jobs.push(job("sitemap.xml".into(), Output::SitemapIndex(names)));
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
        let length = |job: &Job| match &job.output {
            Output::Sitemap(urls) => urls.len(),
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
        assert!(matches!(&jobs[3].output, Output::SitemapIndex(names) if names.len() == 3));
        let small = sitemap_jobs(urls(10));
        assert_eq!(small.len(), 1);
        assert!(matches!(&small[0].output, Output::Sitemap(urls) if urls.len() == 10));
    }
}
