//! Turning one planned job into bytes.

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
use crate::jobs::{Job, Output, Prepared};

pub struct RenderEnv<'a> {
    pub config: &'a SiteConfig,
    pub tera: &'a tera::Tera,
    pub asset_urls: &'a BTreeMap<String, String>,
    pub assets: &'a [(String, Vec<u8>)],
}

pub fn render(job: &Job, env: &RenderEnv) -> Result<Vec<u8>, BuildError> {
    let failed = |message: String| BuildError::Render {
        path: job.path.clone(),
        message,
    };
    match job.output {
        Output::Html(template) => {
            let mut context =
                Context::from_value(job.meta.clone()).map_err(|e| failed(e.to_string()))?;
            context.insert("site", env.config);
            context.insert("assets", env.asset_urls);
            let offers: Vec<&Value> = job.offers.iter().map(|p| &p.value).collect();
            context.insert("offers", &offers);
            Ok(env.tera.render(template, &context)?.into_bytes())
        }
        Output::Feed => feed(job, env.config).map_err(failed),
        Output::Sitemap => Ok(sitemap(&job.meta, &env.config.base_url).into_bytes()),
        Output::SitemapIndex => Ok(sitemap_index(&job.meta, &env.config.base_url).into_bytes()),
        Output::Robots => Ok(format!(
            "User-agent: *\nDisallow: /api/\nSitemap: {}/sitemap.xml\n",
            env.config.base_url
        )
        .into_bytes()),
        Output::OpenDataJson => {
            let records: Vec<OpenDataRecord> = job
                .offers
                .iter()
                .map(|p| OpenDataRecord::new(p, env.config))
                .collect();
            serde_json::to_vec_pretty(&records).map_err(|e| failed(e.to_string()))
        }
        Output::OpenDataCsv => open_data_csv(job, env.config).map_err(failed),
        Output::Asset(index) => Ok(env
            .assets
            .get(index)
            .map(|(_, bytes)| bytes.clone())
            .unwrap_or_default()),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn sitemap(entries: &Value, base_url: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for entry in entries.as_array().map(Vec::as_slice).unwrap_or_default() {
        let url = entry.get(0).and_then(Value::as_str).unwrap_or_default();
        xml.push_str(&format!("<url><loc>{}{}</loc>", base_url, xml_escape(url)));
        if let Some(lastmod) = entry.get(1).and_then(Value::as_str) {
            xml.push_str(&format!("<lastmod>{lastmod}</lastmod>"));
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

fn feed(job: &Job, config: &SiteConfig) -> Result<Vec<u8>, String> {
    let meta_text = |key: &str| {
        job.meta
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let base = &config.base_url;
    let mut entries: Vec<Entry> = Vec::with_capacity(job.offers.len());
    for prepared in &job.offers {
        let url = format!("{base}{}", prepared.text("url"));
        entries.push(
            EntryBuilder::default()
                .id(url.clone())
                .title(Text::plain(prepared.text("title")))
                .updated(date_time(prepared.text("updated_iso"))?)
                .published(Some(date_time(prepared.text("published_iso"))?))
                .authors(vec![
                    PersonBuilder::default()
                        .name(prepared.text("author_name"))
                        .build(),
                ])
                .links(vec![
                    LinkBuilder::default().href(url).rel("alternate").build(),
                ])
                .summary(Some(Text::plain(format!(
                    "{} – {}",
                    prepared.text("place"),
                    prepared.text("summary")
                ))))
                .content(Some(
                    ContentBuilder::default()
                        .content_type(Some("html".into()))
                        .value(Some(prepared.text("description_html").to_owned()))
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
    kind: &'a str,
    engagement: &'a str,
    author_kind: Value,
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
    published: &'a str,
    updated: &'a str,
    expires: &'a str,
}

impl<'a> OpenDataRecord<'a> {
    fn new(prepared: &'a Prepared, config: &SiteConfig) -> Self {
        let offer = prepared.offer;
        let geo = geography();
        let department = offer.department_code();
        OpenDataRecord {
            id: offer.id.to_string(),
            url: format!("{}{}", config.base_url, prepared.text("url")),
            kind: prepared.text("kind"),
            engagement: prepared.text("engagement"),
            author_kind: serde_json::to_value(offer.author_kind).unwrap_or(Value::Null),
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
            published: prepared.text("published_iso"),
            updated: prepared.text("updated_iso"),
            expires: prepared.text("expires_iso"),
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

fn open_data_csv(job: &Job, config: &SiteConfig) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(CSV_COLUMNS)
        .map_err(|e| e.to_string())?;
    for prepared in &job.offers {
        let record = OpenDataRecord::new(prepared, config);
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        writer
            .write_record([
                record.id,
                record.url,
                record.kind.to_owned(),
                record.engagement.to_owned(),
                record.author_kind.as_str().unwrap_or_default().to_owned(),
                record.author_name.to_owned(),
                record.domain.to_owned(),
                record.title.to_owned(),
                record.description.to_owned(),
                record.skills.join("; "),
                text(record.commune),
                text(record.commune_name),
                text(record.department),
                text(record.region),
                record.remote.to_string(),
                record.start.unwrap_or_default(),
                record.end.unwrap_or_default(),
                record.published.to_owned(),
                record.updated.to_owned(),
                record.expires.to_owned(),
            ])
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

/// schema.org description of an offer page: a `JobPosting` for a structure's need,
/// a `Service` for help offered.
pub fn json_ld(prepared: &Prepared, config: &SiteConfig) -> String {
    let url = format!("{}{}", config.base_url, prepared.text("url"));
    let value = &prepared.value;
    let locality = json!({
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": value.pointer("/commune/label"),
            "postalCode": value.get("postcode"),
            "addressRegion": value.pointer("/region/label"),
            "addressCountry": "FR",
        },
    });
    let author_type = if prepared.offer.author_kind == offers::AuthorKind::Individual {
        "Person"
    } else {
        "Organization"
    };
    let author = json!({ "@type": author_type, "name": prepared.text("author_name") });
    let data = if prepared.offer.kind == offers::Kind::Request {
        let mut posting = json!({
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": prepared.text("title"),
            "description": prepared.text("description_html"),
            "datePosted": prepared.text("published_iso"),
            "validThrough": prepared.text("expires_iso"),
            "employmentType": if prepared.offer.engagement == offers::Engagement::Volunteer { "VOLUNTEER" } else { "OTHER" },
            "hiringOrganization": author,
            "industry": value.pointer("/domain/label"),
            "url": url,
        });
        if prepared.offer.remote {
            posting["jobLocationType"] = json!("TELECOMMUTE");
            posting["applicantLocationRequirements"] =
                json!({ "@type": "Country", "name": "France" });
        } else {
            posting["jobLocation"] = locality;
        }
        posting
    } else {
        json!({
            "@context": "https://schema.org",
            "@type": "Service",
            "name": prepared.text("title"),
            "description": prepared.text("summary"),
            "provider": author,
            "category": value.pointer("/domain/label"),
            "areaServed": if prepared.offer.remote { json!({ "@type": "Country", "name": "France" }) } else { locality },
            "url": url,
        })
    };
    // "</" would end the script element that carries the JSON.
    data.to_string().replace("</", "<\\/")
}
