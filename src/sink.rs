//! Where documents end up: stdout, or a file written atomically.
//!
//! A file is written to a temporary sibling, flushed to disk and renamed over
//! the target, then the directory is synced: a reader (a wiki, a sync tool)
//! sees the old file or the new one, never half of one, even after a crash.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// A file being written beside its target, under a temporary name
/// (`.minutes-*.tmp`, which an interrupted batch sweeps away). Nothing is at
/// the target until [`AtomicFile::commit`]; dropped uncommitted, it vanishes.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts a file for `target`, creating its parent directories.
    pub fn new(target: &Path) -> Result<Self> {
        let dir = parent(target);
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, &e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".minutes-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::write(target, &e))?;
        Ok(AtomicFile {
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// Where the data goes until commit (for a program that writes it).
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn file(&self) -> &std::fs::File {
        self.tmp.as_file()
    }

    /// Flushes the data to disk, gives the file its final name and
    /// permissions, and syncs the directory so the name survives a crash.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        self.tmp
            .as_file()
            .sync_all()
            .map_err(|e| Error::write(&target, &e))?;
        set_shareable(self.tmp.as_file());
        self.tmp
            .persist(&target)
            .map_err(|e| Error::write(&target, &e.error))?;
        sync_dir(parent(&target));
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let out = AtomicFile::new(path)?;
    out.file()
        .write_all(bytes)
        .map_err(|e| Error::write(path, &e))?;
    out.commit()
}

/// Renames a finished file (already synced) over `to`, and syncs the directory.
pub fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::write(to, &e))?;
    sync_dir(parent(to));
    Ok(())
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Temporary files are created private (0600); a finished document or model
/// gets the usual 0644 instead.
pub fn set_shareable(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Writes the document to stdout. A closed pipe (`| head`) is the error
/// class [`ErrorKind::StdoutClosed`]: the run stops making documents, writes
/// its report and metrics, and exits with success, as command-line tools do.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Err(Error::new(ErrorKind::StdoutClosed, String::new()))
        }
        Err(e) => Err(Error::write(Path::new("<stdout>"), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn unwritable_target_is_a_cannot_write_error() {
        let err = write_atomic(Path::new("/proc/minutes-test/x.txt"), b"x").unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::CannotWrite);
    }
}
