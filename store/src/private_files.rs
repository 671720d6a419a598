//! Files that hold posters' data (the store, the outbox, the signing key) are
//! created readable by their owner only.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700; an existing `dir` is
/// narrowed to 0700 too.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    restrict(dir, 0o700)
}

/// Narrows an existing file to mode 0600.
pub fn make_private(file: &Path) -> io::Result<()> {
    restrict(file, 0o600)
}

/// Creates `file` empty with mode 0600 if it does not exist; leaves it alone
/// otherwise.
pub fn touch_private(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file).map(drop)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
