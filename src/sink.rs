//! Where documents end up: stdout, or a file written atomically.
//!
//! A file is written to a temporary sibling, flushed to disk and renamed over
//! the target, then the directory is synced: a reader (a wiki, a sync tool)
//! sees the old file or the new one, never half of one, even after a crash.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, &e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".minutes-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::write(path, &e))?;
    tmp.write_all(bytes).map_err(|e| Error::write(path, &e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::write(path, &e))?;
    set_shareable(tmp.as_file());
    tmp.persist(path)
        .map_err(|e| Error::write(path, &e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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

/// Writes the document to stdout. A closed pipe (`| head`) ends the program
/// quietly with success, as command-line tools do.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
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
