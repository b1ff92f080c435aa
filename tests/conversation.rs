//! Real conversation: a recorded two-person telephone call (pyannote's
//! sample, with its reference turns; short turns, "hello?"/"oh, hello",
//! a faint far-end "hello?" at 2.3 s the reference leaves out, then
//! speech from 6.7 s) transcribed once as JSON with two speakers.
//! Turns start and end where voice does, not where whisper's segments
//! edge; every word has its time, confidence and speaker.

use std::sync::OnceLock;

use crate::common::der::{Turn, der, parse_rttm, read_rttm};
use crate::common::*;

/// The call transcribed with the speaker model and `args`; its stdout.
fn transcribe_call(args: &[&str]) -> String {
    let out = minutes()
        .arg("transcribe")
        .args(args)
        .arg("-m")
        .arg(model())
        .arg("--models-dir")
        .arg(voice_models())
        .arg(asset("conversation/call.wav"))
        .output()
        .unwrap();
    success(&out)
}

/// The call's `-f json` transcript with `--speakers 2`, made once.
fn call() -> &'static serde_json::Value {
    static RUN: OnceLock<serde_json::Value> = OnceLock::new();
    RUN.get_or_init(|| {
        serde_json::from_str(&transcribe_call(&["-f", "json", "--speakers", "2"])).unwrap()
    })
}

fn segments() -> &'static [serde_json::Value] {
    call()["segments"].as_array().unwrap()
}

#[test]
fn turns_on_a_phone_call_cover_speech_not_the_pauses_around_it() {
    let reference = read_rttm(asset("conversation/call.rttm"));
    let hyp: Vec<Turn> = segments()
        .iter()
        .map(|s| {
            Turn::new(
                number(&s["start"]),
                number(&s["end"]),
                s["speaker"].as_str().unwrap(),
            )
        })
        .collect();
    let score = der(&reference, &hyp, 0.25);
    let share = |t: f64| t / score.reference_speech;
    eprintln!(
        "call, 2 speakers: DER {:.3} (missed {:.3}, false alarm {:.3}, confusion {:.3})",
        score.error(),
        share(score.missed),
        share(score.false_alarm),
        share(score.confusion)
    );
    // Whisper's segments run on over the pauses between turns (its first
    // one starts at 1.9 s; the reference's speech at 6.7 s).
    assert!(share(score.false_alarm) < 0.05, "{score:?}");
    assert!(share(score.missed) < 0.05, "{score:?}");
    assert!(score.error() < 0.25, "{score:?}");
}

#[test]
fn every_word_has_its_time_confidence_and_speaker() {
    let mut last_end = 0.0;
    let mut words = 0;
    for s in segments() {
        let (start, end) = (number(&s["start"]), number(&s["end"]));
        let list = s["words"]
            .as_array()
            .unwrap_or_else(|| panic!("no words: {s}"));
        assert!(!list.is_empty(), "{s}");
        let joined: String = list.iter().map(|w| w["word"].as_str().unwrap()).collect();
        assert_eq!(joined.trim(), s["text"].as_str().unwrap(), "{s}");
        for w in list {
            let (ws, we) = (number(&w["start"]), number(&w["end"]));
            assert!(
                start <= ws && ws <= we && we <= end,
                "{w} outside {start}–{end}"
            );
            assert!(
                ws >= last_end - 1e-9,
                "{w} starts before the word before it ends"
            );
            last_end = we;
            let p = number(&w["probability"]);
            assert!(p > 0.0 && p <= 1.0, "{w}");
            assert_eq!(w["speaker"], s["speaker"], "{w} in {s}");
        }
        words += list.len();
    }
    // About sixty words are spoken in the call.
    assert!(words > 40, "{words} words");
}

/// The call with the number of speakers left to `--speakers auto`: two
/// people on one telephone channel, told apart by voice alone. (The
/// stopping threshold was set on the read-speech fixtures and two AMI
/// meeting clips, not on this call.)
#[test]
fn the_call_is_found_to_be_two_people() {
    let hyp = parse_rttm(&transcribe_call(&["-f", "rttm"]));
    let mut found: Vec<&str> = hyp.iter().map(|t| t.speaker.as_str()).collect();
    found.sort_unstable();
    found.dedup();
    assert_eq!(found, ["S1", "S2"], "{hyp:?}");
    let score = der(&read_rttm(asset("conversation/call.rttm")), &hyp, 0.25);
    eprintln!(
        "call, speakers auto: DER {:.3} (confusion {:.3})",
        score.error(),
        score.confusion / score.reference_speech
    );
    assert!(score.error() < 0.25, "{score:?}");
}

/// Subtitles cue by word groups: each cue at most three of the words the
/// JSON gives, timed by them, with its speaker.
#[test]
fn subtitle_cues_follow_the_words() {
    let srt = transcribe_call(&["-f", "srt", "--cue-words", "3", "--speakers", "2"]);
    let words: Vec<&serde_json::Value> = segments()
        .iter()
        .flat_map(|s| s["words"].as_array().unwrap())
        .collect();
    let mut next = 0;
    let mut last_start = 0.0;
    for cue in srt.split("\n\n").filter(|c| !c.trim().is_empty()) {
        let lines: Vec<&str> = cue.lines().collect();
        let (from, to) = lines[1].split_once(" --> ").unwrap();
        let secs = |t: &str| {
            let p: Vec<f64> = t
                .replace(',', ":")
                .split(':')
                .map(|v| v.parse().unwrap())
                .collect();
            p[0] * 3600.0 + p[1] * 60.0 + p[2] + p[3] / 1000.0
        };
        let (from, to) = (secs(from), secs(to));
        let (who, text) = lines[2].split_once(": ").unwrap();
        let group: Vec<&serde_json::Value> = words[next..].iter().take(3).copied().collect();
        let n = (1..=group.len())
            .rev()
            .find(|n| {
                let joined: String = group[..*n]
                    .iter()
                    .map(|w| w["word"].as_str().unwrap())
                    .collect();
                joined.trim() == text
            })
            .unwrap_or_else(|| panic!("cue {cue:?} is not the next words {group:?}"));
        assert!((from - number(&group[0]["start"])).abs() < 0.002, "{cue}");
        assert!((to - number(&group[n - 1]["end"])).abs() < 0.002, "{cue}");
        assert_eq!(group[0]["speaker"].as_str(), Some(who), "{cue}");
        assert!(from >= last_start && to >= from, "{cue}");
        last_start = from;
        next += n;
    }
    assert_eq!(next, words.len(), "every word is in a cue");
    // Cues of words are for subtitles only.
    let out = minutes()
        .args(["transcribe", "-f", "txt", "--cue-words", "3"])
        .arg(asset("conversation/call.wav"))
        .output()
        .unwrap();
    assert_clean_failure(&out, 2, "--cue-words", "-f srt or -f vtt");
}
