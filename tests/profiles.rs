//! Voice profiles: `minutes speakers add|list|remove`, enrolled people named
//! in transcripts (and nobody named who was not enrolled), and every bad
//! input refused with its exit code, the store left as it was. Each test
//! has its own data directory, so profiles never leak into other tests.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use crate::common::*;

/// A models directory holding the real speaker encoder, converted from
/// the CAM++ checkpoint once per test run.
fn speaker_models() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch().keep();
        let out = minutes()
            .args(["models", "import"])
            .arg(asset("campplus_cn_en_common.pt"))
            .arg("-o")
            .arg(dir.join("speakers-campplus.safetensors"))
            .output()
            .unwrap();
        success(&out);
        dir
    })
}

/// A data directory of its own, and the binary pointed at it.
struct Voices {
    home: tempfile::TempDir,
}

impl Voices {
    fn new() -> Voices {
        Voices { home: scratch() }
    }

    /// Where profiles go by default: $XDG_DATA_HOME/minutes/voices.json.
    fn store(&self) -> PathBuf {
        self.home.path().join("minutes").join("voices.json")
    }

    fn stored(&self) -> Vec<u8> {
        std::fs::read(self.store()).unwrap_or_default()
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = minutes();
        cmd.env("XDG_DATA_HOME", self.home.path())
            .env_remove("MINUTES_VOICES")
            .arg("--models-dir")
            .arg(speaker_models());
        cmd
    }

    fn speakers(&self, args: &[&str]) -> Output {
        self.cmd().arg("speakers").args(args).output().unwrap()
    }

    fn add(&self, name: &str, files: &[PathBuf]) -> Output {
        self.cmd()
            .args(["speakers", "add", name])
            .args(files)
            .output()
            .unwrap()
    }

    /// Enrolls `name` from a fixture, which must work.
    fn enroll(&self, name: &str, file: &str) {
        success(&self.add(name, &[fixture(file)]));
    }

    /// The segments of `file`'s JSON transcript: (start, end, speaker, text).
    fn transcribe(&self, file: &str) -> Vec<Seg> {
        let out = self
            .cmd()
            .args(["transcribe", "-f", "json", "--no-cache", "-m"])
            .arg(model())
            .arg(fixture(file))
            .output()
            .unwrap();
        segments_of(&out)
    }

    /// `speakers list` rows: (name, speech, added).
    fn list(&self) -> Vec<(String, String, String)> {
        let out = self.speakers(&["list"]);
        let text = success(&out);
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        assert_eq!(header, ["NAME", "SPEECH", "ADDED"], "{text}");
        lines
            .map(|l| {
                // NAME (may hold spaces), SECONDS "s", DATE: read from the right.
                let mut parts = l.split_whitespace().rev();
                let added = parts.next().unwrap().to_string();
                assert_eq!(parts.next(), Some("s"), "{l}");
                let seconds = parts.next().unwrap().to_string();
                let name: Vec<&str> = parts.rev().collect();
                (name.join(" "), seconds, added)
            })
            .collect()
    }
}

/// The reference speaker (from the fixture's RTTM) speaking at `t`.
fn reference_at(rttm: &str, t: f64) -> Option<String> {
    rttm.lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        let (start, length): (f64, f64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        (start <= t && t < start + length).then(|| f[7].to_string())
    })
}

/// Seconds of each (reference speaker, label) pair over the segments.
fn overlap(segs: &[(f64, f64, Option<String>, String)], rttm: &str) -> Vec<(String, String, f64)> {
    let mut out: Vec<(String, String, f64)> = Vec::new();
    for (start, end, speaker, _) in segs {
        let mut t = *start;
        while t < *end {
            if let Some(who) = reference_at(rttm, t) {
                let label = speaker.clone().unwrap_or_else(|| "-".into());
                match out.iter_mut().find(|o| o.0 == who && o.1 == label) {
                    Some(o) => o.2 += 0.1,
                    None => out.push((who, label, 0.1)),
                }
            }
            t += 0.1;
        }
    }
    out
}

/// The label most of `who`'s speech got.
fn label_of(pairs: &[(String, String, f64)], who: &str) -> String {
    pairs
        .iter()
        .filter(|p| p.0 == who)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|p| p.1.clone())
        .unwrap_or_default()
}

