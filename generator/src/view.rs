//! What templates see of an offer, computed once per build.

use chrono::{DateTime, Utc};
use offers::communes::geography;
use offers::markdown::render_description_observed;
use offers::{Offer, Status};
use pulldown_cmark::TagEnd;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::french;
use crate::urls;

/// Timestamps in feeds, JSON-LD and open data: `2026-11-24T10:00:00Z`.
/// `2026-11-24T08:30:00Z`, written without parsing a format string (a build writes
/// four such dates per offer).
pub fn iso_seconds(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `2026-11-24`.
pub fn iso_date(time: DateTime<Utc>) -> String {
    time.date_naive().to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferView {
    pub id: String,
    pub url: String,
    pub title: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub engagement: &'static str,
    pub engagement_label: &'static str,
    pub author_kind_label: &'static str,
    pub author_name: String,
    pub domain: Link,
    /// The domain's slug, the search index's `domaine` filter.
    pub domain_slug: String,
    /// Commune name, "À distance", or "À distance (Finistère)".
    pub place: String,
    pub commune: Option<Link>,
    /// The commune's INSEE code, for « À proximité ».
    pub insee: Option<&'static str>,
    /// The distance search around its commune.
    pub near: Option<Link>,
    pub postcode: Option<&'static str>,
    pub department: Option<Link>,
    pub region: Option<Link>,
    pub remote: bool,
    pub start: Option<String>,
    pub end: Option<String>,
    pub published: String,
    pub published_iso: String,
    pub updated_iso: String,
    pub expires: String,
    pub expires_iso: String,
    pub description_html: String,
    /// Plain-text start of the description, for cards and meta descriptions.
    pub summary: String,
    pub skills: Vec<String>,
    /// `published`, `filled` or `expired`, as visitors see it.
    pub status: &'static str,
    /// The day its poster said, from the « still needed? » mail, that it is.
    pub still_needed: Option<String>,
    /// « Répond en général sous N jours », once N is known.
    pub reply_days: Option<u32>,
}

/// What a listing card shows of an offer: a small part of its view, so that
/// listing pages copy little into their template context.
#[derive(Debug, Serialize)]
pub struct Card<'a> {
    pub url: &'a str,
    pub title: &'a str,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub engagement_label: &'static str,
    pub domain: &'a Link,
    pub place: &'a str,
    pub published: &'a str,
    pub published_iso: &'a str,
    pub author_name: &'a str,
    pub summary: &'a str,
}

impl OfferView {
    pub fn card(&self) -> Card<'_> {
        Card {
            url: &self.url,
            title: &self.title,
            kind: self.kind,
            kind_label: self.kind_label,
            engagement_label: self.engagement_label,
            domain: &self.domain,
            place: &self.place,
            published: &self.published,
            published_iso: &self.published_iso,
            author_name: &self.author_name,
            summary: &self.summary,
        }
    }
}

/// How much of its description an offer's card and meta description show.
const SUMMARY_CHARS: usize = 180;

/// A description as plain text on one line, cut on a word after `max_chars`.
pub(crate) fn summary(markdown: &str, max_chars: usize) -> String {
    let mut summary = Summary::new(max_chars);
    pulldown_cmark::Parser::new(markdown).for_each(|event| summary.observe(&event));
    summary.finish()
}

/// Collects a summary from Markdown events, stopping once it has more than it shows.
struct Summary {
    text: String,
    chars: usize,
    max_chars: usize,
    space_before_next: bool,
    overflowed: bool,
}

impl Summary {
    fn new(max_chars: usize) -> Self {
        Summary {
            text: String::with_capacity(max_chars + 8),
            chars: 0,
            max_chars,
            space_before_next: false,
            overflowed: false,
        }
    }

    fn observe(&mut self, event: &pulldown_cmark::Event) {
        use pulldown_cmark::Event;
        match event {
            Event::Text(text) | Event::Code(text) => self.push(text),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::CodeBlock,
            ) => self.space_before_next = true,
            _ => {}
        }
    }

    /// Appends text with every run of white space made one space.
    fn push(&mut self, text: &str) {
        for c in text.chars() {
            if self.overflowed {
                return;
            }
            if c.is_whitespace() {
                self.space_before_next = true;
                continue;
            }
            if std::mem::take(&mut self.space_before_next) && !self.text.is_empty() {
                self.text.push(' ');
                self.chars += 1;
            }
            self.text.push(c);
            self.chars += 1;
            self.overflowed = self.chars > self.max_chars;
        }
    }

    fn finish(self) -> String {
        if !self.overflowed {
            return self.text;
        }
        let cut: String = self.text.chars().take(self.max_chars).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
    }
}

