//! The profile store: one JSON file, one profile a line, written atomically.
//!
//! A store that cannot be read is an error that names it (bad input), and
//! nothing overwrites it: profiles are made from recordings the user may no
//! longer have, so a store is never "repaired" by dropping what it held.
//! Names are checked on the way in and on the way out, so a hand-edited
//! file cannot put a label-like name or a line break into a transcript.

use std::path::{Path, PathBuf};

use minutes_voice::encoder::DIM;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::Profile;
use crate::error::{Error, ErrorKind, Result};

/// The store's `format`; bump it when the layout or the speaker model changes.
pub const FORMAT: &str = "minutes-voices-2";
/// Profiles made with the previous speaker model (GE2E): they cannot be
/// compared with CAM++ embeddings.
const OLD_FORMAT: &str = "minutes-voices-1";
/// The store's file name in the data directory.
pub const STORE_FILE: &str = "voices.json";
/// Longest name accepted, in characters.
const MAX_NAME: usize = 64;

/// `$XDG_DATA_HOME/minutes/voices.json`, when there is a home directory.
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().ok()?;
    Some(base.data_dir().join("minutes").join(STORE_FILE))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    format: String,
    profiles: Vec<Profile>,
}

/// The profiles in their file.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    profiles: Vec<Profile>,
    /// SHA-256 of the file as read.
    digest: Option<String>,
}

impl Store {
    /// Reads the store; a file that does not exist (or is blank) holds no profiles.
    pub fn load(path: &Path) -> Result<Store> {
        let mut store = Store {
            path: path.to_path_buf(),
            profiles: Vec::new(),
            digest: None,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(Error::read(path, &e)),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(store);
        }
        let corrupt = |why: String| {
            Error::file(
                ErrorKind::BadInput,
                path,
                format!("not a voice profile store: {why}"),
            )
            .with_hint("nothing was changed; fix or remove the file, then enroll again with `minutes speakers add`")
        };
        let file: StoreFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if file.format == OLD_FORMAT {
            return Err(Error::file(
                ErrorKind::BadInput,
                path,
                "its profiles were made with the previous speaker model and cannot be compared with this one",
            )
            .with_hint("nothing was changed; move the file aside and enroll the voices again with `minutes speakers add`"));
        }
        if file.format != FORMAT {
            return Err(corrupt(format!(
                "format {:?}, expected {FORMAT:?} (written by another version of minutes?)",
                file.format
            )));
        }
        for (i, p) in file.profiles.iter().enumerate() {
            let bad = |why: &str| corrupt(format!("profile {:?}: {why}", p.name));
            if let Some(why) = name_problem(&p.name) {
                return Err(bad(why));
            }
            if file.profiles[..i]
                .iter()
                .any(|q| same_name(&q.name, &p.name))
            {
                return Err(bad("the name appears twice"));
            }
            let norm = p.embedding.iter().map(|v| v * v).sum::<f32>().sqrt();
            if p.embedding.len() != DIM || !(0.99..=1.01).contains(&norm) {
                return Err(bad(&format!(
                    "the embedding is not {DIM} values of unit length"
                )));
            }
            if !(p.seconds.is_finite() && p.seconds >= 0.0) {
                return Err(bad("seconds is not a duration"));
            }
        }
        store.profiles = file.profiles;
        store.digest = Some(crate::hash::hex(&sha2::Sha256::digest(&bytes)));
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// For cache keys: the file's hash, or `no-profiles`.
    pub fn key(&self) -> String {
        match (&self.digest, self.profiles.is_empty()) {
            (Some(d), false) => d.clone(),
            _ => "no-profiles".into(),
        }
    }

    /// Adds `profile`, replacing (in place) one of the same name, which is returned.
    pub fn put(&mut self, profile: Profile) -> Option<Profile> {
        match self
            .profiles
            .iter_mut()
            .find(|p| same_name(&p.name, &profile.name))
        {
            Some(old) => Some(std::mem::replace(old, profile)),
            None => {
                self.profiles.push(profile);
                None
            }
        }
    }

    /// Removes the profile called `name` (in any case), if there is one.
    pub fn remove(&mut self, name: &str) -> Option<Profile> {
        let i = self
            .profiles
            .iter()
            .position(|p| same_name(&p.name, name.trim()))?;
        Some(self.profiles.remove(i))
    }

    /// Writes the store atomically: the old file or the new one, never half.
    pub fn save(&self) -> Result<()> {
        let lines: Vec<String> = self
            .profiles
            .iter()
            .map(|p| serde_json::to_string(p).map_err(|e| Error::internal(e.to_string())))
            .collect::<Result<_>>()?;
        let body = match lines.is_empty() {
            true => String::new(),
            false => format!("\n    {}\n  ", lines.join(",\n    ")),
        };
        let text = format!("{{\n  \"format\": \"{FORMAT}\",\n  \"profiles\": [{body}]\n}}\n");
        crate::sink::write_atomic(&self.path, text.as_bytes())
    }
}

/// Names are one person's in any case: `alice` replaces `Alice`.
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Why `name` cannot name a profile, if it cannot.
fn name_problem(name: &str) -> Option<&'static str> {
    let label = name
        .strip_prefix(['S', 's'])
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if name.is_empty() {
        Some("the name is empty")
    } else if name.chars().count() > MAX_NAME {
        Some("the name is longer than 64 characters")
    } else if name.contains(['/', '\\']) {
        Some("a name cannot hold a path separator")
    } else if name.chars().any(char::is_control) {
        Some("a name cannot hold control characters")
    } else if name.contains([':', ',', '=']) {
        Some("a name cannot hold ':', ',' or '=' (transcript lines and --speaker-names use them)")
    } else if label {
        Some("S1, S2, … are reserved for the automatic labels of voices not enrolled")
    } else if name != name.trim() {
        Some("a name cannot start or end with a space")
    } else {
        None
    }
}

