//! The state a batch keeps in its output folder: a lock (one writer per
//! folder), and a manifest of what was made from what (so an unchanged
//! folder is skipped without a single model call). Both survive `kill -9`:
//! the lock is released by the kernel, the manifest is written atomically.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

pub const LOCK_FILE: &str = ".minutes.lock";
pub const MANIFEST_FILE: &str = ".minutes-manifest.json";

/// An exclusive lock on an output folder, held until dropped.
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Takes the lock, or fails with exit 75 when another run holds it
    /// (waits instead with `wait`).
    pub fn take(dir: &Path, wait: bool) -> Result<FolderLock> {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, &e))?;
        let path = dir.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::write(&path, &e))?;
        if wait {
            file.lock().map_err(|e| Error::write(&path, &e))?;
        } else if let Err(e) = file.try_lock() {
            return Err(match e {
                std::fs::TryLockError::WouldBlock => Error::new(
                    ErrorKind::Temporary,
                    format!(
                        "{}: another minutes run is writing to this folder",
                        dir.display()
                    ),
                )
                .with_hint("try again later, or pass --wait to queue behind it"),
                std::fs::TryLockError::Error(e) => Error::write(&path, &e),
            });
        }
        Ok(FolderLock { _file: file })
    }
}

/// Removes temporary files a killed run left in `dir` (safe under the lock).
pub fn sweep_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".minutes-") && name != MANIFEST_FILE && e.path().is_file()
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub input: PathBuf,
    pub input_sha256: String,
    /// Size and modification time when hashed, to skip re-hashing unchanged files.
    pub input_size: u64,
    pub input_mtime_ns: u128,
    pub settings_sha256: String,
    pub output: PathBuf,
}

/// What was made from what, keyed by input path.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub entries: BTreeMap<String, Entry>,
}

impl Manifest {
    /// Reads the manifest; a missing or corrupt one is an empty one (things are redone, never trusted).
    pub fn load(dir: &Path) -> Manifest {
        let path = dir.join(MANIFEST_FILE);
        let parsed = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok());
        match parsed {
            Some(m) if m.version == 1 => m,
            Some(_) | None => {
                if path.exists() {
                    tracing::warn!("{}: unreadable manifest; rebuilding it", path.display());
                }
                Manifest {
                    version: 1,
                    entries: BTreeMap::new(),
                }
            }
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::internal(e.to_string()))?;
        crate::sink::write_atomic(&dir.join(MANIFEST_FILE), &text)
    }

    /// The input's content hash, reusing the recorded one when size and mtime are unchanged.
    pub fn input_hash(&self, input: &Path) -> Result<(String, u64, u128)> {
        let meta = std::fs::metadata(input).map_err(|e| Error::read(input, &e))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .unwrap_or(Duration::ZERO)
            .as_nanos();
        if let Some(e) = self.entries.get(&key(input))
            && e.input_size == meta.len()
            && e.input_mtime_ns == mtime
        {
            return Ok((e.input_sha256.clone(), meta.len(), mtime));
        }
        Ok((crate::hash::file(input)?, meta.len(), mtime))
    }

    /// The output `input` was already made into with these settings, if it still exists.
    pub fn done_output(
        &self,
        input: &Path,
        input_sha256: &str,
        settings_sha256: &str,
    ) -> Option<PathBuf> {
        self.entries
            .get(&key(input))
            .filter(|e| {
                e.input_sha256 == input_sha256
                    && e.settings_sha256 == settings_sha256
                    && e.output.is_file()
            })
            .map(|e| e.output.clone())
    }

    pub fn record(&mut self, entry: Entry) {
        self.entries.insert(key(&entry.input), entry);
    }

    /// The input whose output has this file name, if any.
    pub fn owner_of(&self, file_name: &std::ffi::OsStr) -> Option<&Path> {
        self.entries
            .values()
            .find(|e| e.output.file_name() == Some(file_name))
            .map(|e| e.input.as_path())
    }
}

/// Whether two paths name the same input file.
pub fn same_input(a: &Path, b: &Path) -> bool {
    key(a) == key(b)
}

fn key(input: &Path) -> String {
    input
        .canonicalize()
        .unwrap_or_else(|_| input.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let first = FolderLock::take(d.path(), false).unwrap();
        let err = FolderLock::take(d.path(), false).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Temporary);
        drop(first);
        assert!(FolderLock::take(d.path(), false).is_ok());
    }

    #[test]
    fn corrupt_manifests_are_rebuilt_and_hashes_reused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(MANIFEST_FILE), b"{not json").unwrap();
        let mut m = Manifest::load(d.path());
        assert!(m.entries.is_empty());
        let input = d.path().join("a.wav");
        std::fs::write(&input, b"abc").unwrap();
        let (h, size, mtime) = m.input_hash(&input).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let out = d.path().join("a.md");
        std::fs::write(&out, b"m").unwrap();
        m.record(Entry {
            input: input.clone(),
            input_sha256: h.clone(),
            input_size: size,
            input_mtime_ns: mtime,
            settings_sha256: "s".into(),
            output: out.clone(),
        });
        m.save(d.path()).unwrap();
        let m = Manifest::load(d.path());
        assert_eq!(m.done_output(&input, &h, "s"), Some(out.clone()));
        assert_eq!(m.done_output(&input, &h, "other settings"), None);
        std::fs::remove_file(&out).unwrap();
        assert_eq!(
            m.done_output(&input, &h, "s"),
            None,
            "a deleted output is made again"
        );
    }

    #[test]
    fn stale_temporaries_are_swept() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(".minutes-abc.tmp"), b"x").unwrap();
        std::fs::write(d.path().join(MANIFEST_FILE), b"{}").unwrap();
        std::fs::write(d.path().join("keep.md"), b"x").unwrap();
        assert_eq!(sweep_temporaries(d.path()), 1);
        assert!(d.path().join(MANIFEST_FILE).exists() && d.path().join("keep.md").exists());
    }
}
