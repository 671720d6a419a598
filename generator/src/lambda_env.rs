//! What both Lambda functions (`api`, `rebuild`) read from their environment
//! to load the site they ship with.

use std::path::PathBuf;

use crate::Site;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A required environment variable.
pub fn variable(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// The site shipped with the function (`ENTRAIDE_SITE`: `content/` and `themes/`),
/// served at `ENTRAIDE_BASE_URL`, its relay's domain `ENTRAIDE_REPLY_DOMAIN`
/// when set.
pub fn site_from_env() -> Result<Site, Error> {
    let site_dir = PathBuf::from(variable("ENTRAIDE_SITE")?);
    let mut site = Site::load(&site_dir, &site_dir.join("themes/default"))?;
    site.config.base_url = variable("ENTRAIDE_BASE_URL")?
        .trim_end_matches('/')
        .to_owned();
    // The stack's ReplyDomain, when set, whatever site.toml says: every
    // function and the pages then agree on whether replies are relayed.
    if let Ok(domain) = std::env::var("ENTRAIDE_REPLY_DOMAIN")
        && !domain.is_empty()
    {
        site.config.reply_domain = Some(domain);
    }
    Ok(site)
}
