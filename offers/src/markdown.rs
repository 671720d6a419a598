//! The description's Markdown subset: paragraphs, line breaks, lists, emphasis and
//! links. Raw HTML is shown as text, images as their text, other blocks flattened;
//! only http(s) and mailto links survive, marked as user-generated.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::escape_href;

const LINK_REL: &str = "nofollow ugc noopener";

fn safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// Web addresses written in the description, as links or bare (for the anti-spam cap).
pub fn link_count(markdown: &str) -> usize {
    let lower = markdown.to_lowercase();
    ["http://", "https://", "www."]
        .iter()
        .map(|marker| lower.matches(marker).count())
        .sum()
}

/// Renders a description to safe HTML.
pub fn render_description(markdown: &str) -> String {
    render_description_observed(markdown, |_| {})
}

/// Renders a description to safe HTML, showing `observe` every event parsed (one
/// parse for the page and, say, its plain-text summary).
pub fn render_description_observed(markdown: &str, mut observe: impl FnMut(&Event)) -> String {
    let mut open_links: Vec<bool> = Vec::new();
    let parser = Parser::new_ext(markdown, Options::empty()).inspect(|event| observe(event));
    let events = parser.filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Code(code) => Some(Event::Text(code)),
        Event::Start(Tag::Link { dest_url, .. }) => {
            let safe = safe_link(&dest_url);
            open_links.push(safe);
            safe.then(|| {
                let mut html = String::from("<a href=\"");
                // Writing into a String cannot fail.
                let _ = escape_href(&mut html, &dest_url);
                html.push_str("\" rel=\"");
                html.push_str(LINK_REL);
                html.push_str("\">");
                Event::InlineHtml(CowStr::from(html))
            })
        }
        Event::End(TagEnd::Link) => open_links
            .pop()
            .unwrap_or(false)
            .then(|| Event::InlineHtml("</a>".into())),
        Event::Start(Tag::Paragraph | Tag::List(_) | Tag::Item | Tag::Emphasis | Tag::Strong) => {
            Some(event)
        }
        Event::End(
            TagEnd::Paragraph | TagEnd::List(_) | TagEnd::Item | TagEnd::Emphasis | TagEnd::Strong,
        ) => Some(event),
        // Headings, quotes and code blocks read as plain paragraphs.
        Event::Start(
            Tag::Heading { .. } | Tag::BlockQuote(_) | Tag::CodeBlock(_) | Tag::HtmlBlock,
        ) => Some(Event::Start(Tag::Paragraph)),
        Event::End(
            TagEnd::Heading(_) | TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock,
        ) => Some(Event::End(TagEnd::Paragraph)),
        Event::Start(_) | Event::End(_) | Event::Rule => None,
        Event::Text(_) | Event::SoftBreak | Event::HardBreak => Some(event),
        _ => None,
    });
    let mut html = String::with_capacity(markdown.len() * 5 / 4);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_render_the_subset() {
        let html = render_description(
            "Bonjour *à tous*,\n\n- un\n- **deux**\n\nVoir [le site](https://exemple.fr).",
        );
        assert_eq!(
            html,
            "<p>Bonjour <em>à tous</em>,</p>\n<ul>\n<li>un</li>\n<li><strong>deux</strong></li>\n</ul>\n\
             <p>Voir <a href=\"https://exemple.fr\" rel=\"nofollow ugc noopener\">le site</a>.</p>\n"
        );
    }

    #[test]
    fn never_renders_raw_html_images_or_unsafe_links() {
        let html = render_description(
            "<script>alert(1)</script>\n\nTexte <b>gras</b> ![photo](https://x.fr/a.png) [clic](javascript:alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("photo") && html.contains("clic"), "{html}");
    }

    #[test]
    fn headings_read_as_paragraphs() {
        assert_eq!(render_description("# Titre"), "<p>Titre</p>\n");
    }

    #[test]
    fn counts_links_and_bare_addresses() {
        assert_eq!(
            link_count("[a](https://a.fr) et www.b.fr et http://c.fr"),
            3
        );
        assert_eq!(link_count("Aucun lien ici."), 0);
    }
}
