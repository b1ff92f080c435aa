//! Who spoke when: a real two-person call with one talker per channel
//! (a LibriVox reader and JFK), the same speech from one microphone, labels
//! in every output format, names, the cache, and what the LLM is shown.

use crate::common::der::{Turn, der};
use crate::common::llm::{FakeLlm, Faults};
use crate::common::*;

/// The call's turns, from the lengths of the clips it was built from
/// (scripts/make-fixtures.sh): reader, JFK, reader, JFK.
fn call_turns() -> Vec<Turn> {
    let (reader, jfk) = (24.73, 11.0);
    let mut t = 0.0;
    let mut turns = Vec::new();
    for (len, who) in [
        (reader, "reader"),
        (jfk, "jfk"),
        (reader, "reader"),
        (jfk, "jfk"),
    ] {
        turns.push(Turn::new(t, t + len, who));
        t += len;
    }
    turns
}

fn transcribe(input: &std::path::Path, extra: &[&str]) -> std::process::Output {
    minutes()
        .args(["transcribe", "-m"])
        .arg(model())
        .arg(input)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_call_is_split_by_channel() {
    // AAC in MP4 (decoded in-process) and Opus in WebM (decoded by ffmpeg).
    for call in ["call-stereo.m4a", "call-stereo.webm"] {
        a_call_is_split_by_channel_in(call);
    }
}

fn a_call_is_split_by_channel_in(call: &str) {
    let segs = segments_of(&transcribe(&fixture(call), &["-f", "json"]));
    let mut speakers: Vec<String> = segs.iter().filter_map(|s| s.2.clone()).collect();
    speakers.sort();
    speakers.dedup();
    assert_eq!(speakers, ["S1", "S2"], "{segs:?}");
    assert!(
        segs.iter().all(|s| s.2.is_some()),
        "every segment is labelled"
    );
    // The reader speaks first: S1.
    assert_eq!(segs[0].2.as_deref(), Some("S1"));
    let hyp: Vec<Turn> = segs
        .iter()
        .map(|s| Turn::new(s.0, s.1, s.2.as_deref().unwrap()))
        .collect();
    let score = der(&call_turns(), &hyp, 0.25);
    let (err, confusion) = (score.error(), score.confusion / score.reference_speech);
    eprintln!("{call} by channel: DER {err:.3}, confusion {confusion:.3}");
    // What remains is whisper's segment timing around the turn changes.
    assert!(confusion < 0.03, "confusion {confusion}");
    assert!(err < 0.05, "DER {err}");
    // Who said "ask not what your country can do for you": JFK, every time.
    for s in segs.iter().filter(|s| s.3.contains("country")) {
        assert_eq!(s.2.as_deref(), Some("S2"), "{s:?}");
    }
}

#[test]
fn one_microphone_recorded_twice_gets_no_labels() {
    let out = transcribe(&fixture("one-mic-stereo.m4a"), &["-f", "json"]);
    let segs = segments_of(&out);
    assert!(!segs.is_empty());
    assert!(segs.iter().all(|s| s.2.is_none()), "{segs:?}");
    // A mono recording neither, and no labels clutter its text.
    let text = transcribe(&fixture("jfk.wav"), &[]);
    assert!(text.status.success());
    assert!(!String::from_utf8_lossy(&text.stdout).contains("S1"));
    // Off means off.
    let off = transcribe(
        &fixture("call-stereo.m4a"),
        &["-f", "json", "--speakers", "off"],
    );
    assert!(segments_of(&off).iter().all(|s| s.2.is_none()));
}

#[test]
fn every_format_says_who_spoke() {
    let call = fixture("call-stereo.m4a");
    let dir = scratch();
    let cache = dir.path().join("cache");
    let run = |args: &[&str]| {
        let out = minutes()
            .env("MINUTES_CACHE_DIR", &cache)
            .args(["transcribe", "-m"])
            .arg(model())
            .arg(&call)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        (
            String::from_utf8(out.stdout.clone()).unwrap(),
            stderr_of(&out),
        )
    };
    let (txt, _) = run(&[]);
    assert!(txt.starts_with("[00:00] S1: "), "{txt}");
    assert!(txt.contains("] S2: "), "{txt}");
    let (srt, from) = run(&["-f", "srt"]);
    assert!(from.contains("from the cache"), "{from}");
    assert!(srt.contains("\nS1: ") && srt.contains("\nS2: "), "{srt}");
    let (vtt, _) = run(&["-f", "vtt"]);
    assert!(vtt.contains("<v S1>") && vtt.contains("<v S2>"), "{vtt}");
    let (rttm, _) = run(&["-f", "rttm"]);
    let lines: Vec<Vec<&str>> = rttm.lines().map(|l| l.split(' ').collect()).collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert_eq!(l.len(), 10, "{l:?}");
        assert_eq!((l[0], l[1], l[2]), ("SPEAKER", "call-stereo", "1"));
        assert!(l[3].parse::<f64>().is_ok() && l[4].parse::<f64>().unwrap() > 0.0);
        assert!(["S1", "S2"].contains(&l[7]), "{l:?}");
    }
    // Names replace labels, from the cache, without transcribing again.
    let (named, from) = run(&["--speaker-names", "S1=Reader,S2=John F. Kennedy"]);
    assert!(from.contains("from the cache"), "{from}");
    assert!(named.starts_with("[00:00] Reader: "), "{named}");
    assert!(named.contains("] John F. Kennedy: "), "{named}");
    // Turning labels off is another transcript, not a cached one with labels.
    let (plain, _) = run(&["--speakers", "off"]);
    assert!(!plain.contains("S1"), "{plain}");
}

