//! Turning one planned job into bytes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use atom_syndication::{
    ContentBuilder, Entry, EntryBuilder, FeedBuilder, FixedDateTime, LinkBuilder, PersonBuilder,
    Text,
};
use offers::communes::geography;
use serde::Serialize;
use serde_json::{Value, json};
use tera::Context;

use crate::BuildError;
use crate::config::SiteConfig;
use crate::jobs::{self, Job, ListingPart, Meta, Output, Prepared, SitemapUrl};
use crate::view::OfferView;

/// The part of the config every page needs (the whole config would be copied into
/// every page's context).
#[derive(Serialize)]
pub struct SiteView<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
}

pub struct RenderEnv<'a> {
    pub config: &'a SiteConfig,
    pub site: SiteView<'a>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub tera: &'a tera::Tera,
    pub asset_urls: &'a BTreeMap<String, String>,
    pub assets: &'a [(String, Vec<u8>)],
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
    match job.output {
        Output::Html(template) => {
            let mut value = job.meta.value().into_owned();
            // An archived page is named by the stretch of time it holds, not by a
            // number that means nothing to a reader.
            let period = match (&job.meta, job.offers.first(), job.offers.last()) {
                (Meta::ListingPage(_, ListingPart::Archived(_)), Some(newest), Some(oldest)) => {
                    Some(crate::french::period(
                        Some(oldest.published.date_naive()),
                        Some(newest.published.date_naive()),
                    ))
                }
                _ => None,
            };
            if let (Some(period), Some(title)) = (&period, value.pointer_mut("/page/title")) {
                *title =
                    format!("{} – publiées {period}", title.as_str().unwrap_or_default()).into();
            }
            let mut context = Context::from_value(value).map_err(|e| failed(e.to_string()))?;
            let cards = job
                .offers
                .iter()
                .map(|p| card(p, env))
                .collect::<Result<Vec<&str>, _>>()?;
            context.insert("cards", &cards);
            context.insert("period", &period);
            page(template, context, env, expected_size)
        }
        Output::OfferPage => {
            let prepared = job
                .offers
                .first()
                .ok_or_else(|| failed("no offer".into()))?;
            let view = prepared.view(env.config, env.now);
            let crumbs = vec![
                jobs::home_crumb(),
                jobs::crumb("Annonces", "/annonces/"),
                jobs::crumb(&view.domain.label, &view.domain.url),
            ];
            let page_meta = jobs::page_meta(
                &view.title,
                &view.summary,
                &view.url,
                crumbs,
                !prepared.listed,
            );
            let offer = serde_json::to_value(view).map_err(|e| failed(e.to_string()))?;
            let context = jobs::object([
                ("page", page_meta),
                ("offer", offer),
                // The contact form is the one the function refills: empty here.
                ("values", json!({})),
                ("errors", json!({})),
                ("json_ld", json_ld(prepared, view, env.config).into()),
            ]);
            let context = Context::from_value(context).map_err(|e| failed(e.to_string()))?;
            page("offer.html", context, env, expected_size)
        }
        Output::Feed => feed(job, env).map_err(failed),
        Output::Sitemap => match &job.meta {
            Meta::Sitemap(urls) => Ok(sitemap(urls, &env.config.base_url).into_bytes()),
            _ => Err(failed("a sitemap without URLs".into())),
        },
        Output::SitemapIndex => {
            Ok(sitemap_index(&job.meta.value(), &env.config.base_url).into_bytes())
        }
        Output::Robots => Ok(format!(
            "User-agent: *\nDisallow: /api/\nSitemap: {}/sitemap.xml\n",
            env.config.base_url
        )
        .into_bytes()),
        Output::OpenDataJson => {
            let file = OpenDataFile {
                start: b"[",
                separator: b",",
                end: b"]",
            };
            file.draw(
                job,
                env,
                expected_size,
                |p| &p.drawn.open_data_json,
                |p, out| {
                    serde_json::to_writer(out, &OpenDataRecord::new(p, env))
                        .map_err(|e| e.to_string())
                },
            )
            .map_err(failed)
        }
        Output::OpenDataCsv => {
            let mut header = Vec::new();
            csv_row(&mut header, CSV_COLUMNS.map(str::to_owned)).map_err(failed)?;
            let file = OpenDataFile {
                start: &header,
                separator: b"",
                end: b"",
            };
            file.draw(
                job,
                env,
                expected_size,
                |p| &p.drawn.open_data_csv,
                |p, out| csv_row(out, OpenDataRecord::new(p, env).csv_fields()),
            )
            .map_err(failed)
        }
        Output::Completion(index) => crate::completion::files()
            .get(index)
            .ok_or_else(|| failed("no such completion file".into()))
            .and_then(|file| serde_json::to_vec(&file.json()).map_err(|e| failed(e.to_string()))),
        Output::Asset(index) => Ok(env
            .assets
            .get(index)
            .map(|(_, bytes)| bytes.clone())
            .unwrap_or_default()),
    }
}

