//! `content/site.toml`: the site's name, address, domains and limits.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BuildError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub slug: String,
    pub label: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub name: String,
    /// Absolute URL of the published site, without trailing slash.
    pub base_url: String,
    #[serde(default = "default_language")]
    pub language: String,
    pub description: String,
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    #[serde(default = "default_lifetime")]
    pub offer_lifetime_days: i64,
    #[serde(default = "default_keep_closed")]
    pub keep_closed_days: i64,
    #[serde(default = "default_feed_size")]
    pub feed_size: usize,
    /// Sender of every mail the platform sends, e.g. `Entraide <ne-pas-repondre@exemple.fr>`.
    #[serde(default = "default_mail_from")]
    pub mail_from: String,
    /// Where reports of abusive offers are sent.
    #[serde(default = "default_moderation_email")]
    pub moderation_email: String,
    /// After this many reports an offer is hidden until a moderator restores it.
    /// Distinct reporters that hide an offer until a moderator decides…
    #[serde(default = "default_report_threshold", alias = "reports_to_hide")]
    pub report_threshold: u64,
    /// …when they all reported it within this many days.
    #[serde(default = "default_report_window_days")]
    pub report_window_days: i64,
    /// A form sent sooner than this after the page loaded is refused as a robot's.
    #[serde(default = "default_min_fill_seconds")]
    pub min_fill_seconds: i64,
    /// The most offers in one search index bucket (see docs/design.md « Search »).
    #[serde(default = "default_search_bucket_size")]
    pub search_bucket_size: usize,
    /// Alerts « dès qu'une annonce paraît » get a mail at most this often; new
    /// offers are matched against alerts this often.
    #[serde(default = "default_alert_interval_seconds")]
    pub alert_interval_seconds: u64,
    /// Alert mails sent in a minute, at most (the mailer's pace).
    #[serde(default = "default_alert_mails_per_minute")]
    pub alert_mails_per_minute: u32,
    /// Alerts one address may hold.
    #[serde(default = "default_max_alerts_per_address")]
    pub max_alerts_per_address: usize,
    /// The domain of the two-way relay's reply addresses (`<token>@reply_domain`),
    /// whose mail reaches `entraide serve --inbound-smtp` or SES. Without it,
    /// a contact message carries the visitor's address as `Reply-To`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_domain: Option<String>,
    /// A conversation closes this many days after its last message.
    #[serde(default = "default_conversation_days")]
    pub conversation_days: i64,
    /// The most text one relayed message carries (attachments are dropped).
    #[serde(default = "default_relay_max_bytes")]
    pub relay_max_bytes: usize,
    pub domains: Vec<Domain>,
}

fn default_language() -> String {
    "fr".into()
}
fn default_page_size() -> usize {
    20
}
fn default_lifetime() -> i64 {
    60
}
fn default_keep_closed() -> i64 {
    30
}
fn default_feed_size() -> usize {
    20
}
fn default_mail_from() -> String {
    "Entraide <ne-pas-repondre@localhost>".into()
}
fn default_moderation_email() -> String {
    "moderation@localhost".into()
}
fn default_report_window_days() -> i64 {
    7
}
fn default_report_threshold() -> u64 {
    3
}
fn default_min_fill_seconds() -> i64 {
    3
}
fn default_alert_interval_seconds() -> u64 {
    900
}
fn default_alert_mails_per_minute() -> u32 {
    60
}
fn default_max_alerts_per_address() -> usize {
    10
}
fn default_conversation_days() -> i64 {
    offers::conversations::DEFAULT_CONVERSATION_DAYS
}
fn default_relay_max_bytes() -> usize {
    256 * 1024
}
/// The search index's default most offers in one bucket (`search_bucket_size` in site.toml): a
/// first query downloads one bucket's metadata, and one change re-indexes one
/// bucket (measured in docs/performance.md).
pub const BUCKET_SIZE: usize = 5_000;

fn default_search_bucket_size() -> usize {
    BUCKET_SIZE
}

