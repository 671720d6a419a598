//! Turning one planned job into bytes: pages through tera, the feed, the
//! sitemap, the open data and an offer's JSON-LD each in their own module.

mod feed;
mod json_ld;
mod open_data;
mod sitemap;

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use crate::BuildError;
use crate::config::SiteConfig;
use crate::context::{Link, OfferPage, PageMeta, Submitted};
use crate::jobs::{Job, Output};
use crate::listing::ListingPart;
use crate::prepared::Prepared;

pub use open_data::CSV_COLUMNS;

/// The part of the config every page needs (the whole config would be copied into
/// every page's context).
#[derive(Serialize)]
pub struct SiteView<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
    /// Replies go through the two-way relay (a `reply_domain` is set).
    pub relay: bool,
}

impl<'a> SiteView<'a> {
    pub fn of(config: &'a SiteConfig) -> Self {
        SiteView {
            name: &config.name,
            base_url: &config.base_url,
            language: &config.language,
            relay: config.reply_domain.is_some(),
        }
    }
}

pub struct RenderEnv<'a> {
    pub config: &'a SiteConfig,
    pub site: SiteView<'a>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub tera: &'a tera::Tera,
    pub asset_urls: &'a BTreeMap<String, String>,
    /// Keep each offer's open data records for the next build (a running site).
    pub keep_records: bool,
}

/// Draws a job's bytes; `expected_size` (the last build's, or 0) sizes the buffer
/// of pages, which would otherwise grow by doubling and copying.
pub fn render(job: &Job, env: &RenderEnv, expected_size: usize) -> Result<Vec<u8>, BuildError> {
    let failed = |message: String| BuildError::Render {
        path: job.path.clone(),
        message,
    };
    match &job.output {
        Output::Page { template, context } => {
            let mut context = Context::from_serialize(context)?;
            context.insert("cards", &cards(job, env)?);
            page(template, context, env, expected_size)
        }
        Output::ListingPage(info, part) => {
            // An archived page is named by the stretch of time it holds, not by a
            // number that means nothing to a reader.
            let period = match (part, job.offers.first(), job.offers.last()) {
                (ListingPart::Archived(_), Some(newest), Some(oldest)) => {
                    Some(crate::french::period(
                        Some(oldest.published.date_naive()),
                        Some(newest.published.date_naive()),
                    ))
                }
                _ => None,
            };
            let context = info.page(*part, cards(job, env)?, period);
            page(
                "listing.html",
                Context::from_serialize(context)?,
                env,
                expected_size,
            )
        }
        Output::OfferPage(prepared) => offer_page(prepared, env, expected_size),
        Output::Feed(meta) => feed::feed(meta, &job.offers, env).map_err(failed),
        Output::Sitemap(urls) => Ok(sitemap::sitemap(urls, &env.config.base_url).into_bytes()),
        Output::SitemapIndex(names) => {
            Ok(sitemap::sitemap_index(names, &env.config.base_url).into_bytes())
        }
        Output::Robots => Ok(format!(
            "User-agent: *\nDisallow: /api/\nSitemap: {}/sitemap.xml\n",
            env.config.base_url
        )
        .into_bytes()),
        Output::OpenDataJson => open_data::json(job, env, expected_size).map_err(failed),
        Output::OpenDataCsv => open_data::csv(job, env, expected_size).map_err(failed),
        Output::Completion(file) => {
            serde_json::to_vec(&file.json()).map_err(|e| failed(e.to_string()))
        }
        Output::Asset(bytes) => Ok(bytes.to_vec()),
    }
}

/// An offer's own page.
fn offer_page(
    prepared: &Prepared,
    env: &RenderEnv,
    expected_size: usize,
) -> Result<Vec<u8>, BuildError> {
    let view = prepared.view(env.config, env.now);
    let context = OfferPage {
        page: PageMeta::new(&view.title, &view.summary, &view.url)
            .breadcrumbs(vec![
                Link::home(),
                Link::new("Annonces", "/annonces/"),
                Link::new(&view.domain.label, &view.domain.url),
            ])
            .noindex(!prepared.listed),
        offer: view,
        // The contact form is the one the function refills: empty here.
        submitted: Submitted::default(),
        json_ld: json_ld::json_ld(prepared, view, env.config),
    };
    page(
        "offer.html",
        Context::from_serialize(context)?,
        env,
        expected_size,
    )
}

/// The cards of a job's offers.
fn cards<'a>(job: &Job<'a>, env: &RenderEnv) -> Result<Vec<&'a str>, BuildError> {
    job.offers.iter().map(|p| card(p, env)).collect()
}

/// An offer's listing card, drawn on first use.
fn card<'a>(prepared: &'a Prepared, env: &RenderEnv) -> Result<&'a str, BuildError> {
    let card = &prepared.drawn.card;
    if let Some(html) = card.get() {
        return Ok(html);
    }
    let mut context = Context::new();
    context.insert("offer", &prepared.view(env.config, env.now).card());
    let html = env.tera.render("card.html", &context)?;
    Ok(card.get_or_init(|| html))
}

/// A page's buffer when no earlier build says its size (a listing page is about
/// 16 KB, an offer's page about 6 KB).
const PAGE_SIZE_GUESS: usize = 16 * 1024;

/// A buffer for a file the last build wrote with `expected_size` bytes (0: none did,
/// `guess` then), with room to grow by an eighth without copying. Untouched
/// capacity costs no memory: a generous guess copies nothing.
pub(crate) fn buffer_for(expected_size: usize, guess: usize) -> Vec<u8> {
    let size = match expected_size {
        0 => guess,
        size => size,
    };
    Vec::with_capacity(size + size / 8)
}

fn page(
    template: &str,
    mut context: Context,
    env: &RenderEnv,
    expected_size: usize,
) -> Result<Vec<u8>, BuildError> {
    context.insert("site", &env.site);
    context.insert("assets", env.asset_urls);
    // Straight into bytes: `render` would check the output is UTF-8 once more.
    let mut bytes = buffer_for(expected_size, PAGE_SIZE_GUESS);
    env.tera.render_to(template, &context, &mut bytes)?;
    Ok(bytes)
}
