//! `minutes eval transcript`: error rates of the tool's own transcript
//! formats against a reference, exact counts, and clean failures.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// A reference in the plain-text format `transcribe` writes with speakers.
const REF_TXT: &str = "[00:00] S1: The cat sat on the mat.\n[00:04] S2: Don't you think so?\n";

/// One substitution (sat → sit) and one deletion (the), as SubRip with labels.
const HYP_SRT: &str = "1\n00:00:00,000 --> 00:00:03,500\nS1: The cat sit on mat.\n\n\
                       2\n00:00:04,000 --> 00:00:06,000\nS2: Don't you think so?\n\n";

/// One insertion (really), as the tool's JSON (speakers in their own field).
const HYP_JSON: &str = r#"{
  "source": "meeting.wav",
  "model": "tiny.en",
  "language": "en",
  "duration": 6.0,
  "segments": [
    { "start": 0.0, "end": 3.5, "text": " The cat sat on the mat.", "speaker": "S1" },
    { "start": 4.0, "end": 6.0, "text": " Don't you think so, really?", "speaker": "S2" }
  ]
}
"#;

/// mat → hat and "Don't" missing, as WebVTT with voice spans.
const HYP_VTT: &str = "WEBVTT\n\n00:00:00.000 --> 00:00:03.500\n<v S1>The cat sat on the hat.\n\n\
                       00:00:04.000 --> 00:00:06.000\n<v S2>you think so?\n\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn eval_json(args: &[&Path], extra: &[&str]) -> Value {
    let out = minutes()
        .args(["eval", "transcript", "-f", "json"])
        .args(args)
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

/// (hits, substitutions, deletions, insertions) of words, then of characters.
fn counts(v: &Value) -> [[u64; 4]; 2] {
    let c = &v["char"];
    let n = |v: &Value, k: &str| v[k].as_u64().unwrap();
    [
        [
            n(v, "hits"),
            n(v, "substitutions"),
            n(v, "deletions"),
            n(v, "insertions"),
        ],
        [
            n(c, "hits"),
            n(c, "substitutions"),
            n(c, "deletions"),
            n(c, "insertions"),
        ],
    ]
}

#[test]
fn each_transcript_format_is_scored_with_exact_counts() {
    let dir = scratch();
    let d = dir.path();
    let reference = write(d, "ref.txt", REF_TXT);
    let srt = write(d, "hyp.srt", HYP_SRT);
    let json = write(d, "hyp.json", HYP_JSON);
    let vtt = write(d, "hyp.vtt", HYP_VTT);
    let v = eval_json(&[&reference, &srt, &json, &vtt], &[]);
    assert_eq!(v["reference"], reference.display().to_string());
    assert_eq!(v["normalize"], "basic");
    assert_eq!(v["cjk"], false);
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["file"], srt.display().to_string());
    // "the cat sat on the mat dont you think so": 10 words, 40 characters.
    for row in r {
        assert_eq!(row["reference_words"], 10, "{row}");
        assert_eq!(row["char"]["reference_chars"], 40, "{row}");
    }
    // sat → sit, "the" deleted; characters: a → i, "the " deleted.
    assert_eq!(counts(&r[0]), [[8, 1, 1, 0], [35, 1, 4, 0]]);
    assert_eq!(r[0]["wer"], 0.2);
    assert_eq!(r[0]["cer"], 0.125);
    // " really" inserted: one word, seven characters.
    assert_eq!(counts(&r[1]), [[10, 0, 0, 1], [40, 0, 0, 7]]);
    assert_eq!(r[1]["wer"], 0.1);
    assert_eq!(r[1]["cer"], 0.175);
    // mat → hat, "dont" deleted; characters: m → h, "dont " deleted.
    assert_eq!(counts(&r[2]), [[8, 1, 1, 0], [34, 1, 5, 0]]);
    assert_eq!(r[2]["wer"], 0.2);
}