fn is_label(speaker: &str) -> bool {
    speaker
        .strip_prefix('S')
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

#[test]
fn enrolled_voices_are_named_in_a_meeting_and_others_keep_their_label() {
    let voices = Voices::new();
    voices.enroll("Michael", "enroll-A.wav");
    voices.enroll("Reader", "enroll-B.wav");
    let segs = voices.transcribe("speakers-3.wav");
    let rttm = std::fs::read_to_string(fixture("speakers-3.rttm")).unwrap();
    let pairs = overlap(&segs, &rttm);
    assert_eq!(label_of(&pairs, "michael"), "Michael", "{pairs:?}");
    assert_eq!(label_of(&pairs, "reader"), "Reader", "{pairs:?}");
    let jfk = label_of(&pairs, "jfk");
    assert!(is_label(&jfk), "JFK is not enrolled: {jfk} ({pairs:?})");
    // His words are never put in an enrolled person's mouth.
    for s in segs.iter().filter(|s| s.3.contains("country")) {
        assert!(s.2.as_deref().is_some_and(is_label), "{s:?}");
    }
    // Every segment has a speaker: a name or a label.
    assert!(segs.iter().all(|s| s.2.is_some()), "{segs:?}");
}

#[test]
fn a_stranger_enrolled_names_nobody() {
    let voices = Voices::new();
    voices.enroll("Stranger", "stranger.wav");
    let segs = voices.transcribe("speakers-3.wav");
    let speakers: Vec<&str> = segs.iter().filter_map(|s| s.2.as_deref()).collect();
    assert!(!speakers.is_empty(), "{segs:?}");
    assert!(speakers.iter().all(|s| is_label(s)), "{segs:?}");
}

#[test]
fn one_enrolled_voice_is_named_throughout() {
    let voices = Voices::new();
    voices.enroll("Michael", "enroll-A.wav");
    voices.enroll("Reader", "enroll-B.wav");
    let segs = voices.transcribe("one-voice-long.wav");
    assert!(segs.len() > 10, "{segs:?}");
    for s in &segs {
        assert_eq!(s.2.as_deref(), Some("Michael"), "{s:?}");
    }
}

#[test]
fn profiles_are_listed_replaced_and_removed() {
    let voices = Voices::new();
    assert!(voices.list().is_empty());
    voices.enroll("Michael", "enroll-A.wav");
    let both = voices.add(
        "김민수",
        &[fixture("enroll-B.wav"), fixture("enroll-B.wav")],
    );
    success(&both);
    let rows = voices.list();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["Michael", "김민수"]);
    let today = jiff::Zoned::now().date().to_string();
    for (name, seconds, added) in &rows {
        let s: f64 = seconds.parse().unwrap();
        assert!((10.0..30.0).contains(&s), "{name}: {seconds}");
        assert_eq!(added, &today);
    }
    // Adding a name again (in any case) replaces the profile, and says so.
    let again = voices.add("MICHAEL", &[fixture("enroll-B.wav")]);
    success(&again);
    assert!(
        stderr_of(&again).contains("replaced the voice profile of Michael"),
        "{}",
        stderr_of(&again)
    );
    let rows = voices.list();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "MICHAEL");
    let removed = voices.speakers(&["remove", "michael"]);
    success(&removed);
    let rows = voices.list();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "김민수");
    // A name that is not there: nothing to remove, the store as it was.
    let before = voices.stored();
    let out = voices.speakers(&["remove", "Michael"]);
    assert_clean_failure(&out, 66, "Michael", "no voice profile named");
    assert_eq!(voices.stored(), before);
}

#[test]
fn the_store_can_be_elsewhere() {
    let voices = Voices::new();
    let elsewhere = voices.home.path().join("team").join("voices.json");
    let out = voices
        .cmd()
        .env("MINUTES_VOICES", &elsewhere)
        .args(["speakers", "add", "Michael"])
        .arg(fixture("enroll-A.wav"))
        .output()
        .unwrap();
    success(&out);
    assert!(elsewhere.is_file());
    assert!(!voices.store().exists());
    let listed = voices
        .cmd()
        .arg("--voices")
        .arg(&elsewhere)
        .args(["speakers", "list"])
        .output()
        .unwrap();
    assert!(success(&listed).contains("Michael"));
}

