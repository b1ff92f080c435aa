//! Real conversation: a recorded two-person telephone call (pyannote's
//! sample, with its reference turns; short turns, "hello?"/"oh, hello",
//! a faint far-end "hello?" at 2.3 s the reference leaves out, then
//! speech from 6.7 s) transcribed once as JSON with two speakers.
//! Turns start and end where voice does, not where whisper's segments
//! edge; every word has its time, confidence and speaker.

use std::sync::OnceLock;

use crate::common::der::{Turn, der, parse_rttm, read_rttm};
use crate::common::*;

/// The call's `-f json` transcript with `--speakers 2`, made once.
fn call() -> &'static serde_json::Value {
    static RUN: OnceLock<serde_json::Value> = OnceLock::new();
    RUN.get_or_init(|| {
        let out = minutes()
            .args(["transcribe", "-f", "json", "--speakers", "2", "-m"])
            .arg(model())
            .arg("--models-dir")
            .arg(voice_models())
            .arg(asset("conversation/call.wav"))
            .output()
            .unwrap();
        serde_json::from_str(&success(&out)).unwrap()
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
    let out = minutes()
        .args(["transcribe", "-f", "rttm", "-m"])
        .arg(model())
        .arg("--models-dir")
        .arg(voice_models())
        .arg(asset("conversation/call.wav"))
        .output()
        .unwrap();
    let hyp = parse_rttm(&success(&out));
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
