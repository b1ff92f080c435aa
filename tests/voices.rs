//! Speakers told apart by voice on one microphone: real people (a LibriVox
//! reader, Michael McAuliffe's recordings from the Montreal Forced Aligner
//! sources, JFK) taking turns, scored against the turns the fixtures were
//! built from; one voice for minutes gets no labels; the count can be
//! fixed; bad input fails cleanly. (Splitting a segment at a change of
//! speaker is checked in `speakers::diarize`'s unit tests; here it shows
//! in the error scores, which count time, not segments.)

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::common::der::{Turn, der, read_rttm};
use crate::common::*;

/// `transcribe` with the test whisper model and `models` as the models
/// directory (where the speaker model is looked for).
fn transcribe_in(models: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    minutes()
        .arg("transcribe")
        .args(extra)
        .arg("-m")
        .arg(model())
        .arg("--models-dir")
        .arg(models)
        .arg(input)
        .output()
        .unwrap()
}

fn transcribe(input: &Path, extra: &[&str]) -> std::process::Output {
    transcribe_in(voice_models(), input, extra)
}

/// Segments and the log of one run.
type Run = (Vec<Seg>, String);

/// One run of `transcribe -f json` per fixture and flags for all the
/// tests here (transcribing these takes a while on two cores).
fn labelled(input: &str, extra: &[&str]) -> Run {
    type Runs = Mutex<HashMap<String, Arc<OnceLock<Run>>>>;
    static RUNS: OnceLock<Runs> = OnceLock::new();
    let key = format!("{input} {extra:?}");
    let cell = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(key)
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let mut args = vec!["-f", "json"];
        args.extend_from_slice(extra);
        let out = transcribe(&fixture(input), &args);
        (segments_of(&out), stderr_of(&out))
    })
    .clone()
}

/// The labelled turns of a recording.
fn turns_of(input: &str, extra: &[&str]) -> (Vec<Turn>, String) {
    let (segs, log) = labelled(input, extra);
    let turns = segs
        .iter()
        .filter_map(|s| s.2.as_deref().map(|who| Turn::new(s.0, s.1, who)))
        .collect();
    (turns, log)
}

fn speakers(turns: &[Turn]) -> Vec<String> {
    let mut s: Vec<String> = turns.iter().map(|t| t.speaker.clone()).collect();
    s.sort();
    s.dedup();
    s
}

/// The error of labelling every reference turn with one speaker.
fn one_label_error(reference: &[Turn]) -> f64 {
    let all: Vec<Turn> = reference
        .iter()
        .map(|t| Turn::new(t.start, t.end, "S1"))
        .collect();
    der(reference, &all, 0.25).error()
}

#[test]
fn two_people_on_one_microphone_are_told_apart() {
    let reference = read_rttm(fixture("speakers-2.rttm"));
    // AAC in MP4, as a phone or laptop records it.
    let input = "speakers-2.m4a";
    let (turns, log) = turns_of(input, &[]);
    assert_eq!(speakers(&turns), ["S1", "S2"], "{log}");
    let score = der(&reference, &turns, 0.25);
    eprintln!("{input}: DER {:.3} ({score:?})", score.error());
    assert!(score.error() < 0.12, "DER {}", score.error());
    assert!(score.confusion / score.reference_speech < 0.08, "{score:?}");
    // The reader speaks first.
    assert_eq!(score.label_of("reader"), Some("S1"), "{score:?}");
    assert!(log.contains("2 speakers told apart by voice"), "{log}");
}

#[test]
fn three_people_are_counted_and_labelled() {
    let reference = read_rttm(fixture("speakers-3.rttm"));
    let (turns, log) = turns_of("speakers-3.wav", &[]);
    assert_eq!(speakers(&turns), ["S1", "S2", "S3"], "{log}");
    let score = der(&reference, &turns, 0.25);
    let baseline = one_label_error(&reference);
    eprintln!(
        "speakers-3: DER {:.3}, one label for all {baseline:.3} ({score:?})",
        score.error()
    );
    assert!(baseline > 0.4, "{baseline}");
    assert!(score.error() < 0.2, "DER {}", score.error());
    // Every person has a label of their own.
    let mut labels: Vec<&str> = ["michael", "reader", "jfk"]
        .iter()
        .filter_map(|who| score.label_of(who))
        .collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), 3, "{score:?}");
}

#[test]
fn one_voice_for_minutes_gets_no_labels() {
    let (segs, log) = labelled("one-voice-long.wav", &[]);
    assert!(segs.len() > 10, "{segs:?}");
    assert!(
        segs.iter().all(|s| s.2.is_none()),
        "one person split into several: {segs:?}"
    );
    assert!(log.contains("one speaker"), "{log}");
}

#[test]
fn the_number_of_speakers_can_be_fixed() {
    let (turns, log) = turns_of("speakers-3.wav", &["--speakers", "2"]);
    assert_eq!(speakers(&turns), ["S1", "S2"], "{log}");
}

#[test]
fn without_the_speaker_model_voices_are_not_compared() {
    let dir = scratch();
    // Auto: a note, no labels, the transcript still made.
    let out = transcribe_in(dir.path(), &fixture("jfk.wav"), &["-f", "json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\"speaker\""));
    assert!(
        stderr_of(&out).contains("minutes models pull speakers-campplus"),
        "{}",
        stderr_of(&out)
    );
    // A fixed count needs it: a clear failure before any work.
    let out = transcribe_in(dir.path(), &fixture("speakers-2.wav"), &["--speakers", "2"]);
    assert_eq!(out.status.code(), Some(66), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("speaker model"),
        "{}",
        stderr_of(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_corrupt_speaker_model_is_a_clear_error() {
    let dir = scratch();
    let bad = dir.path().join("speakers-campplus.safetensors");
    std::fs::write(&bad, b"not a tensor file at all").unwrap();
    let out = transcribe_in(dir.path(), &fixture("speakers-2.wav"), &[]);
    assert_clean_failure(&out, 65, "speakers-campplus.safetensors", "speaker model");
}

#[test]
fn absurd_speaker_counts_are_usage_errors() {
    for bad in ["0", "-3", "abc", "21", "2.5"] {
        let out = minutes()
            .args(["transcribe", "--speakers", bad])
            .arg(fixture("jfk.wav"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("--speakers"), "{bad}");
        assert!(out.stdout.is_empty());
    }
}