#[test]
fn the_llm_sees_who_said_what() {
    let dir = scratch();
    let saved = dir.path().join("call.json");
    let made = minutes()
        .args(["transcribe", "-f", "json", "-m"])
        .arg(model())
        .arg(fixture("call-stereo.m4a"))
        .arg("-o")
        .arg(&saved)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr_of(&made));
    let llm = FakeLlm::start(Faults::default());
    let out = summarize(
        &llm,
        &saved,
        &[
            "--no-correct",
            "--speaker-names",
            "S2=Kennedy",
            "--include-transcript",
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let maps: Vec<String> = llm
        .seen()
        .iter()
        .filter(|s| s.stage == "map")
        .map(|s| crate::common::llm::last_user(&s.body))
        .collect();
    assert!(
        maps.iter().any(|m| m.contains("S1: And Mr. John Dashwood")),
        "{maps:?}"
    );
    assert!(maps.iter().any(|m| m.contains("Kennedy: ")), "{maps:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("] Kennedy: "), "{md}");
    // --speakers off: no labels, also from a transcript saved with them.
    let off = summarize(
        &llm,
        &saved,
        &["--no-correct", "--speakers", "off", "--include-transcript"],
    );
    assert!(off.status.success(), "{}", stderr_of(&off));
    let plain = String::from_utf8(off.stdout).unwrap();
    assert!(
        !plain.contains("] S1: ") && !plain.contains("] S2: "),
        "{plain}"
    );
    // A speaker known by name was there.
    let participants = md
        .split("## Participants\n\n")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_default();
    assert!(participants.contains("Kennedy"), "{md}");
    assert!(
        !participants.contains("S1"),
        "a bare label is not a name: {md}"
    );
}

#[test]
fn bad_speaker_flags_are_usage_errors() {
    for args in [
        ["--speakers", "0"],
        ["--speakers", "abc"],
        ["--speaker-names", "S1"],
        ["--speaker-names", "=Bob"],
    ] {
        let out = minutes()
            .arg("transcribe")
            .args(args)
            .arg(fixture("jfk.wav"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(err.contains(args[0]), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
