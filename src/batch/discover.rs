//! Which files a run works on: files, directories (optionally recursive) and
//! quoted globs (cron jobs often pass them unexpanded), filtered by extension,
//! in a deterministic order, each once.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// Extensions of recordings the decoders read.
pub const MEDIA: &[&str] = &[
    "mp4", "m4a", "m4v", "mov", "mkv", "webm", "mp3", "wav", "flac", "ogg", "oga", "opus", "aac",
    "caf", "aif", "aiff", "wma", "avi", "3gp", "amr",
];

/// Extensions of transcripts `summarize` reads.
pub const TRANSCRIPTS: &[&str] = &["txt", "srt", "vtt", "json"];

fn has_ext(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Expands `args` into input files. Files named directly are kept whatever
/// their extension (the decoder will judge them); files found in directories
/// or by globs must have one of `exts`.
pub fn inputs(args: &[PathBuf], recursive: bool, exts: &[&str]) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for arg in args {
        let text = arg.to_string_lossy();
        if arg.is_dir() {
            let mut found = Vec::new();
            walk(arg, recursive, exts, &mut found)?;
            found.sort();
            out.extend(found);
        } else if !arg.exists() && text.contains(['*', '?', '[']) {
            let pattern =
                glob::glob(&text).map_err(|e| Error::usage(format!("bad pattern {text}: {e}")))?;
            let mut found: Vec<PathBuf> = pattern
                .filter_map(|p| p.ok())
                .filter(|p| p.is_file() && has_ext(p, exts) && !hidden(p))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(Error::file(ErrorKind::MissingInput, arg, "no files match"));
            }
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    Ok(out)
}

fn walk(dir: &Path, recursive: bool, exts: &[&str], out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::read(dir, &e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::read(dir, &e))?.path();
        if hidden(&path) {
            continue;
        }
        if path.is_dir() {
            if recursive {
                walk(&path, recursive, exts, out)?;
            }
        } else if has_ext(&path, exts) {
            out.push(path);
        }
    }
    Ok(())
}

/// Deterministic shard membership: a stable hash of the path's text, so N
/// machines given the same folder split it without talking to each other.
pub fn in_shard(path: &Path, shard: (u32, u32)) -> bool {
    use sha2::{Digest, Sha256};
    let (index, count) = shard;
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    let n = u64::from_le_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    n % u64::from(count) == u64::from(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_in_order_and_filtered() {
        let d = tempfile::tempdir().unwrap();
        for f in ["b.mp4", "a.wav", "notes.pdf", ".hidden.wav", "sub/c.m4a"] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        let flat = inputs(&[d.path().to_path_buf()], false, MEDIA).unwrap();
        let names: Vec<_> = flat
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.wav", "b.mp4"]);
        let deep = inputs(&[d.path().to_path_buf()], true, MEDIA).unwrap();
        assert_eq!(deep.len(), 3);
        let glob = inputs(&[d.path().join("*.wav")], false, MEDIA).unwrap();
        assert_eq!(glob.len(), 1);
        let twice = inputs(
            &[d.path().join("a.wav"), d.path().join("a.wav")],
            false,
            MEDIA,
        )
        .unwrap();
        assert_eq!(twice.len(), 1);
    }

    #[test]
    fn shards_partition_the_inputs() {
        let paths: Vec<PathBuf> = (0..100)
            .map(|i| PathBuf::from(format!("/m/{i}.mp4")))
            .collect();
        let mut total = 0;
        for i in 0..3 {
            let n = paths.iter().filter(|p| in_shard(p, (i, 3))).count();
            assert!(n > 15, "shard {i} got {n}");
            total += n;
        }
        assert_eq!(total, 100);
    }
}
