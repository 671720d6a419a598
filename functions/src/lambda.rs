//! What both Lambda functions read from their environment.

use std::path::PathBuf;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A required environment variable.
pub fn variable(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// The site shipped with the function (`ENTRAIDE_SITE`: `content/` and `themes/`),
/// served at `ENTRAIDE_BASE_URL`.
pub fn site_from_env() -> Result<generator::Site, Error> {
    let site_dir = PathBuf::from(variable("ENTRAIDE_SITE")?);
    let mut site = generator::Site::load(&site_dir, &site_dir.join("themes/default"))?;
    site.config.base_url = variable("ENTRAIDE_BASE_URL")?
        .trim_end_matches('/')
        .to_owned();
    Ok(site)
}