impl SiteConfig {
    /// Reads and checks a site.toml; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Self, BuildError> {
        let text = std::fs::read_to_string(path).map_err(|e| BuildError::io(path, e))?;
        Self::parse(&text).map_err(|message| BuildError::Config {
            path: path.to_owned(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut config: SiteConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "base_url must start with http:// or https://, got {:?}",
                self.base_url
            ));
        }
        if self.search_bucket_size < 10 {
            return Err(format!(
                "search_bucket_size must be at least 10, got {}",
                self.search_bucket_size
            ));
        }
        if self.alert_interval_seconds == 0 || self.alert_mails_per_minute == 0 {
            return Err(
                "alert_interval_seconds and alert_mails_per_minute must be at least 1".into(),
            );
        }
        if self.domains.is_empty() {
            return Err("at least one [[domains]] entry is needed".into());
        }
        for (index, domain) in self.domains.iter().enumerate() {
            if domain.slug.is_empty() || offers::slug::slugify(&domain.slug) != domain.slug {
                return Err(format!(
                    "domain slug {:?} must be lower-case ASCII words joined by hyphens",
                    domain.slug
                ));
            }
            if self.domains[..index].iter().any(|d| d.slug == domain.slug) {
                return Err(format!("domain slug {:?} is listed twice", domain.slug));
            }
        }
        if !(1..=500).contains(&self.page_size) {
            return Err("page_size must be between 1 and 500".into());
        }
        if !(1..=365).contains(&self.offer_lifetime_days) {
            return Err("offer_lifetime_days must be between 1 and 365".into());
        }
        if !(0..=365).contains(&self.keep_closed_days) {
            return Err("keep_closed_days must be between 0 and 365".into());
        }
        if !(0..=600).contains(&self.min_fill_seconds) {
            return Err("min_fill_seconds must be between 0 and 600".into());
        }
        if !self.moderation_email.contains('@') {
            return Err(format!(
                "moderation_email must be an address, got {:?}",
                self.moderation_email
            ));
        }
        if self.report_threshold == 0 {
            return Err("report_threshold must be at least 1".into());
        }
        if !(1..=90).contains(&self.report_window_days) {
            return Err("report_window_days must be between 1 and 90".into());
        }
        if !self.mail_from.contains('@') {
            return Err(format!(
                "mail_from must be an address like \"Entraide <ne-pas-repondre@exemple.fr>\", got {:?}",
                self.mail_from
            ));
        }
        if let Some(domain) = &self.reply_domain {
            let valid = !domain.is_empty()
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && !label.starts_with('-')
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !valid {
                return Err(format!(
                    "reply_domain must be a domain name like reponses.exemple.fr, got {domain:?}"
                ));
            }
        }
        if !(1..=365).contains(&self.conversation_days) {
            return Err("conversation_days must be between 1 and 365".into());
        }
        if !(1024..=10 * 1024 * 1024).contains(&self.relay_max_bytes) {
            return Err("relay_max_bytes must be between 1024 and 10485760".into());
        }
        if !(1..=1000).contains(&self.feed_size) {
            return Err("feed_size must be between 1 and 1000".into());
        }
        Ok(())
    }

    pub fn domain(&self, slug: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.slug == slug)
    }

    pub fn domain_slugs(&self) -> Vec<String> {
        self.domains.iter().map(|d| d.slug.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "Test"
base_url = "https://exemple.fr/"
description = "Un site de test."
[[domains]]
slug = "medical"
label = "Médical"
description = "Santé."
"#;

    #[test]
    fn can_parse_with_defaults() {
        let config = SiteConfig::parse(MINIMAL).unwrap();
        assert_eq!(config.base_url, "https://exemple.fr");
        assert_eq!(config.page_size, 20);
        assert_eq!(config.language, "fr");
    }

    #[test]
    fn the_shipped_config_is_valid() {
        let config = SiteConfig::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../content/site.toml"
        )))
        .unwrap();
        assert_eq!(config.domains.len(), 7);
    }

    #[test]
    fn errors_on_unknown_key_with_line_and_column() {
        let error = SiteConfig::parse(&format!("{MINIMAL}\nfoo = 1\n")).unwrap_err();
        assert!(error.contains("unknown field `foo`"), "{error}");
        // toml reports the position as "line N, column M" or "--> N:M"
        assert!(
            error.contains("line 10") || error.contains("10:"),
            "{error}"
        );
    }

    #[test]
    fn errors_on_bad_values() {
        let error =
            SiteConfig::parse(&MINIMAL.replace("https://exemple.fr/", "exemple.fr")).unwrap_err();
        assert!(error.contains("base_url"), "{error}");
        let error = SiteConfig::parse(&MINIMAL.replace("slug = \"medical\"", "slug = \"Médical\""))
            .unwrap_err();
        assert!(error.contains("slug"), "{error}");
        let error = SiteConfig::parse(&format!("page_size = 0\n{MINIMAL}")).unwrap_err();
        assert!(error.contains("page_size"), "{error}");
    }
}