#[test]
fn the_table_has_one_aligned_row_per_transcript() {
    let dir = scratch();
    let d = dir.path();
    let reference = write(d, "ref.txt", REF_TXT);
    let srt = write(d, "hyp.srt", HYP_SRT);
    let empty = write(d, "empty.txt", "");
    let out = minutes()
        .current_dir(d)
        .args(["eval", "transcript", "ref.txt", "hyp.srt", "empty.txt"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(reference.exists() && srt.exists() && empty.exists());
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        "file          wer     cer  hits  subs  dels  ins  ref_words\n\
         hyp.srt    0.2000  0.1250     8     1     1    0         10\n\
         empty.txt  1.0000  1.0000     0     0    10    0         10\n"
    );
    let err = stderr_of(&out);
    assert!(
        err.contains("reference ref.txt: 10 words, 40 characters"),
        "{err}"
    );
}

#[test]
fn korean_spacing_is_not_a_character_error() {
    let dir = scratch();
    let d = dir.path();
    let reference = write(d, "ref.txt", "안녕하세요. 반갑습니다!\n");
    let hyp = write(
        d,
        "hyp.srt",
        "1\n00:00:00,000 --> 00:00:02,000\n안녕 하세요 반갑 습니다\n\n",
    );
    let v = eval_json(&[&reference, &hyp], &[]);
    assert_eq!(v["cjk"], true);
    let row = &v["results"][0];
    assert_eq!(row["cer"], 0.0);
    assert_eq!(row["char"]["reference_chars"], 10);
    assert_eq!(row["wer"], 2.0);
    // Told the text is English, the spaces count: one inserted per split word.
    let v = eval_json(&[&reference, &hyp], &["-l", "en"]);
    assert_eq!(v["cjk"], false);
    assert_eq!(v["results"][0]["char"]["insertions"], 2);
}

#[test]
fn whisper_en_expands_contractions_and_none_keeps_everything() {
    let dir = scratch();
    let d = dir.path();
    let reference = write(d, "ref.txt", "I'm sure it's fine, don't worry.\n");
    let hyp = write(d, "hyp.txt", "i am sure it is fine do not worry\n");
    let en = eval_json(&[&reference, &hyp], &["--normalize", "whisper-en"]);
    assert_eq!(en["normalize"], "whisper-en");
    assert_eq!(en["results"][0]["wer"], 0.0);
    let basic = eval_json(&[&reference, &hyp], &[]);
    assert!(basic["results"][0]["wer"].as_f64().unwrap() > 0.0);
    let none = eval_json(&[&reference, &reference], &["--normalize", "none"]);
    assert_eq!(none["results"][0]["reference_words"], 6);
    assert_eq!(none["results"][0]["wer"], 0.0);
}

#[test]
fn a_missing_transcript_fails_with_one_line_naming_it() {
    let dir = scratch();
    let reference = write(dir.path(), "ref.txt", REF_TXT);
    let missing = dir.path().join("missing.srt");
    let out = minutes()
        .args(["eval", "transcript"])
        .arg(&reference)
        .arg(&missing)
        .output()
        .unwrap();
    assert_clean_failure(&out, 66, "missing.srt", "no such file");
    assert_eq!(stderr_of(&out).lines().count(), 1, "{}", stderr_of(&out));
}

#[test]
fn a_reference_without_words_is_refused() {
    let dir = scratch();
    let reference = write(dir.path(), "ref.txt", "[00:00] S1: ...\n[00:02] S2: ?!\n");
    let hyp = write(dir.path(), "hyp.txt", "hello\n");
    let out = minutes()
        .args(["eval", "transcript"])
        .arg(&reference)
        .arg(&hyp)
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, "ref.txt", "no words after normalisation");
}

#[test]
fn bad_files_are_each_reported_and_nothing_is_printed() {
    let dir = scratch();
    let d = dir.path();
    let reference = write(d, "ref.txt", REF_TXT);
    let docx = write(d, "hyp.docx", "x");
    let json = write(d, "hyp.json", "{\"segments\": [");
    let out = minutes()
        .args(["eval", "transcript"])
        .arg(&reference)
        .arg(&docx)
        .arg(&json)
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, "hyp.docx", "unsupported file type .docx");
    let err = stderr_of(&out);
    assert!(
        err.contains("hyp.json: not a minutes transcript JSON"),
        "{err}"
    );
    assert!(err.contains("2 of 3 files could not be used"), "{err}");
}