impl OfferView {
    pub fn new(offer: &Offer, config: &SiteConfig, now: DateTime<Utc>) -> Self {
        let geo = geography();
        let commune = offer
            .commune
            .as_deref()
            .and_then(|insee| geo.commune(insee));
        let department = offer
            .department_code()
            .and_then(|code| geo.department(code));
        let region = department.and_then(|d| geo.region(d.region));
        let place = match (commune, department) {
            (Some(commune), _) => commune.name.to_owned(),
            (None, Some(department)) => format!("À distance ({})", department.name),
            (None, None) => "À distance".to_owned(),
        };
        let domain = config.domain(&offer.domain);
        let published = offer.published.unwrap_or(offer.created);
        let mut summary = Summary::new(SUMMARY_CHARS);
        let description_html =
            render_description_observed(&offer.description, |event| summary.observe(event));
        OfferView {
            id: offer.id.to_string(),
            url: urls::offer(offer.id),
            title: offer.title.clone(),
            kind: offer.kind.as_str(),
            kind_label: offer.kind.label(),
            engagement: offer.engagement.as_str(),
            engagement_label: offer.engagement.label(),
            author_kind_label: offer.author_kind.label(),
            author_name: offer.author_name.clone(),
            domain: Link {
                label: domain.map_or_else(|| offer.domain.clone(), |d| d.label.clone()),
                url: urls::domain(&offer.domain),
            },
            domain_slug: offer.domain.clone(),
            place,
            insee: commune.map(|c| c.insee),
            near: commune.map(|c| Link {
                label: format!(
                    "Les autres annonces à moins de {} km",
                    crate::urls::DEFAULT_RADIUS
                ),
                url: crate::urls::near(c),
            }),
            commune: commune.map(|c| Link {
                label: c.name.to_owned(),
                url: urls::commune(c),
            }),
            postcode: commune.and_then(|c| c.postcodes.first().copied()),
            department: department.map(|d| Link {
                label: format!("{} ({})", d.name, d.code),
                url: urls::department(d),
            }),
            region: region.map(|r| Link {
                label: r.name.to_owned(),
                url: urls::region(r),
            }),
            remote: offer.remote,
            start: offer.start.map(french::date),
            end: offer.end.map(french::date),
            published: french::date(published.date_naive()),
            published_iso: iso_seconds(published),
            updated_iso: iso_seconds(offer.updated),
            expires: french::date(offer.expires.date_naive()),
            expires_iso: iso_date(offer.expires),
            description_html,
            summary: summary.finish(),
            skills: offer.skills.clone(),
            status: match offer.visible_status(now) {
                Status::Filled => "filled",
                Status::Expired => "expired",
                _ => "published",
            },
            still_needed: offer
                .followup
                .still_needed
                .map(|day| french::date(day.date_naive())),
            reply_days: offer.followup.reply_days(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summaries_are_plain_and_cut_on_a_word() {
        assert_eq!(
            summary("Bonjour *à tous*.\n\n- un\n- deux", 100),
            "Bonjour à tous. un deux"
        );
        assert_eq!(summary("Un deux trois quatre", 12), "Un deux…");
    }

    /// The summary as first written: the whole text made plain, then cut.
    fn plain_then_cut(markdown: &str, max_chars: usize) -> String {
        use pulldown_cmark::{Event, TagEnd};
        let plain: String = pulldown_cmark::Parser::new(markdown)
            .filter_map(|event| match event {
                Event::Text(text) | Event::Code(text) => Some(text.to_string()),
                Event::SoftBreak
                | Event::HardBreak
                | Event::End(
                    TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::CodeBlock,
                ) => Some(" ".into()),
                _ => None,
            })
            .collect();
        let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        if plain.chars().count() <= max_chars {
            return plain;
        }
        let cut: String = plain.chars().take(max_chars).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
    }

    #[test]
    fn a_summary_that_stops_early_says_what_the_whole_text_cut_says() {
        let texts = [
            "Un deux trois quatre",
            "  Espaces\u{a0}insécables  et\ttabulations\n\n\n- liste\n- `code`  ",
            "Mot;\n\nautre, encore. Et <b>gras</b> brut",
            "Anticonstitutionnellement",
            "# Titre\n\n> citation\n\n    bloc de code\n\nfin",
            "",
        ];
        for text in texts {
            for max_chars in 0..40 {
                assert_eq!(
                    summary(text, max_chars),
                    plain_then_cut(text, max_chars),
                    "{text:?} cut at {max_chars}"
                );
            }
        }
    }
}