#[test]
fn bad_names_are_usage_errors_and_change_nothing() {
    let voices = Voices::new();
    voices.enroll("Michael", "enroll-A.wav");
    let before = voices.stored();
    for (name, reason) in [
        ("S3", "reserved"),
        ("s12", "reserved"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("", "empty"),
        ("  ", "empty"),
        ("Ann:Lee", "':'"),
        ("Ann\nLee", "control"),
        ("Ann\u{1b}[31m", "control"),
    ] {
        let out = voices.add(name, &[fixture("enroll-A.wav")]);
        assert_clean_failure(&out, 2, "speaker name", reason);
        assert_eq!(voices.stored(), before, "{name:?}");
    }
}

/// The first `seconds` of jfk.wav (16-bit mono 16 kHz), as a WAV file in `dir`.
fn jfk_clip(dir: &Path, seconds: f64) -> PathBuf {
    let wav = std::fs::read(fixture("jfk.wav")).unwrap();
    let data = wav.windows(4).position(|w| w == b"data").unwrap() + 8;
    let n = (seconds * 16000.0) as usize * 2;
    let pcm = &wav[data..data + n];
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for v in [16u32, 1 | (1 << 16), 16000, 32000, 2 | (16 << 16)] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(pcm);
    let path = dir.join(format!("jfk-{seconds}s.wav"));
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn files_without_enough_speech_are_refused_and_change_nothing() {
    let voices = Voices::new();
    voices.enroll("Michael", "enroll-A.wav");
    let before = voices.stored();
    let dir = scratch();
    let short = jfk_clip(dir.path(), 2.0);
    for file in [
        fixture("silence-60s.wav"),
        fixture("noise-30s.wav"),
        short.clone(),
    ] {
        let out = voices.add("Jack", &[fixture("enroll-B.wav"), file.clone()]);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_clean_failure(&out, 65, &name, "too little speech to enroll");
        assert_eq!(voices.stored(), before, "{name}");
    }
    // A few seconds of speech are enough.
    success(&voices.add("Jack", &[jfk_clip(dir.path(), 5.0)]));
    // A file that is not there, or not audio.
    let before = voices.stored();
    let missing = dir.path().join("missing.wav");
    let out = voices.add("Jill", &[missing]);
    assert_clean_failure(&out, 66, "missing.wav", "no such file");
    let out = voices.add("Jill", &[fixture("text.mp3")]);
    assert_clean_failure(&out, 65, "text.mp3", "not a recognised audio");
    assert_eq!(voices.stored(), before);
}

#[test]
fn a_corrupt_store_is_named_and_never_overwritten() {
    let voices = Voices::new();
    let store = voices.store();
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    let garbage = b"{\"format\": \"minutes-voices-2\", \"profiles\": [{\"name\": \"Ann\"";
    std::fs::write(&store, garbage).unwrap();
    let name = store.display().to_string();
    let add = voices.add("Michael", &[fixture("enroll-A.wav")]);
    assert_clean_failure(&add, 65, &name, "not a voice profile store");
    assert_clean_failure(
        &voices.speakers(&["list"]),
        65,
        &name,
        "not a voice profile store",
    );
    assert_clean_failure(
        &voices.speakers(&["remove", "Ann"]),
        65,
        &name,
        "not a voice profile store",
    );
    // Transcribing by voice reads the profiles: the same error, before any work.
    let out = voices
        .cmd()
        .args(["transcribe", "--no-cache", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, &name, "not a voice profile store");
    assert_eq!(std::fs::read(&store).unwrap(), garbage);
}

#[test]
fn enrolling_needs_the_speaker_model() {
    let voices = Voices::new();
    let empty = scratch();
    let out = minutes()
        .env("XDG_DATA_HOME", voices.home.path())
        .arg("--models-dir")
        .arg(empty.path())
        .args(["speakers", "add", "Michael"])
        .arg(fixture("enroll-A.wav"))
        .output()
        .unwrap();
    assert_clean_failure(
        &out,
        66,
        "speakers-campplus.safetensors",
        "speaker model is not installed",
    );
    assert!(
        stderr_of(&out).contains("minutes models pull speakers-campplus"),
        "{}",
        stderr_of(&out)
    );
    assert!(!voices.store().exists());
}

#[test]
fn a_changed_profile_is_another_transcript() {
    let voices = Voices::new();
    let cache = scratch();
    let run = || {
        let out = voices
            .cmd()
            .env("MINUTES_CACHE_DIR", cache.path())
            .args(["transcribe", "-m"])
            .arg(model())
            .arg(fixture("speakers-2.wav"))
            .output()
            .unwrap();
        (success(&out), stderr_of(&out))
    };
    let (plain, _) = run();
    assert!(!plain.contains("Michael"), "{plain}");
    let (_, again) = run();
    assert!(again.contains("from the cache"), "{again}");
    voices.enroll("Michael", "enroll-A.wav");
    let (named, fresh) = run();
    assert!(!fresh.contains("from the cache"), "{fresh}");
    assert!(named.contains("] Michael: "), "{named}");
    assert!(
        named.contains("] S1: "),
        "the reader is not enrolled: {named}"
    );
    let (_, cached) = run();
    assert!(cached.contains("from the cache"), "{cached}");
    // A batch into a folder redoes what another profile would name.
    let out = scratch();
    let batch = || {
        let run = voices
            .cmd()
            .env("MINUTES_CACHE_DIR", cache.path())
            .args(["transcribe", "-m"])
            .arg(model())
            .arg(fixture("speakers-2.wav"))
            .arg("--out-dir")
            .arg(out.path())
            .output()
            .unwrap();
        success(&run);
        stderr_of(&run)
    };
    batch();
    assert!(batch().contains("skipped"), "unchanged");
    voices.enroll("Reader", "enroll-B.wav");
    let redone = batch();
    assert!(!redone.contains("skipped"), "{redone}");
    let text = std::fs::read_to_string(out.path().join("speakers-2.txt")).unwrap();
    assert!(
        text.contains("] Reader: ") && text.contains("] Michael: "),
        "{text}"
    );
}
