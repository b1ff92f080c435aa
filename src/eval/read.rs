//! The spoken words of a transcript file, for scoring: the tool's own
//! formats (and other tools' subtitles) with everything that is not speech
//! taken out.
//!
//! Files are read by [`crate::transcript::parse`], the same reader
//! `summarize` uses; this module only removes what the formats add around
//! the words: timestamps (done by the reader), speaker labels that
//! `transcribe` writes into the text (`[00:12] S1: …` in plain text, `S1: …`
//! in SubRip), WebVTT voice spans (`<v S1>`), other cue markup (`<i>`,
//! `<c.x>`, `<00:01.000>`) and WebVTT's character references. The JSON
//! transcript keeps speakers in a field of their own, so its text is used
//! as it is.
//!
//! A `Name:` at the start of a line counts as a speaker label when it looks
//! like one (at most three words, starting with a letter, no other
//! punctuation than `.`, `-`, `_` and `'`) and either is `S` with a number,
//! as `transcribe` labels speakers, or starts at least two lines of the
//! file, as a name given with `--speaker-names` does. A line that merely
//! begins `Note: …` once keeps its words.
//!
//! [`transcript`] reads the transcript that minutes under evaluation were
//! made from, segments unchanged, for their evidence check.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{Error, ErrorKind, Result};
use crate::transcript::{Transcript, parse};

/// The file types a transcript or reference may have.
const KINDS: &str = ".txt, .srt, .vtt or .json (a minutes transcript)";

/// The text of a transcript file, one segment a line, without timestamps,
/// speaker labels or markup. A blank file (or one without cues) has no text,
/// which is not an error here: a recogniser may hear nothing.
pub fn text(path: &Path) -> Result<String> {
    let ext = kind(path)?;
    let transcript = parse::read_any(path)?;
    let mut lines: Vec<String> = transcript
        .segments
        .into_iter()
        .map(|s| match ext.as_str() {
            "vtt" => vtt_entities(&VTT_TAG.replace_all(&s.text, "")),
            "srt" => SRT_TAG.replace_all(&s.text, "").into_owned(),
            _ => s.text,
        })
        .collect();
    if ext != "json" {
        strip_labels(&mut lines);
    }
    Ok(lines.join("\n"))
}

/// A transcript the minutes under evaluation were made from, as
/// `summarize` reads it (segments as they are, labels included: evidence
/// quotes are looked up in them). One without any speech is bad input.
pub fn transcript(path: &Path) -> Result<Transcript> {
    kind(path)?;
    parse::read(path)
}

/// The lower-case extension of a transcript file, or why it is not one.
fn kind(path: &Path) -> Result<String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !matches!(ext.as_str(), "txt" | "srt" | "vtt" | "json") {
        let what = if ext.is_empty() {
            "no file extension".to_string()
        } else {
            format!("unsupported file type .{ext}")
        };
        return Err(Error::file(ErrorKind::BadInput, path, what).with_hint(format!("use {KINDS}")));
    }
    Ok(ext)
}

/// Any `<…>` in WebVTT cue text is markup: a literal `<` must be escaped.
static VTT_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<[^<>\n]*>").expect("valid pattern"));
/// SubRip has no escaping: only tag-shaped markup (`<i>`, `</font>`) goes.
static SRT_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"</?[A-Za-z][^<>\n]*>").expect("valid pattern"));

fn vtt_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&amp;", "&")
}

/// Removes speaker labels at the start of lines (see the module docs).
fn strip_labels(lines: &mut [String]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in lines.iter() {
        if let Some((label, _)) = label(line) {
            *seen.entry(label.to_string()).or_default() += 1;
        }
    }
    for line in lines.iter_mut() {
        let Some((label, rest)) = label(line) else {
            continue;
        };
        if is_numbered_speaker(label) || seen.get(label).is_some_and(|&n| n >= 2) {
            *line = rest.trim_start().to_string();
        }
    }
}

/// `(label, rest)` when the line starts like `Label: rest`.
fn label(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let (head, rest) = line.split_once(':')?;
    let shaped = !head.is_empty()
        && head.chars().count() <= 40
        && head.split_whitespace().count() <= 3
        && head.trim_end() == head
        && head.chars().next().is_some_and(char::is_alphabetic)
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '\''));
    let separated = rest.is_empty() || rest.starts_with(char::is_whitespace);
    (shaped && separated).then_some((head, rest))
}

/// `S1`, `S2`, …: the labels `transcribe` gives speakers.
fn is_numbered_speaker(label: &str) -> bool {
    label
        .strip_prefix('S')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn txt_loses_timestamps_and_speaker_labels() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.txt",
            "[00:01] S1: Hello there.\n[00:04] Alice: Hi.\n[00:06] Alice: Note: yes.\n[00:09] Note: kept\n[00:10] S2:\n",
        );
        assert_eq!(
            text(&p).unwrap(),
            "Hello there.\nHi.\nNote: yes.\nNote: kept\n"
        );
        let plain = write(dir.path(), "b.txt", "Agenda: one item\nat 10:30 we met\n");
        assert_eq!(text(&plain).unwrap(), "Agenda: one item\nat 10:30 we met");
    }

    #[test]
    fn subtitles_lose_labels_voices_and_markup() {
        let dir = tempfile::tempdir().unwrap();
        let srt = write(
            dir.path(),
            "a.srt",
            "1\n00:00:00,000 --> 00:00:01,500\nS1: <i>Hello</i> there.\n\n2\n00:00:02,000 --> 00:00:03,000\n3 < 5 and 6 > 4\n\n",
        );
        assert_eq!(text(&srt).unwrap(), "Hello there.\n3 < 5 and 6 > 4");
        let vtt = write(
            dir.path(),
            "a.vtt",
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n<v S1>Tom &amp; Jerry &lt;3\n\n00:00:02.000 --> 00:00:03.000\n<v.loud Bob>Bye<00:02.500> <c.x>now</c>\n\n",
        );
        assert_eq!(text(&vtt).unwrap(), "Tom & Jerry <3\nBye now");
    }

    #[test]
    fn json_text_is_used_as_it_is_and_blank_files_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let json = write(
            dir.path(),
            "a.json",
            r#"{"source":"a.wav","model":"tiny","language":"en","duration":2.0,
               "segments":[{"start":0.0,"end":1.0,"text":" Note: hi","speaker":"S1"},
                           {"start":1.0,"end":2.0,"text":" there"}]}"#,
        );
        assert_eq!(text(&json).unwrap(), " Note: hi\n there");
        for name in ["blank.txt", "blank.srt", "blank.vtt", "blank.json"] {
            assert_eq!(text(&write(dir.path(), name, " \n")).unwrap(), "", "{name}");
        }
    }

    #[test]
    fn bad_files_name_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let docx = write(dir.path(), "a.docx", "x");
        let e = text(&docx).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadInput);
        assert!(e.message().contains("a.docx") && e.message().contains(".docx"));
        let e = text(&dir.path().join("missing.txt")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingInput);
        assert!(e.message().contains("missing.txt"));
        let e = text(&write(dir.path(), "bad.json", "{")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadInput);
        // The transcript of minutes must hold speech, and be a transcript.
        let e = transcript(&write(dir.path(), "blank.srt", "\n")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadInput);
        let e = transcript(&docx).unwrap_err();
        assert!(e.message().contains("unsupported file type .docx"));
        assert_eq!(
            transcript(&write(dir.path(), "t.txt", "hi\n"))
                .unwrap()
                .segments
                .len(),
            1
        );
    }
}
