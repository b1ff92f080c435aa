//! Known whisper.cpp models, the models directory, and how a model is chosen.
//!
//! A model is given as a name (`base.en`) or a path. Names live in the models
//! directory as `ggml-<name>.bin`, the file names whisper.cpp's own download
//! script uses, so a directory filled by other tools works as it is. SHA-1
//! sums are the ones whisper.cpp publishes; where none is published the
//! download is checked against the server's SHA-256 and size instead.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

pub struct KnownModel {
    pub name: &'static str,
    /// Approximate size in MiB, for listings only.
    pub mib: u32,
    pub sha1: Option<&'static str>,
}

const fn m(name: &'static str, mib: u32, sha1: Option<&'static str>) -> KnownModel {
    KnownModel { name, mib, sha1 }
}

/// Ordered from the best default for meetings on a CPU to the smallest.
pub const KNOWN: &[KnownModel] = &[
    m(
        "large-v3-turbo-q5_0",
        547,
        Some("e050f7970618a659205450ad97eb95a18d69c9ee"),
    ),
    m("large-v3-turbo-q8_0", 834, None),
    m("large-v3-turbo", 1549, None),
    m(
        "large-v3",
        2965,
        Some("ad82bf6a9043ceed055076d0fd39f5f186ff8062"),
    ),
    m(
        "large-v3-q5_0",
        1031,
        Some("e6e2ed78495d403bef4b7cff42ef4aaadcfea8de"),
    ),
    m(
        "large-v2",
        2965,
        Some("0f4c8e34f21cf1a914c59d8b3ce882345ad349d6"),
    ),
    m(
        "large-v2-q5_0",
        1031,
        Some("00e39f2196344e901b3a2bd5814807a769bd1630"),
    ),
    m(
        "large-v1",
        2965,
        Some("b1caaf735c4cc1429223d5a74f0f4d0b9b59a299"),
    ),
    m(
        "medium",
        1463,
        Some("fd9727b6e1217c2f614f9b698455c4ffd82463b4"),
    ),
    m(
        "medium.en",
        1463,
        Some("8c30f0e44ce9560643ebd10bbe50cd20eafd3723"),
    ),
    m("medium-q5_0", 514, None),
    m("medium-q8_0", 785, None),
    m(
        "small",
        466,
        Some("55356645c2b361a969dfd0ef2c5a50d530afd8d5"),
    ),
    m(
        "small.en",
        466,
        Some("db8a495a91d927739e50b3fc1cc4c6b8f6c2d022"),
    ),
    m("small-q5_1", 181, None),
    m("small-q8_0", 252, None),
    m("small.en-q5_1", 181, None),
    m("small.en-q8_0", 252, None),
    m(
        "base",
        142,
        Some("465707469ff3a37a2b9b8d8f89f2f99de7299dac"),
    ),
    m(
        "base.en",
        142,
        Some("137c40403d78fd54d454da0f9bd998f78703390c"),
    ),
    m("base-q5_1", 57, None),
    m("base-q8_0", 78, None),
    m("base.en-q5_1", 57, None),
    m("base.en-q8_0", 78, None),
    m("tiny", 75, Some("bd577a113a864445d4c299885e0cb97d4ba92b5f")),
    m(
        "tiny.en",
        75,
        Some("c78c86eb1a8faa21b369bcd33207cc90d64ae9df"),
    ),
    m("tiny-q5_1", 31, None),
    m("tiny-q8_0", 42, None),
    m("tiny.en-q5_1", 31, None),
    m("tiny.en-q8_0", 42, None),
];

pub fn known(name: &str) -> Option<&'static KnownModel> {
    KNOWN.iter().find(|k| k.name == name)
}

/// Where whisper.cpp models are published; `MINUTES_MODELS_URL` overrides it (mirrors, tests).
pub const DEFAULT_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// What whisper.cpp model files start with (`ggml` as a little-endian u32).
pub const MAGIC: &[u8] = b"lmgg";

/// Where to download model `name` from, and how to check it.
pub fn source(name: &str) -> crate::download::Source<'_> {
    let base = crate::env::models_url().unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let known = known(name);
    crate::download::Source {
        name,
        url: format!("{}/{}", base.trim_end_matches('/'), file_name(name)),
        known: known.is_some(),
        sha1: known.and_then(|k| k.sha1),
        sha256: None,
        size: None,
        magic: MAGIC,
    }
}

