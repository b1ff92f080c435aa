//! `minutes eval minutes`: evidence precision and expected-fact recall of
//! hand-written minutes (JSON as `summarize -f json` writes it, and
//! markdown), with numbers worked out by hand, and clean failures.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// The tool's JSON transcript of a short release meeting.
const TRANSCRIPT: &str = r#"{
  "source": "sync.wav",
  "model": "base.en",
  "language": "en",
  "duration": 20.0,
  "segments": [
    { "start": 0.0, "end": 5.0, "text": " We ship version 2.4 on March 14.", "speaker": "S1" },
    { "start": 5.0, "end": 10.0, "text": " Jin, please update the changelog by Wednesday.", "speaker": "S2" },
    { "start": 10.0, "end": 15.0, "text": " Do we still need sign-off from legal?", "speaker": "S1" },
    { "start": 15.0, "end": 20.0, "text": " Let's meet again next week.", "speaker": "S2" }
  ]
}
"#;

/// Four items: the decision's and the changelog's quotes are in the
/// transcript, the cake's and the venue's are not (nobody said them).
const MINUTES_JSON: &str = r#"{
  "minutes": {
    "title": "Release sync",
    "summary": ["Version 2.4 ships on March 14."],
    "decisions": [
      { "decision": "Version 2.4 ships on March 14", "time": "00:00",
        "evidence": [{ "time": "00:00", "quote": "we ship version 2.4 on March 14" }] }
    ],
    "action_items": [
      { "task": "Update the changelog", "owner": "Jin Park", "due": "by Wednesday", "time": "00:05",
        "evidence": [{ "time": "00:05", "quote": "please update the changelog" }] },
      { "task": "Order a cake for the launch", "owner": "Mina", "due": null, "time": null,
        "evidence": [{ "time": "00:15", "quote": "Mina will order a cake" }] }
    ],
    "open_questions": [
      { "question": "Who books the venue?", "evidence": [{ "quote": "who books the venue" }] }
    ],
    "topics": [],
    "participants": ["Jin", "Mina"]
  },
  "provenance": { "source": "sync.wav" },
  "report": { "chunks": 1 }
}
"#;

/// The same meeting as markdown, with the question the JSON lacks.
const MINUTES_MD: &str = "---\ntitle: Release sync\nlanguage: en\n---\n\n# Release sync\n\n\
    ## Decisions\n\n- Version 2.4 ships on March 14 [00:00]\n\n\
    ## Action items\n\n- [ ] Update the changelog — Jin Park (by Wednesday) [00:05]\n\
    - [ ] Order a cake for the launch — Mina\n\n\
    ## Open questions\n\n- Do we still need sign-off from legal? [00:10]\n";

const FACTS: &str = "language: en
decisions:
  - Version 2.4 is released on March 14
  - The launch party is on Friday
action_items:
  - task: Update the changelog
    owner: Jin
    due: Wednesday
  - task: Order a cake
    owner: Sam
open_questions:
  - Is sign-off from legal still needed?
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The meeting's files in a fresh directory.
fn meeting() -> tempfile::TempDir {
    let dir = scratch();
    write(dir.path(), "sync.json", TRANSCRIPT);
    write(dir.path(), "minutes.json", MINUTES_JSON);
    write(dir.path(), "minutes.md", MINUTES_MD);
    write(dir.path(), "facts.yaml", FACTS);
    dir
}

fn eval(dir: &Path, args: &[&str]) -> std::process::Output {
    minutes()
        .current_dir(dir)
        .args(["eval", "minutes", "--transcript", "sync.json"])
        .args(args)
        .output()
        .unwrap()
}

