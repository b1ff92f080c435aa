//! Which minutes are compared with which, and against which transcript.
//!
//! Two files make one pair with the one transcript given. Two directories
//! make a pair of each file name found in both, with the transcript of the
//! same stem (any transcript extension) from the transcript directory. A
//! name in one directory only is an error, not a pair quietly dropped: a
//! comparison over the pairs one side happened to finish would flatter it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::batch::discover::TRANSCRIPTS;
use crate::error::{Error, ErrorKind, Result};

/// The extensions of minutes files in a directory.
const MINUTES: &[&str] = &["json", "md", "markdown"];

/// Two minutes of one meeting and its transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The file name (of A's file, for two files).
    pub name: String,
    pub a: PathBuf,
    pub b: PathBuf,
    pub transcript: PathBuf,
}

/// The pairs `a`, `b` and `transcript` make; every fault found, if any.
pub fn find(a: &Path, b: &Path, transcript: &Path) -> std::result::Result<Vec<Pair>, Vec<Error>> {
    match (a.is_dir(), b.is_dir()) {
        (false, false) if transcript.is_dir() => Err(vec![
            Error::usage(format!(
                "--transcript {} is a directory, but A and B are files",
                transcript.display()
            ))
            .with_hint("give the transcript file both minutes were made from"),
        ]),
        (false, false) => Ok(vec![Pair {
            name: file_name(a),
            a: a.to_path_buf(),
            b: b.to_path_buf(),
            transcript: transcript.to_path_buf(),
        }]),
        (true, true) => directories(a, b, transcript),
        _ => Err(vec![Error::usage(format!(
            "A ({}) and B ({}) must both be files or both directories",
            a.display(),
            b.display()
        ))]),
    }
}

fn directories(
    a: &Path,
    b: &Path,
    transcripts: &Path,
) -> std::result::Result<Vec<Pair>, Vec<Error>> {
    if transcripts.exists() && !transcripts.is_dir() {
        return Err(vec![
            Error::usage(format!(
                "--transcript {} is a file, but A and B are directories",
                transcripts.display()
            ))
            .with_hint("give a directory holding each pair's transcript under its file stem"),
        ]);
    }
    let (a_files, b_files, found) = (
        listing(a, MINUTES),
        listing(b, MINUTES),
        listing(transcripts, TRANSCRIPTS),
    );
    let (a_files, b_files, found) = match (a_files, b_files, found) {
        (Ok(x), Ok(y), Ok(z)) => (x, y, z),
        (x, y, z) => return Err([x.err(), y.err(), z.err()].into_iter().flatten().collect()),
    };
    let mut errors = Vec::new();
    for (dir, files) in [(a, &a_files), (b, &b_files)] {
        if files.is_empty() {
            errors.push(Error::file(
                ErrorKind::BadInput,
                dir,
                "no minutes files (.json, .md) in this directory",
            ));
        }
    }
    let mut by_stem: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for name in &found {
        by_stem.entry(stem(name)).or_default().push(name);
    }
    let mut pairs = Vec::new();
    let names: BTreeSet<&String> = a_files.iter().chain(&b_files).collect();
    for name in names {
        let (in_a, in_b) = (a_files.contains(name), b_files.contains(name));
        if !(in_a && in_b) {
            let (has, lacks) = if in_a { (a, b) } else { (b, a) };
            errors.push(Error::file(
                ErrorKind::MissingInput,
                &lacks.join(name),
                format!("no such file to pair with {}", has.join(name).display()),
            ));
            continue;
        }
        match by_stem.get(&stem(name)).map(Vec::as_slice) {
            Some([one]) => pairs.push(Pair {
                name: name.clone(),
                a: a.join(name),
                b: b.join(name),
                transcript: transcripts.join(one),
            }),
            Some(several) => errors.push(Error::file(
                ErrorKind::BadInput,
                transcripts,
                format!("several transcripts for {name}: {}", several.join(", ")),
            )),
            None => errors.push(Error::file(
                ErrorKind::MissingInput,
                &transcripts.join(format!("{}.{{{}}}", stem(name), TRANSCRIPTS.join(","))),
                format!("no transcript for {name}"),
            )),
        }
    }
    match errors.is_empty() {
        true => Ok(pairs),
        false => Err(errors),
    }
}

/// The names of the files in `dir` with one of `exts` (any case), sorted.
fn listing(dir: &Path, exts: &[&str]) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::read(dir, &e))?;
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| exts.contains(&e.to_string_lossy().to_lowercase().as_str()))
        })
        .map(|p| file_name(&p))
        .collect();
    names.sort();
    Ok(names)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_pair_by_name_and_find_transcripts_by_stem() {
        let root = tempfile::tempdir().unwrap();
        let dir = |n: &str| {
            let d = root.path().join(n);
            std::fs::create_dir(&d).unwrap();
            d
        };
        let (a, b, t) = (dir("a"), dir("b"), dir("t"));
        for d in [&a, &b] {
            std::fs::write(d.join("one.json"), "{}").unwrap();
            std::fs::write(d.join("two.md"), "").unwrap();
            std::fs::write(d.join("notes.log"), "").unwrap();
        }
        std::fs::write(t.join("one.srt"), "").unwrap();
        std::fs::write(t.join("two.txt"), "").unwrap();
        let pairs = find(&a, &b, &t).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].name, "one.json");
        assert_eq!(pairs[0].transcript, t.join("one.srt"));
        assert_eq!(pairs[1].b, b.join("two.md"));

        std::fs::write(a.join("three.json"), "{}").unwrap();
        std::fs::write(t.join("two.vtt"), "").unwrap();
        let errors = find(&a, &b, &t).unwrap_err();
        let messages: Vec<&str> = errors.iter().map(Error::message).collect();
        assert_eq!(errors.len(), 2, "{messages:?}");
        assert!(messages[0].contains("three.json") && messages[0].contains("no such file"));
        assert_eq!(errors[0].kind(), ErrorKind::MissingInput);
        assert!(messages[1].contains("several transcripts for two.md"));

        let mixed = find(&a, &b.join("one.json"), &t).unwrap_err();
        assert_eq!(mixed[0].kind(), ErrorKind::Usage);
    }
}
