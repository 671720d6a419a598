//! Atom feeds of listings.

use atom_syndication::{
    ContentBuilder, Entry, EntryBuilder, FeedBuilder, FixedDateTime, LinkBuilder, PersonBuilder,
    Text,
};

use super::RenderEnv;
use crate::jobs::FeedMeta;
use crate::prepared::Prepared;

fn date_time(text: &str) -> Result<FixedDateTime, String> {
    FixedDateTime::parse_from_rfc3339(text).map_err(|e| format!("bad date {text:?}: {e}"))
}

/// A listing's Atom feed of its newest offers.
pub fn feed(meta: &FeedMeta, offers: &[&Prepared], env: &RenderEnv) -> Result<Vec<u8>, String> {
    let config = env.config;
    let base = &config.base_url;
    let mut entries: Vec<Entry> = Vec::with_capacity(offers.len());
    for prepared in offers {
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
    let feed_url = format!("{base}{}", meta.url);
    let feed = FeedBuilder::default()
        .id(feed_url.clone())
        .title(Text::plain(format!("{} – {}", meta.title, config.name)))
        .updated(updated)
        .lang(Some(config.language.clone()))
        .links(vec![
            LinkBuilder::default().href(feed_url).rel("self").build(),
            LinkBuilder::default()
                .href(format!("{base}{}", meta.alternate))
                .rel("alternate")
                .build(),
        ])
        .entries(entries)
        .build();
    Ok(feed.to_string().into_bytes())
}
