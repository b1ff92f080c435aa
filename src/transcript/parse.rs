//! Reading transcripts back: the tool's own JSON, SubRip, WebVTT and plain
//! text, so minutes can be made (again) without transcribing again.
//!
//! Plain text may carry `[mm:ss]` or `[h:mm:ss]` prefixes (as in the
//! transcript appended to minutes); without them the transcript is untimed
//! and the minutes carry no timestamps.

use std::path::Path;

use super::{Segment, Transcript};
use crate::error::{Error, ErrorKind, Result};

/// Transcript file kinds, by extension.
pub fn is_transcript(path: &Path) -> bool {
    matches!(ext(path).as_str(), "txt" | "srt" | "vtt" | "json" | "md")
}

fn ext(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// Reads a transcript file; fails with a reason naming the file.
pub fn read(path: &Path) -> Result<Transcript> {
    let t = load(path, false)?;
    if t.segments.iter().all(|s| s.text.trim().is_empty()) {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "the transcript is empty",
        ));
    }
    Ok(t)
}

/// Reads a transcript file that may hold no speech at all, a blank file
/// included (a recogniser's output under evaluation may be one).
pub fn read_any(path: &Path) -> Result<Transcript> {
    load(path, true)
}

/// Reads and parses by extension; a blank file is an empty transcript
/// only when `blank_ok` (else it fails as its format does).
fn load(path: &Path, blank_ok: bool) -> Result<Transcript> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::file(ErrorKind::BadInput, path, "not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let bad = |why: String| Error::file(ErrorKind::BadInput, path, why);
    let mut t = match ext(path).as_str() {
        _ if blank_ok && text.trim().is_empty() => empty(),
        "json" => serde_json::from_str::<Transcript>(text)
            .map_err(|e| bad(format!("not a minutes transcript JSON: {e}")))?,
        "srt" | "vtt" => cues(text).map_err(bad)?,
        _ => plain(text),
    };
    if t.source.is_empty() {
        t.source = path.display().to_string();
    }
    if t.duration == 0.0 {
        t.duration = t.segments.iter().map(|s| s.end).fold(0.0, f64::max);
    }
    Ok(t)
}

fn empty() -> Transcript {
    Transcript {
        source: String::new(),
        model: String::new(),
        language: String::new(),
        duration: 0.0,
        date: None,
        segments: Vec::new(),
    }
}

/// `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or `MM:SS.mmm` in seconds.
pub fn parse_clock(s: &str) -> Option<f64> {
    let s = s.trim().replace(',', ".");
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m, s] => (
            h.parse::<f64>().ok()?,
            m.parse::<f64>().ok()?,
            s.parse::<f64>().ok()?,
        ),
        [m, s] => (0.0, m.parse::<f64>().ok()?, s.parse::<f64>().ok()?),
        _ => return None,
    };
    (m < 60.0 && sec < 60.0 && h >= 0.0 && m >= 0.0 && sec >= 0.0)
        .then_some(h * 3600.0 + m * 60.0 + sec)
}

/// SubRip and WebVTT: blocks with a `start --> end` line followed by text.
fn cues(text: &str) -> std::result::Result<Transcript, String> {
    let mut t = empty();
    let normalised = text.replace("\r\n", "\n");
    for block in normalised.split("\n\n") {
        let mut lines = block.lines().skip_while(|l| !l.contains("-->"));
        let Some(timing) = lines.next() else { continue };
        let mut parts = timing.split("-->");
        let start = parts.next().and_then(parse_clock);
        let end = parts
            .next()
            .and_then(|e| e.split_whitespace().next())
            .and_then(parse_clock);
        let (Some(start), Some(end)) = (start, end) else {
            return Err(format!("bad cue timing: {timing}"));
        };
        let body: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
        t.segments.push(Segment {
            start,
            end: end.max(start),
            text: body.join(" "),
            speaker: None,
            words: Vec::new(),
        });
    }
    if t.segments.is_empty() {
        return Err("no subtitle cues found".into());
    }
    Ok(t)
}

/// Plain text, one segment a line, with optional `[mm:ss]` prefixes.
fn plain(text: &str) -> Transcript {
    let mut t = empty();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for line in &lines {
        let stamped = line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(clock, rest)| Some((parse_clock(clock)?, rest.trim())));
        match stamped {
            Some((start, rest)) => t.segments.push(Segment {
                start,
                end: start,
                text: rest.to_string(),
                speaker: None,
                words: Vec::new(),
            }),
            None => t.segments.push(Segment {
                start: 0.0,
                end: 0.0,
                text: line.to_string(),
                speaker: None,
                words: Vec::new(),
            }),
        }
    }
    // A stamped segment ends where the next one starts.
    for i in 1..t.segments.len() {
        let next = t.segments[i].start;
        if next > t.segments[i - 1].start {
            t.segments[i - 1].end = next;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("01:02:03,250"), Some(3723.25));
        assert_eq!(parse_clock("02:03.5"), Some(123.5));
        assert_eq!(parse_clock("xx"), None);
        assert_eq!(parse_clock("1:75"), None);
    }

    #[test]
    fn srt_and_vtt_round_trip() {
        let t = Transcript {
            source: "a".into(),
            model: "m".into(),
            language: "en".into(),
            duration: 5.0,
            date: None,
            segments: vec![
                Segment {
                    start: 0.5,
                    end: 1.5,
                    text: "Hello.".into(),
                    speaker: None,
                    words: Vec::new(),
                },
                Segment {
                    start: 2.0,
                    end: 4.25,
                    text: "Second line.".into(),
                    speaker: None,
                    words: Vec::new(),
                },
            ],
        };
        for text in [t.to_srt(), t.to_vtt()] {
            let back = cues(&text).unwrap();
            assert_eq!(back.segments, t.segments);
        }
    }

    #[test]
    fn a_blank_file_is_an_error_for_read_and_empty_for_read_any() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("blank.srt");
        std::fs::write(&p, "\n").unwrap();
        let e = read(&p).unwrap_err();
        assert!(e.message().contains("no subtitle cues"), "{}", e.message());
        assert!(read_any(&p).unwrap().segments.is_empty());
    }

    #[test]
    fn plain_text_with_and_without_stamps() {
        let t = plain("[00:05] first\n[01:10] second\n");
        assert_eq!(t.segments[0].start, 5.0);
        assert_eq!(t.segments[0].end, 70.0);
        let u = plain("no times here\nat all\n");
        assert_eq!(u.segments.len(), 2);
        assert_eq!(u.segments[1].start, 0.0);
    }
}