/// A page's buffer when no earlier build says its size (a listing page is about
/// 16 KB, an offer's page about 6 KB).
const PAGE_SIZE_GUESS: usize = 16 * 1024;

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

/// How an open data file wraps its records.
struct OpenDataFile<'a> {
    start: &'a [u8],
    separator: &'a [u8],
    end: &'a [u8],
}

impl OpenDataFile<'_> {
    /// The file of the job's offers: each record the one kept by an earlier build,
    /// or drawn now, straight into the file unless the build keeps records (160 MB
    /// at 100,000 offers: every record apart, then the file, would be twice that).
    fn draw<'p>(
        &self,
        job: &Job<'p>,
        env: &RenderEnv,
        expected_size: usize,
        slot: impl Fn(&'p Prepared<'p>) -> &'p std::sync::OnceLock<Vec<u8>>,
        record: impl Fn(&Prepared, &mut Vec<u8>) -> Result<(), String>,
    ) -> Result<Vec<u8>, String> {
        let guess = job.offers.len() * OPEN_DATA_RECORD_GUESS;
        let mut bytes = buffer_for(expected_size, guess);
        bytes.extend_from_slice(self.start);
        for (index, prepared) in job.offers.iter().enumerate() {
            if index > 0 {
                bytes.extend_from_slice(self.separator);
            }
            let slot = slot(prepared);
            match slot.get() {
                Some(kept) => bytes.extend_from_slice(kept),
                None if env.keep_records => {
                    let mut drawn = Vec::new();
                    record(prepared, &mut drawn)?;
                    bytes.extend_from_slice(slot.get_or_init(|| drawn));
                }
                None => record(prepared, &mut bytes)?,
            }
        }
        bytes.extend_from_slice(self.end);
        Ok(bytes)
    }
}

/// A buffer for a file the last build wrote with `expected_size` bytes (0: none did,
/// `guess` then), with room to grow by an eighth without copying. Untouched
/// capacity costs no memory: a generous guess copies nothing.
fn buffer_for(expected_size: usize, guess: usize) -> Vec<u8> {
    let size = match expected_size {
        0 => guess,
        size => size,
    };
    Vec::with_capacity(size + size / 8)
}

/// An upper bound of one offer's open data record (about 950 bytes in JSON).
const OPEN_DATA_RECORD_GUESS: usize = 2048;

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

fn xml_escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