/// A name as typed, trimmed and checked (a usage error when it cannot be one).
pub fn check_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    match name_problem(trimmed) {
        None => Ok(trimmed.to_string()),
        Some(why) => Err(Error::usage(format!("speaker name {name:?}: {why}"))
            .with_hint("use the person's name, e.g. `minutes speakers add Alice alice.wav`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(axis: usize) -> Vec<f32> {
        let mut v = vec![0.0; DIM];
        v[axis] = 1.0;
        v
    }

    fn profile(name: &str, axis: usize) -> Profile {
        Profile {
            name: name.into(),
            added: jiff::Timestamp::UNIX_EPOCH,
            seconds: 12.5,
            windows: 15,
            files: vec!["a.wav".into()],
            embedding: unit(axis),
        }
    }

    #[test]
    fn profiles_are_kept_replaced_by_name_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(STORE_FILE);
        let mut store = Store::load(&path).unwrap();
        assert!(store.profiles().is_empty());
        assert_eq!(store.key(), "no-profiles");
        assert!(store.put(profile("Alice", 0)).is_none());
        assert!(store.put(profile("김민수", 1)).is_none());
        store.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 7, "one profile a line: {text}");
        let read = Store::load(&path).unwrap();
        assert_eq!(read.profiles().len(), 2);
        assert_eq!(read.profiles()[1].name, "김민수");
        assert_eq!(read.profiles()[0].embedding, unit(0));
        let before = read.key();
        assert_ne!(before, "no-profiles");
        // Another `alice` replaces Alice, in place.
        let mut store = read;
        let old = store.put(profile("alice", 2)).unwrap();
        assert_eq!(old.name, "Alice");
        assert_eq!(store.profiles()[0].name, "alice");
        store.save().unwrap();
        let mut store = Store::load(&path).unwrap();
        assert_ne!(store.key(), before, "the key follows the contents");
        assert_eq!(store.remove(" ALICE ").unwrap().embedding, unit(2));
        assert!(store.remove("Alice").is_none());
        store.save().unwrap();
        assert_eq!(Store::load(&path).unwrap().profiles().len(), 1);
        // A blank file holds no profiles.
        std::fs::write(&path, "\n").unwrap();
        assert_eq!(Store::load(&path).unwrap().key(), "no-profiles");
    }

    #[test]
    fn profiles_of_the_previous_speaker_model_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_FILE);
        let text = "{\"format\": \"minutes-voices-1\", \"profiles\": []}";
        std::fs::write(&path, text).unwrap();
        let err = Store::load(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadInput);
        assert!(
            err.message().contains("previous speaker model"),
            "{}",
            err.message()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn a_store_that_cannot_be_read_is_bad_input_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_FILE);
        let good = serde_json::to_string(&profile("Alice", 0)).unwrap();
        let cases = [
            "{\"format\": \"minutes-voices-2\", \"profiles\": [".to_string(),
            "[1, 2]".to_string(),
            format!("{{\"format\": \"minutes-voices-9\", \"profiles\": [{good}]}}"),
            format!("{{\"format\": \"{FORMAT}\", \"profiles\": [{good}, {good}]}}"),
            format!(
                "{{\"format\": \"{FORMAT}\", \"profiles\": [{}]}}",
                good.replace("Alice", "S2")
            ),
            format!(
                "{{\"format\": \"{FORMAT}\", \"profiles\": [{}]}}",
                good.replace("Alice", "a\\nb")
            ),
            format!(
                "{{\"format\": \"{FORMAT}\", \"profiles\": [{}]}}",
                good.replace("1.0,", "2.0,")
            ),
            format!(
                "{{\"format\": \"{FORMAT}\", \"profiles\": [{}]}}",
                good.replace("[1.0,", "[")
            ),
            format!("{{\"format\": \"{FORMAT}\", \"extra\": 1, \"profiles\": []}}"),
        ];
        for text in cases {
            std::fs::write(&path, &text).unwrap();
            let err = Store::load(&path).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadInput, "{text}");
            assert!(
                err.message().starts_with(&path.display().to_string()),
                "{}",
                err.message()
            );
            assert!(
                err.message().contains("not a voice profile store"),
                "{}",
                err.message()
            );
        }
        std::fs::write(
            &path,
            format!("{{\"format\": \"{FORMAT}\", \"profiles\": [{good}]}}"),
        )
        .unwrap();
        assert_eq!(Store::load(&path).unwrap().profiles().len(), 1);
        let err = Store::load(dir.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadInput);
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("  Alice ").unwrap(), "Alice");
        for ok in ["김민수", "Anne-Marie O'Neil", "Dr. S", "S", "Sam2", "S1x"] {
            assert_eq!(check_name(ok).unwrap(), ok);
        }
        for bad in [
            "", "  ", "S3", "s12", "a/b", "a\\b", "a:b", "a,b", "a=b", "a\nb", "a\tb",
        ] {
            let err = check_name(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Usage, "{bad:?}");
            assert!(!err.message().contains('\n'), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(MAX_NAME)).is_ok());
        assert!(check_name(&"x".repeat(MAX_NAME + 1)).is_err());
    }
}
