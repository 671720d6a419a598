//! Publishing a built site to S3 behind CloudFront, and the rebuild Lambda's work.
//!
//! A publish compares the build's manifest with the manifest of the last publish
//! (kept in the bucket) and sends only what differs: fingerprinted assets first,
//! then pages, then deletions (refused past a guard), then one CloudFront
//! invalidation of exactly the changed paths, and the new manifest last. A publish
//! that fails anywhere leaves the last manifest in place, so the next one sends
//! everything that may be missing; deletions never happen before every upload
//! succeeded, so the previous site stays whole.

pub mod rebuild;

use std::path::{Path, PathBuf};

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures_util::StreamExt;
use generator::manifest::{MANIFEST_FILE, Manifest};

/// Uploads in flight at once.
const CONCURRENT_UPLOADS: usize = 16;
/// DeleteObjects' limit.
const DELETE_BATCH: usize = 1000;
/// Past this many changed paths, one `/*` invalidation is cheaper (CloudFront bills
/// per path, and allows 3,000 file paths in flight).
const MAX_INVALIDATION_PATHS: usize = 1000;
/// Published fingerprinted assets never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Pages: browsers revalidate, CloudFront keeps them a day at most (each publish
/// invalidates what it changed).
const REVALIDATE: &str = "public, max-age=0, s-maxage=86400, must-revalidate";

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0} : lecture impossible ({1})")]
    Read(PathBuf, std::io::Error),
    #[error("le dossier {0} ne contient pas de site construit (pas de {MANIFEST_FILE})")]
    NotBuilt(PathBuf),
    #[error("envoi vers S3 impossible : {0}")]
    Storage(String),
    #[error("invalidation CloudFront impossible : {0}")]
    Cdn(String),
    #[error(
        "{deletions} fichiers à supprimer sur {published} publiés : refusé par précaution (au-delà de {limit}). Vérifiez la base, ou relancez avec --allow-mass-deletion."
    )]
    MassDeletion {
        deletions: usize,
        published: usize,
        limit: usize,
    },
}

fn storage<E: std::error::Error>(error: E) -> PublishError {
    PublishError::Storage(DisplayErrorContext(error).to_string())
}

/// Where a site goes.
pub struct Target {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    /// Prepended to every key (`""` or a folder ending in `/`).
    pub prefix: String,
    pub cdn: Option<Cdn>,
}

pub struct Cdn {
    pub client: aws_sdk_cloudfront::Client,
    pub distribution: String,
}

impl Target {
    /// Clients configured from the standard AWS environment. A custom endpoint
    /// (`AWS_ENDPOINT_URL`: an S3-compatible server) gets path-style addressing.
    pub async fn from_env(bucket: &str, prefix: &str, distribution: Option<&str>) -> Target {
        let config = aws_config::load_from_env().await;
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        let prefix = match prefix.trim_matches('/') {
            "" => String::new(),
            folder => format!("{folder}/"),
        };
        Target {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            bucket: bucket.to_owned(),
            prefix,
            cdn: distribution.map(|id| Cdn {
                client: aws_sdk_cloudfront::Client::new(&config),
                distribution: id.to_owned(),
            }),
        }
    }

    fn key(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The manifest of the last publish, or an empty one for a first publish.
    async fn published_manifest(&self) -> Result<Manifest, PublishError> {
        let fetched = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(MANIFEST_FILE))
            .send()
            .await;
        let object = match fetched {
            Ok(object) => object,
            Err(error) if error.code() == Some("NoSuchKey") => return Ok(Manifest::default()),
            Err(error) => return Err(storage(error)),
        };
        let bytes = object.body.collect().await.map_err(storage)?.into_bytes();
        serde_json::from_slice(&bytes)
            .map_err(|e| PublishError::Storage(format!("manifeste publié illisible : {e}")))
    }