pub fn file_name(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// The model name of a `ggml-<name>.bin` file, if it is one.
pub fn name_of_file(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    Some(
        file.strip_prefix("ggml-")?
            .strip_suffix(".bin")?
            .to_string(),
    )
}

/// The default models directory: `$XDG_DATA_HOME/minutes/models`.
pub fn default_models_dir() -> Result<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy()
        .map_err(|_| Error::config("cannot find a home directory; pass --models-dir"))?;
    Ok(base.data_dir().join("minutes").join("models"))
}

/// Model files present in `dir`, by name, in the preference order of [`KNOWN`]
/// followed by other `ggml-*.bin` files (imported ones) alphabetically.
pub fn present(dir: &Path) -> Vec<(String, PathBuf, u64)> {
    let mut others = Vec::new();
    let mut known_found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = name_of_file(&path) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            match KNOWN.iter().position(|k| k.name == name) {
                Some(rank) => known_found.push((rank, name, path, meta.len())),
                None => others.push((name, path, meta.len())),
            }
        }
    }
    known_found.sort_by_key(|k| k.0);
    others.sort();
    known_found
        .into_iter()
        .map(|(_, n, p, l)| (n, p, l))
        .chain(others)
        .collect()
}

/// Whether a `--stt-model` value names a file rather than a model.
fn looks_like_path(value: &str) -> bool {
    value.contains(std::path::MAIN_SEPARATOR) || value.contains('/') || value.ends_with(".bin")
}

/// Resolves a model given by name or path; with none given, picks one present
/// in the models directory.
pub fn resolve(choice: Option<&str>, dir: &Path) -> Result<(String, PathBuf)> {
    let Some(value) = choice else {
        return match present(dir).into_iter().next() {
            Some((name, path, _)) => Ok((name, path)),
            None => Err(Error::config(format!("no speech model in {}", dir.display())).with_hint(
                "run `minutes models pull large-v3-turbo-q5_0` (accurate, 547 MB) or `minutes models pull base` (fast, 142 MB), or `models import DIR`, or pass --stt-model PATH",
            )),
        };
    };
    if looks_like_path(value) || Path::new(value).is_file() {
        let path = PathBuf::from(value);
        if !path.is_file() {
            return Err(Error::file(
                ErrorKind::MissingInput,
                &path,
                "model file not found",
            ));
        }
        let name = name_of_file(&path).unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        return Ok((name, path));
    }
    let path = dir.join(file_name(value));
    if path.is_file() {
        return Ok((value.to_string(), path));
    }
    if known(value).is_some() {
        Err(Error::new(
            ErrorKind::MissingInput,
            format!("model {value} is not in {}", dir.display()),
        )
        .with_hint(format!("run `minutes models pull {value}`")))
    } else {
        Err(Error::usage(format!("unknown model {value}")).with_hint(
            "`minutes models list` shows the known names; a path to a ggml file works too",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files_round_trip() {
        assert_eq!(
            name_of_file(Path::new("/m/ggml-base.en.bin")).as_deref(),
            Some("base.en")
        );
        assert_eq!(name_of_file(Path::new("model.bin")), None);
        assert!(
            KNOWN
                .iter()
                .all(|k| name_of_file(Path::new(&file_name(k.name))).as_deref() == Some(k.name))
        );
    }

    #[test]
    fn resolution_prefers_known_models_and_explains_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve(None, dir.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        std::fs::write(dir.path().join("ggml-mine.bin"), b"x").unwrap();
        std::fs::write(dir.path().join("ggml-tiny.bin"), b"x").unwrap();
        std::fs::write(dir.path().join("ggml-small.bin"), b"x").unwrap();
        assert_eq!(resolve(None, dir.path()).unwrap().0, "small");
        assert_eq!(resolve(Some("mine"), dir.path()).unwrap().0, "mine");
        assert_eq!(
            resolve(Some("base"), dir.path()).unwrap_err().kind(),
            ErrorKind::MissingInput
        );
        assert_eq!(
            resolve(Some("nonsense"), dir.path()).unwrap_err().kind(),
            ErrorKind::Usage
        );
        assert_eq!(
            resolve(Some("/no/such.bin"), dir.path())
                .unwrap_err()
                .kind(),
            ErrorKind::MissingInput
        );
    }
}