/// A sitemap part: up to 50,000 URLs, written piece by piece into one buffer.
fn sitemap(urls: &[SitemapUrl], base_url: &str) -> String {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    let mut xml = String::with_capacity(HEAD.len() + urls.len() * (base_url.len() + 96));
    xml.push_str(HEAD);
    for entry in urls {
        for piece in ["<url><loc>", base_url, &xml_escape(&entry.url), "</loc>"] {
            xml.push_str(piece);
        }
        if let Some(lastmod) = entry.lastmod {
            for piece in ["<lastmod>", lastmod, "</lastmod>"] {
                xml.push_str(piece);
            }
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

fn sitemap_index(names: &Value, base_url: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for name in names.as_array().map(Vec::as_slice).unwrap_or_default() {
        xml.push_str(&format!(
            "<sitemap><loc>{base_url}/{}</loc></sitemap>\n",
            name.as_str().unwrap_or_default()
        ));
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

fn date_time(text: &str) -> Result<FixedDateTime, String> {
    FixedDateTime::parse_from_rfc3339(text).map_err(|e| format!("bad date {text:?}: {e}"))
}

fn feed(job: &Job, env: &RenderEnv) -> Result<Vec<u8>, String> {
    let config = env.config;
    let meta = job.meta.value();
    let meta_text = |key: &str| {
        meta.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let base = &config.base_url;
    let mut entries: Vec<Entry> = Vec::with_capacity(job.offers.len());
    for prepared in &job.offers {
        let view = prepared.view(config, env.now);
        let url = format!("{base}{}", view.url);
        entries.push(
            EntryBuilder::default()
                .id(url.clone())
                .title(Text::plain(view.title.as_str()))
                .updated(date_time(&view.updated_iso)?)
                .published(Some(date_time(&view.published_iso)?))
                .authors(vec![
                    PersonBuilder::default()
                        .name(view.author_name.as_str())
                        .build(),
                ])
                .links(vec![
                    LinkBuilder::default().href(url).rel("alternate").build(),
                ])
                .summary(Some(Text::plain(format!(
                    "{} – {}",
                    view.place, view.summary
                ))))
                .content(Some(
                    ContentBuilder::default()
                        .content_type(Some("html".into()))
                        .value(Some(view.description_html.clone()))
                        .build(),
                ))
                .build(),
        );
    }
    // The newest entry dates the feed, so that an unchanged feed keeps its bytes.
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .map_or_else(|| date_time("2020-03-01T00:00:00Z"), Ok)?;
    let feed_url = format!("{base}{}", meta_text("url"));
    let feed = FeedBuilder::default()
        .id(feed_url.clone())
        .title(Text::plain(format!(
            "{} – {}",
            meta_text("title"),
            config.name
        )))
        .updated(updated)
        .lang(Some(config.language.clone()))
        .links(vec![
            LinkBuilder::default().href(feed_url).rel("self").build(),
            LinkBuilder::default()
                .href(format!("{base}{}", meta_text("alternate")))
                .rel("alternate")
                .build(),
        ])
        .entries(entries)
        .build();
    Ok(feed.to_string().into_bytes())
}

/// One offer as published in the open data: public fields only.
#[derive(Serialize)]
struct OpenDataRecord<'a> {
    id: String,
    url: String,
    kind: &'static str,
    engagement: &'static str,
    author_kind: &'static str,
    author_name: &'a str,
    domain: &'a str,
    title: &'a str,
    description: &'a str,
    skills: &'a [String],
    commune: Option<&'a str>,
    commune_name: Option<&'static str>,
    department: Option<&'a str>,
    region: Option<&'static str>,
    remote: bool,
    start: Option<String>,
    end: Option<String>,
    published: String,
    updated: String,
    expires: String,
}

impl<'a> OpenDataRecord<'a> {
    /// The record's fields in the order of `CSV_COLUMNS`.
    fn csv_fields(self) -> [String; 20] {
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        [
            self.id,
            self.url,
            self.kind.to_owned(),
            self.engagement.to_owned(),
            self.author_kind.to_owned(),
            self.author_name.to_owned(),
            self.domain.to_owned(),
            self.title.to_owned(),
            self.description.to_owned(),
            self.skills.join("; "),
            text(self.commune),
            text(self.commune_name),
            text(self.department),
            text(self.region),
            self.remote.to_string(),
            self.start.unwrap_or_default(),
            self.end.unwrap_or_default(),
            self.published,
            self.updated,
            self.expires,
        ]
    }

    /// Straight from the stored offer: the open data of 100,000 offers needs no view.
    fn new(prepared: &'a Prepared, env: &RenderEnv) -> Self {
        let offer = prepared.offer;
        let geo = geography();
        let department = offer.department_code();
        OpenDataRecord {
            id: offer.id.to_string(),
            url: format!("{}{}", env.config.base_url, crate::urls::offer(offer.id)),
            kind: offer.kind.as_str(),
            engagement: offer.engagement.as_str(),
            author_kind: offer.author_kind.as_str(),
            author_name: &offer.author_name,
            domain: &offer.domain,
            title: &offer.title,
            description: &offer.description,
            skills: &offer.skills,
            commune: offer.commune.as_deref(),
            commune_name: offer
                .commune
                .as_deref()
                .and_then(|c| geo.commune(c))
                .map(|c| c.name),
            department,
            region: department.and_then(|d| geo.region_of(d)).map(|r| r.name),
            remote: offer.remote,
            start: offer.start.map(|d| d.to_string()),
            end: offer.end.map(|d| d.to_string()),
            published: crate::view::iso_seconds(prepared.published),
            updated: crate::view::iso_seconds(offer.updated),
            expires: crate::view::iso_date(offer.expires),
        }
    }
}

pub const CSV_COLUMNS: [&str; 20] = [
    "id",
    "url",
    "kind",
    "engagement",
    "author_kind",
    "author_name",
    "domain",
    "title",
    "description",
    "skills",
    "commune",
    "commune_name",
    "department",
    "region",
    "remote",
    "start",
    "end",
    "published",
    "updated",
    "expires",
];

/// Appends one CSV line, quoted as the CSV writer does, every cell inert in a
/// spreadsheet.
fn csv_row<const N: usize>(out: &mut Vec<u8>, fields: [String; N]) -> Result<(), String> {
    // The writer's own buffer is 8 KB by default, zeroed for every line.
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(CSV_LINE_BUFFER)
        .from_writer(out);
    writer
        .write_record(fields.map(spreadsheet_inert))
        .map_err(|e| e.to_string())?;
    writer.flush().map_err(|e| e.to_string())
}

const CSV_LINE_BUFFER: usize = 1024;

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first) gets a leading apostrophe, which spreadsheets show as
/// text (OWASP's advice against CSV injection).
fn spreadsheet_inert(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// schema.org description of an offer page: a `JobPosting` for a structure's need,
/// a `Service` for help offered.
fn json_ld(prepared: &Prepared, view: &OfferView, config: &SiteConfig) -> String {
    let offer = prepared.offer;
    let url = format!("{}{}", config.base_url, view.url);
    let place = || schema::Place {
        kind: "Place",
        address: schema::Address {
            kind: "PostalAddress",
            address_country: "FR",
            address_locality: view.commune.as_ref().map(|c| c.label.as_str()),
            address_region: view.region.as_ref().map(|r| r.label.as_str()),
            postal_code: view.postcode,
        },
    };
    let france = schema::Named {
        kind: "Country",
        name: "France",
    };
    let author = schema::Named {
        kind: if offer.author_kind == offers::AuthorKind::Individual {
            "Person"
        } else {
            "Organization"
        },
        name: &view.author_name,
    };
    let data = if offer.kind == offers::Kind::Request {
        serde_json::to_string(&schema::JobPosting {
            context: schema::CONTEXT,
            kind: "JobPosting",
            applicant_location_requirements: offer.remote.then_some(france),
            date_posted: &view.published_iso,
            description: &view.description_html,
            employment_type: if offer.engagement == offers::Engagement::Volunteer {
                "VOLUNTEER"
            } else {
                "OTHER"
            },
            hiring_organization: author,
            industry: &view.domain.label,
            job_location: (!offer.remote).then(place),
            job_location_type: offer.remote.then_some("TELECOMMUTE"),
            title: &view.title,
            url: &url,
            valid_through: &view.expires_iso,
        })
    } else {
        serde_json::to_string(&schema::Service {
            context: schema::CONTEXT,
            kind: "Service",
            area_served: if offer.remote {
                schema::Area::Country(france)
            } else {
                schema::Area::Place(place())
            },
            category: &view.domain.label,
            description: &view.summary,
            name: &view.title,
            provider: author,
            url: &url,
        })
    };
    // "</" would end the script element that carries the JSON: every "<" is
    // written as its JSON escape, which a one-character search finds fast.
    data.unwrap_or_default().replace('<', "\\u003c")
}

/// schema.org's types as this site writes them. Fields in alphabetical order:
/// the order of the `serde_json::Value` maps they replaced (same bytes).
mod schema {
    use serde::Serialize;

    pub const CONTEXT: &str = "https://schema.org";

    #[derive(Serialize)]
    pub struct Named<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub name: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Address<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub address_country: &'static str,
        pub address_locality: Option<&'a str>,
        pub address_region: Option<&'a str>,
        pub postal_code: Option<&'a str>,
    }

    #[derive(Serialize)]
    pub struct Place<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub address: Address<'a>,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    pub enum Area<'a> {
        Country(Named<'a>),
        Place(Place<'a>),
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct JobPosting<'a> {
        #[serde(rename = "@context")]
        pub context: &'static str,
        #[serde(rename = "@type")]
        pub kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub applicant_location_requirements: Option<Named<'a>>,
        pub date_posted: &'a str,
        pub description: &'a str,
        pub employment_type: &'static str,
        pub hiring_organization: Named<'a>,
        pub industry: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub job_location: Option<Place<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub job_location_type: Option<&'static str>,
        pub title: &'a str,
        pub url: &'a str,
        pub valid_through: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Service<'a> {
        #[serde(rename = "@context")]
        pub context: &'static str,
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub area_served: Area<'a>,
        pub category: &'a str,
        pub description: &'a str,
        pub name: &'a str,
        pub provider: Named<'a>,
        pub url: &'a str,
    }
}