    async fn upload(&self, out: &Path, path: &str) -> Result<u64, PublishError> {
        let file = out.join(path);
        let bytes = tokio::fs::read(&file)
            .await
            .map_err(|e| PublishError::Read(file, e))?;
        let size = bytes.len() as u64;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(path))
            .content_type(content_type(path))
            .cache_control(cache_control(path))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(storage)?;
        Ok(size)
    }

    async fn delete(&self, paths: &[String]) -> Result<(), PublishError> {
        for batch in paths.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|path| ObjectIdentifier::builder().key(self.key(path)).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(storage)?;
            let output = self
                .s3
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(storage)?;
            if let Some(error) = output.errors().first() {
                return Err(PublishError::Storage(format!(
                    "{} : {}",
                    error.key().unwrap_or("?"),
                    error.message().unwrap_or("suppression refusée")
                )));
            }
        }
        Ok(())
    }

    async fn invalidate(&self, paths: Vec<String>) -> Result<usize, PublishError> {
        let Some(cdn) = &self.cdn else {
            return Ok(0);
        };
        if paths.is_empty() {
            return Ok(0);
        }
        let count = paths.len() as i32;
        let batch = InvalidationBatch::builder()
            .paths(
                Paths::builder()
                    .quantity(count)
                    .set_items(Some(paths))
                    .build()
                    .map_err(|e| PublishError::Cdn(e.to_string()))?,
            )
            .caller_reference(ulid::Ulid::new().to_string())
            .build()
            .map_err(|e| PublishError::Cdn(e.to_string()))?;
        cdn.client
            .create_invalidation()
            .distribution_id(&cdn.distribution)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| PublishError::Cdn(DisplayErrorContext(e).to_string()))?;
        Ok(count as usize)
    }

    async fn save_manifest(&self, manifest: &Manifest) -> Result<(), PublishError> {
        let bytes = serde_json::to_vec(manifest)
            .map_err(|e| PublishError::Storage(format!("manifeste : {e}")))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(MANIFEST_FILE))
            .content_type("application/json")
            .cache_control("no-store")
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(storage)?;
        Ok(())
    }
}

/// What a publish has to do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Fingerprinted assets and other files that name nothing, sent first: new
    /// pages may already point at them.
    pub assets: Vec<String>,
    /// Pages, and the search index's entry files that name its data files.
    pub pages: Vec<String>,
    pub deletions: Vec<String>,
    pub unchanged: usize,
}

/// Pages, and the search index's lists (`pagefind-entry.json`, `buckets.json`):
/// they must not go live before the files they name.
fn names_other_files(path: &str) -> bool {
    path.ends_with(".html")
        || path.ends_with("/pagefind-entry.json")
        || path == "pagefind/buckets.json"
}

/// Compares the build's manifest with the last published one.
pub fn plan(local: &Manifest, published: &Manifest) -> Plan {
    let mut plan = Plan::default();
    for (path, entry) in &local.files {
        if published.files.get(path).map(|e| &e.hash) == Some(&entry.hash) {
            plan.unchanged += 1;
        } else if names_other_files(path) {
            plan.pages.push(path.clone());
        } else {
            plan.assets.push(path.clone());
        }
    }
    plan.deletions = published
        .files
        .keys()
        .filter(|path| !local.files.contains_key(*path))
        .cloned()
        .collect();
    plan
}

/// The most files a publish may delete without `allow_mass_deletion`: a tenth of
/// the site, and never fewer than 100 (a small site's normal churn).
pub fn deletion_limit(published: usize) -> usize {
    (published / 10).max(100)
}

/// The URL paths CloudFront must forget: exactly the changed ones, or the whole
/// site when there are too many to list.
fn invalidation_paths(plan: &Plan) -> Vec<String> {
    let changed = plan.pages.iter().chain(&plan.assets).chain(&plan.deletions);
    if plan.pages.len() + plan.assets.len() + plan.deletions.len() > MAX_INVALIDATION_PATHS {
        return vec!["/*".to_owned()];
    }
    changed.map(|path| format!("/{path}")).collect()
}

