//! The sitemap, in parts of at most 50,000 URLs past that size.

use crate::jobs::SitemapUrl;

/// A sitemap part: up to 50,000 URLs, written piece by piece into one buffer.
pub fn sitemap(urls: &[SitemapUrl], base_url: &str) -> String {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    let mut xml = String::with_capacity(HEAD.len() + urls.len() * (base_url.len() + 96));
    xml.push_str(HEAD);
    for entry in urls {
        xml.push_str("<url><loc>");
        xml.push_str(base_url);
        // `&`, `<` and `>` escaped, straight into the buffer (writing to a
        // String cannot fail).
        let _ = pulldown_cmark_escape::escape_html_body_text(&mut xml, &entry.url);
        xml.push_str("</loc>");
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

/// The index of a sitemap's parts.
pub fn sitemap_index(names: &[String], base_url: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for name in names {
        xml.push_str(&format!(
            "<sitemap><loc>{base_url}/{name}</loc></sitemap>\n"
        ));
    }
    xml.push_str("</sitemapindex>\n");
    xml
}
