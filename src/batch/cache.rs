//! The content-addressed stage cache: transcripts (keyed by the audio's hash
//! and the speech settings), corrected chunks and chunk notes (keyed by their
//! text, prompt, model and language).
//!
//! It is what makes runs resumable: a run killed during the map phase finds
//! its finished chunks here, and changing only the reduce prompt reuses every
//! transcript and chunk. Entries carry a checksum of their payload; anything
//! unreadable, truncated or altered is ignored, removed and rebuilt, never
//! trusted. The directory is private (0700): it holds meeting content.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hash::hex;

const MAGIC: &str = "minutes-cache-v1";

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache at `dir`, or `$XDG_CACHE_HOME/minutes`.
    pub fn open(dir: Option<&Path>) -> Result<Cache> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => {
                use etcetera::BaseStrategy;
                let base = etcetera::choose_base_strategy()
                    .map_err(|_| Error::config("cannot find a home directory; pass --cache-dir"))?;
                base.cache_dir().join("minutes")
            }
        };
        // A folder the user already has keeps its permissions: only one
        // made here is made private.
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, &e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
            }
        }
        Ok(Cache { dir })
    }

    fn path(&self, kind: &str, key: &str) -> PathBuf {
        self.dir.join(kind).join(&key[..2.min(key.len())]).join(key)
    }

    /// The payload stored under `key`, if present and intact.
    pub fn get(&self, kind: &str, key: &str) -> Option<Vec<u8>> {
        let path = self.path(kind, key);
        let bytes = std::fs::read(&path).ok()?;
        let payload = verify(&bytes);
        if payload.is_none() {
            tracing::warn!(
                "{}: corrupt cache entry; ignoring and rebuilding it",
                path.display()
            );
            let _ = std::fs::remove_file(&path);
        }
        payload.map(<[u8]>::to_vec)
    }

    /// Stores `payload` under `key` atomically. Failures only cost a cache miss later.
    pub fn put(&self, kind: &str, key: &str, payload: &[u8]) {
        let path = self.path(kind, key);
        let mut bytes = format!("{MAGIC} {}\n", hex(&Sha256::digest(payload))).into_bytes();
        bytes.extend_from_slice(payload);
        if let Err(e) = crate::sink::write_atomic(&path, &bytes) {
            tracing::warn!("cannot write the cache: {}", e.message());
        }
    }
}

fn verify(bytes: &[u8]) -> Option<&[u8]> {
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..newline]).ok()?;
    let sum = header.strip_prefix(MAGIC)?.trim();
    let payload = &bytes[newline + 1..];
    (hex(&Sha256::digest(payload)) == sum).then_some(payload)
}

impl crate::summarize::StageCache for Cache {
    fn get(&self, key: &str) -> Option<String> {
        Cache::get(self, "stages", key).and_then(|b| String::from_utf8(b).ok())
    }

    fn put(&self, key: &str, value: &str) {
        Cache::put(self, "stages", key, value.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_a_folder_made_here_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let mine = d.path().join("shared");
        std::fs::create_dir(&mine).unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o755)).unwrap();
        Cache::open(Some(&mine)).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&mine), 0o755, "a user's folder was chmodded");
        let new = d.path().join("new/cache");
        Cache::open(Some(&new)).unwrap();
        assert_eq!(mode(&new), 0o700);
    }

    #[test]
    fn entries_round_trip_and_corruption_is_a_miss() {
        let d = tempfile::tempdir().unwrap();
        let c = Cache::open(Some(d.path())).unwrap();
        c.put("t", "abcdef", b"payload");
        assert_eq!(c.get("t", "abcdef").as_deref(), Some(&b"payload"[..]));
        let p = c.path("t", "abcdef");
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(c.get("t", "abcdef"), None);
        assert!(!p.exists(), "a corrupt entry is removed");
        std::fs::write(&p, b"garbage").ok();
        assert_eq!(c.get("t", "abcdef"), None);
        assert_eq!(c.get("t", "missing"), None);
    }
}