pub fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "json" | "xml" | "javascript");
    if text {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub uploaded: usize,
    pub bytes: u64,
    pub deleted: usize,
    pub unchanged: usize,
    pub invalidated: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} fichiers envoyés ({:.1} Mo), {} supprimés, {} inchangés, {} chemins invalidés",
            self.uploaded,
            self.bytes as f64 / 1e6,
            self.deleted,
            self.unchanged,
            self.invalidated
        )
    }
}

/// Publishes the site built in `out` to `target`.
pub async fn publish(
    out: &Path,
    target: &Target,
    allow_mass_deletion: bool,
) -> Result<Report, PublishError> {
    let manifest_path = out.join(MANIFEST_FILE);
    if !manifest_path.is_file() {
        return Err(PublishError::NotBuilt(out.to_owned()));
    }
    let local = Manifest::load(out);
    let published = target.published_manifest().await?;
    let plan = plan(&local, &published);
    let limit = deletion_limit(published.files.len());
    if plan.deletions.len() > limit && !allow_mass_deletion {
        return Err(PublishError::MassDeletion {
            deletions: plan.deletions.len(),
            published: published.files.len(),
            limit,
        });
    }
    let mut report = Report {
        unchanged: plan.unchanged,
        ..Report::default()
    };
    for group in [&plan.assets, &plan.pages] {
        let mut uploads = futures_util::stream::iter(group)
            .map(|path| target.upload(out, path))
            .buffer_unordered(CONCURRENT_UPLOADS);
        while let Some(size) = uploads.next().await {
            report.bytes += size?;
            report.uploaded += 1;
        }
    }
    target.delete(&plan.deletions).await?;
    report.deleted = plan.deletions.len();
    report.invalidated = target.invalidate(invalidation_paths(&plan)).await?;
    if local != published {
        target.save_manifest(&local).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use generator::manifest::Entry;

    fn manifest(files: &[(&str, &str)]) -> Manifest {
        let entry = |hash: &str| Entry {
            hash: hash.into(),
            size: 1,
            input: String::new(),
        };
        Manifest {
            files: files
                .iter()
                .map(|(path, hash)| (path.to_string(), entry(hash)))
                .collect(),
        }
    }

    #[test]
    fn can_plan_only_what_changed() {
        let published = manifest(&[("index.html", "a"), ("old/index.html", "b"), ("x.css", "c")]);
        let local = manifest(&[
            ("index.html", "A"),
            ("x.css", "c"),
            ("assets/y.1.js", "d"),
            ("pagefind/b/pagefind-entry.json", "e"),
            ("pagefind/b/index/fr_1.pf_index", "f"),
        ]);
        let plan = plan(&local, &published);
        assert_eq!(
            plan.pages,
            vec!["index.html", "pagefind/b/pagefind-entry.json"]
        );
        assert_eq!(
            plan.assets,
            vec!["assets/y.1.js", "pagefind/b/index/fr_1.pf_index"]
        );
        assert_eq!(plan.deletions, vec!["old/index.html"]);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(
            invalidation_paths(&plan),
            vec![
                "/index.html",
                "/pagefind/b/pagefind-entry.json",
                "/assets/y.1.js",
                "/pagefind/b/index/fr_1.pf_index",
                "/old/index.html"
            ]
        );
    }

    #[test]
    fn can_invalidate_everything_past_the_limit() {
        let plan = Plan {
            pages: (0..=MAX_INVALIDATION_PATHS)
                .map(|n| format!("{n}.html"))
                .collect(),
            ..Plan::default()
        };
        assert_eq!(invalidation_paths(&plan), vec!["/*"]);
        assert_eq!(deletion_limit(50), 100);
        assert_eq!(deletion_limit(100_000), 10_000);
    }

    #[test]
    fn can_name_types_and_caching() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/style.1a.css"),
            "text/css; charset=utf-8"
        );
        assert_eq!(
            content_type("donnees/annonces.json"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type("annonces/atom.xml"), "text/xml; charset=utf-8");
        assert_eq!(content_type("assets/logo.1a.png"), "image/png");
        assert_eq!(cache_control("assets/style.1a.css"), IMMUTABLE);
        assert_eq!(cache_control("annonces/index.html"), REVALIDATE);
    }
}
