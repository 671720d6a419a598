//! The Entraide site builder: from a site folder (config, content, theme) and the
//! offers of a store to a folder of static files, in explicit phases.

pub mod build;
pub mod completion;
pub mod config;
pub mod content;
pub mod context;
pub mod forms;
pub mod french;
mod jobs;
pub mod lambda_env;
mod listing;
pub mod live;
pub mod manifest;
mod plan;
mod prepared;
mod render;
mod scope;
pub mod search;
pub mod theme;
pub mod urls;
pub mod view;

use std::path::{Path, PathBuf};

pub use build::{Build, BuildOptions, BuildReport, Progress, Site, build, drop_in_background};
pub use config::SiteConfig;
pub use live::LiveSite;
pub use render::CSV_COLUMNS as OPEN_DATA_COLUMNS;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Content { path: PathBuf, message: String },
    #[error("template error: {0}")]
    Template(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot render {path}: {message}")]
    Render { path: String, message: String },
    #[error("a build thread panicked")]
    Poisoned,
}

impl BuildError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        BuildError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl From<tera::Error> for BuildError {
    fn from(error: tera::Error) -> Self {
        // tera nests the useful part in its sources.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        BuildError::Template(message)
    }
}