fn eval_json(dir: &Path, args: &[&str]) -> Value {
    let out = eval(dir, &[&["-f", "json"], args].concat());
    assert!(out.status.success(), "{}", stderr_of(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_minutes_get_exact_precision_and_recall() {
    let dir = meeting();
    let v = eval_json(dir.path(), &["--expected", "facts.yaml", "minutes.json"]);
    assert_eq!(v["transcript"], "sync.json");
    assert_eq!(v["expected"], "facts.yaml");
    assert_eq!(v["threshold"], 0.5);
    let r = &v["results"][0];
    assert_eq!(r["file"], "minutes.json");
    // Decision and changelog quoted from the transcript; cake and venue
    // made up.
    let p = &r["precision"];
    assert_eq!((&p["items"], &p["supported"]), (&4.into(), &2.into()));
    assert_eq!(p["precision"], 0.5);
    assert_eq!(
        p["action_items"],
        serde_json::json!({"items": 2, "supported": 1})
    );
    assert_eq!(
        p["open_questions"],
        serde_json::json!({"items": 1, "supported": 0})
    );
    // The release decision matches ({version, 24, is, released, on, march,
    // 14} against {version, 24, ships, on, march, 14}: 10/13); the party
    // is missing. Both tasks are there ("order a cake" against "order a
    // cake for the launch": 2·2/7); the question is not (the venue
    // question shares no word with it: 0 is below the threshold).
    let recall = &r["recall"];
    assert_eq!(
        recall["decisions"],
        serde_json::json!({"expected": 2, "matched": 1, "recall": 0.5})
    );
    assert_eq!(recall["action_items"]["recall"], 1.0);
    assert_eq!(recall["open_questions"]["recall"], 0.0);
    // Jin is Jin Park, Sam is not Mina; Wednesday is "by Wednesday".
    assert_eq!(r["owners"], serde_json::json!({"given": 2, "correct": 1}));
    assert_eq!(r["dues"], serde_json::json!({"given": 1, "correct": 1}));
    let m = r["matches"].as_array().unwrap();
    assert_eq!(m.len(), 5);
    assert_eq!(m[0]["kind"], "decision");
    assert_eq!(m[0]["found"], "Version 2.4 ships on March 14");
    assert_eq!(number(&m[0]["similarity"]), 10.0 / 13.0);
    assert_eq!(
        (&m[1]["found"], &m[1]["similarity"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(m[3]["found"], "Order a cake for the launch");
    assert_eq!(number(&m[3]["similarity"]), 4.0 / 7.0);
    assert_eq!(m[3]["owner_correct"], false);
    assert_eq!(m[4]["kind"], "open_question");
    assert_eq!(m[4]["found"], Value::Null);
}

#[test]
fn markdown_minutes_have_no_support_but_are_matched() {
    let dir = meeting();
    let v = eval_json(dir.path(), &["--expected", "facts.yaml", "minutes.md"]);
    let r = &v["results"][0];
    // Markdown carries no quotes: every item is unsupported.
    assert_eq!(
        r["precision"]["items"]
            .as_u64()
            .zip(r["precision"]["supported"].as_u64()),
        Some((4, 0))
    );
    assert_eq!(r["precision"]["precision"], 0.0);
    // The question is there now: {is, sign, off, from, legal, still,
    // needed} against {do, we, still, need, sign, off, from, legal}: 10/15.
    assert_eq!(r["recall"]["open_questions"]["recall"], 1.0);
    assert_eq!(number(&r["matches"][4]["similarity"]), 10.0 / 15.0);
    assert_eq!(r["recall"]["decisions"]["recall"], 0.5);
    assert_eq!(r["owners"]["correct"], 1);
    assert_eq!(r["dues"]["correct"], 1);
}

#[test]
fn the_table_has_one_row_per_minutes_file() {
    let dir = meeting();
    let out = eval(
        dir.path(),
        &["--expected", "facts.yaml", "minutes.json", "minutes.md"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        "file          items  supported  precision  decisions  actions  questions  owners  dues\n\
         minutes.json      4          2     0.5000     0.5000   1.0000     0.0000     1/2   1/1\n\
         minutes.md        4          0     0.0000     0.5000   1.0000     1.0000     1/2   1/1\n"
    );
    let err = stderr_of(&out);
    assert!(err.contains("transcript sync.json: 4 segments"), "{err}");
    // Without facts: precision only, and no recall in JSON.
    let out = eval(dir.path(), &["minutes.json"]);
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        "file          items  supported  precision\n\
         minutes.json      4          2     0.5000\n"
    );
    let v = eval_json(dir.path(), &["minutes.json"]);
    assert_eq!(v["expected"], Value::Null);
    assert_eq!(v["results"][0]["recall"], Value::Null);
    assert_eq!(v["results"][0]["owners"], Value::Null);
}

#[test]
fn korean_facts_match_by_characters_and_owners_without_honorifics() {
    let dir = scratch();
    let d = dir.path();
    write(
        d,
        "t.txt",
        "[00:00] S1: 신규 모듈 배포는 다음 주 화요일에 합니다.\n[00:05] S2: 보고서는 민수 씨가 금요일까지 정리해 주세요.\n",
    );
    write(
        d,
        "m.json",
        r#"{"decisions": [{"decision": "신규 모듈 배포는 다음 주 화요일에 한다", "evidence": ["배포는 다음 주 화요일에"]}],
            "action_items": [{"task": "보고서 정리", "owner": "김민수 씨", "due": "금요일까지", "evidence": ["보고서는 민수 씨가"]}]}"#,
    );
    write(
        d,
        "f.yaml",
        "decisions: [배포는 다음 주 화요일]\naction_items:\n  - {task: 보고서 정리, owner: 민수, due: 금요일}\n",
    );
    let out = minutes()
        .current_dir(d)
        .args([
            "eval",
            "minutes",
            "-f",
            "json",
            "--transcript",
            "t.txt",
            "--expected",
            "f.yaml",
            "m.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["results"][0];
    assert_eq!(r["precision"]["precision"], 1.0);
    // 배포는다음주화요일 (8 bigrams) in 신규모듈배포는다음주화요일에한다 (15).
    assert_eq!(number(&r["matches"][0]["similarity"]), 16.0 / 23.0);
    assert_eq!(r["recall"]["decisions"]["recall"], 1.0);
    assert_eq!(r["owners"], serde_json::json!({"given": 1, "correct": 1}));
    assert_eq!(r["dues"], serde_json::json!({"given": 1, "correct": 1}));
}

#[test]
fn an_unknown_key_in_the_facts_is_named() {
    let dir = meeting();
    write(
        dir.path(),
        "facts.yaml",
        "action_items:\n  - task: Update the changelog\n    owners: Jin\n",
    );
    let out = eval(dir.path(), &["--expected", "facts.yaml", "minutes.json"]);
    assert_clean_failure(&out, 65, "facts.yaml", "unknown field `owners`");
    write(dir.path(), "facts.yaml", "decisions: 3\n");
    let out = eval(dir.path(), &["--expected", "facts.yaml", "minutes.json"]);
    assert_clean_failure(&out, 65, "facts.yaml", "invalid type");
}

#[test]
fn a_missing_transcript_exits_66_naming_it() {
    let dir = meeting();
    let out = minutes()
        .current_dir(dir.path())
        .args([
            "eval",
            "minutes",
            "--transcript",
            "missing.json",
            "minutes.json",
        ])
        .output()
        .unwrap();
    assert_clean_failure(&out, 66, "missing.json", "no such file");
    assert_eq!(stderr_of(&out).lines().count(), 1, "{}", stderr_of(&out));
}

#[test]
fn bad_inputs_are_each_reported_and_nothing_is_printed() {
    let dir = meeting();
    let d = dir.path();
    write(d, "empty.txt", "\n");
    write(d, "notes.docx", "x");
    // A transcript is not minutes; nor is an empty transcript a transcript.
    let out = eval(d, &["sync.json"]);
    assert_clean_failure(&out, 65, "sync.json", "not minutes");
    let out = minutes()
        .current_dir(d)
        .args([
            "eval",
            "minutes",
            "--transcript",
            "empty.txt",
            "minutes.json",
            "notes.docx",
        ])
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, "empty.txt", "empty");
    let err = stderr_of(&out);
    assert!(
        err.contains("notes.docx: unsupported file type .docx"),
        "{err}"
    );
    assert!(err.contains("2 of 3 files could not be used"), "{err}");
    // No --transcript: a usage error.
    let out = minutes()
        .current_dir(d)
        .args(["eval", "minutes", "minutes.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--transcript"));
    assert!(out.stdout.is_empty());
}
