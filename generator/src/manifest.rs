//! The build manifest: every file the build wrote, with the hash and size of its
//! bytes (what a deploy compares) and the hash of its inputs (what lets a rebuild
//! skip rendering pages whose inputs did not change).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BuildError;

pub const MANIFEST_FILE: &str = ".manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub hash: String,
    pub size: u64,
    pub input: String,
}

/// A manifest's files by path, as builds look them up (paths are the build's own,
/// not a visitor's: a fast hash without flooding protection is fine).
pub type Files = rustc_hash::FxHashMap<String, Entry>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, Entry>,
}

/// A manifest's files as sorted pairs: serialised like `Manifest` (a JSON map).
#[derive(Serialize)]
struct SortedFiles<'a> {
    #[serde(serialize_with = "as_map")]
    files: Vec<(&'a String, &'a Entry)>,
}

fn as_map<S: serde::Serializer>(
    files: &[(&String, &Entry)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(files.iter().copied())
}

impl Manifest {
    /// The manifest of the last build in `out`, or an empty one.
    pub fn load(out: &Path) -> Manifest {
        std::fs::read(out.join(MANIFEST_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves these files as the manifest of `out`, sorted by path.
    pub fn save(files: &Files, out: &Path) -> Result<(), BuildError> {
        let mut sorted: Vec<(&String, &Entry)> = files.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let manifest = SortedFiles { files: sorted };
        // About 210 bytes an entry: one allocation instead of a growing buffer.
        let mut bytes = Vec::with_capacity(files.len() * 256);
        serde_json::to_writer(&mut bytes, &manifest).map_err(|e| BuildError::Render {
            path: MANIFEST_FILE.into(),
            message: e.to_string(),
        })?;
        // A temporary file of its own name (two builds of one folder never
        // write the same temporary file), renamed over the manifest.
        let target = out.join(MANIFEST_FILE);
        let mut file = tempfile::Builder::new()
            .prefix(MANIFEST_FILE)
            .tempfile_in(out)
            .map_err(|e| BuildError::io(out, e))?;
        std::io::Write::write_all(&mut file, &bytes).map_err(|e| BuildError::io(file.path(), e))?;
        file.persist(&target)
            .map_err(|e| BuildError::io(&target, e.error))?;
        Ok(())
    }
}

/// Writes through a temporary file and a rename, so that a crash never leaves a
/// half-written file behind. The folder is created only if missing (most writes
/// replace a file whose folder exists: no system call spent checking).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let written = match std::fs::write(&tmp, bytes) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
            }
            std::fs::write(&tmp, bytes)
        }
        result => result,
    };
    written.map_err(|e| BuildError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| BuildError::io(path, e))
}
