//! `minutes eval compare`: two minutes judged in both orders by the fake
//! judge of `common::llm` (a real HTTP server): a consistent judge makes
//! its side win, a position-biased one only ties, directories pair by
//! name, and bad answers or inputs fail cleanly.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults, Judge, last_user};
use crate::common::*;

/// Minutes whose summary carries `marker`, with an evidence quote the
/// judge must not be shown.
fn marked(marker: &str) -> String {
    serde_json::json!({"minutes": {
        "title": "Release sync",
        "summary": [format!("Version 2.4 ships on March 14 ({marker}).")],
        "decisions": [{"decision": "Ship 2.4 on March 14",
                       "evidence": [{"time": "00:00", "quote": "QUOTE-NOT-SHOWN"}]}],
        "action_items": [{"task": "Update the changelog", "owner": "Jin", "due": "Wednesday", "evidence": []}],
        "open_questions": [], "topics": [], "participants": ["Jin"]
    }})
    .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// `minutes eval compare A B --transcript T` against `llm`, then `extra`.
fn compare(llm: &FakeLlm, a: &Path, b: &Path, t: &Path, extra: &[&str]) -> std::process::Output {
    minutes()
        .args(["eval", "compare"])
        .args([a, b])
        .arg("--transcript")
        .arg(t)
        .args(["--judge-llm", &llm.url(), "--judge-model", "judge-model"])
        .args(["--retries", "1"])
        .args(extra)
        .output()
        .unwrap()
}

/// A pair of files: A's minutes marked `MARK-A`, B's `MARK-B`.
fn one_pair(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        write(dir, "a.json", &marked("MARK-A")),
        write(dir, "b.json", &marked("MARK-B")),
        write(dir, "sync.json", SYNC_TRANSCRIPT),
    )
}

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn judge_prompts(llm: &FakeLlm) -> Vec<String> {
    llm.seen()
        .iter()
        .filter(|s| s.stage == "judge")
        .map(|s| last_user(&s.body))
        .collect()
}

#[test]
fn a_consistent_judge_makes_the_preferred_side_win_in_both_orders() {
    let dir = scratch();
    let (a, b, t) = one_pair(dir.path());
    let llm = FakeLlm::start(Faults {
        judge: Some(Judge::Prefers("MARK-B".into())),
        ..Faults::default()
    });
    let out = compare(&llm, &a, &b, &t, &["-f", "json"]);
    let v = json_of(&out);
    assert_eq!(v["judge"]["url"], llm.url());
    assert_eq!(v["judge"]["model"], "judge-model");
    let pair = &v["pairs"][0];
    assert_eq!(pair["name"], "a.json");
    assert_eq!(pair["result"], "b");
    assert_eq!(pair["orders"][0]["first"], "a");
    assert_eq!(pair["orders"][0]["better"], "second");
    assert_eq!(pair["orders"][1]["first"], "b");
    assert_eq!(pair["orders"][1]["better"], "first");
    assert!(pair["orders"][0]["reasoning"].as_str().unwrap().len() > 10);
    let totals = &v["totals"];
    for (key, n) in [
        ("pairs", 1),
        ("a_wins", 0),
        ("ties", 0),
        ("b_wins", 1),
        ("inconsistent", 0),
    ] {
        assert_eq!(totals[key], n, "{key}");
    }
    assert_eq!(totals["win_rate"], 0.0);
    let lo = totals["interval"][0].as_f64().unwrap();
    let hi = totals["interval"][1].as_f64().unwrap();
    assert!(lo.abs() < 1e-9, "{lo}");
    assert!((hi - 0.7935).abs() < 1e-4, "{hi}");
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(v["usage"]["calls"], 2);
    assert!(v["seconds"].as_f64().is_some());
    let err = stderr_of(&out);
    assert!(
        err.contains("judged 1 pair(s)") && err.contains("prompt"),
        "{err}"
    );

    // Both orders were asked: A's minutes first once, B's first once; the
    // transcript shown, the evidence quotes not.
    let prompts = judge_prompts(&llm);
    assert_eq!(prompts.len(), 2);
    let a_first = |p: &String| p.find("MARK-A").unwrap() < p.find("MARK-B").unwrap();
    assert_eq!(prompts.iter().filter(|p| a_first(p)).count(), 1);
    for p in &prompts {
        assert!(p.contains("update the changelog by Wednesday"), "{p}");
        assert!(p.contains("owner: Jin; due: Wednesday"), "{p}");
        assert!(!p.contains("QUOTE-NOT-SHOWN"), "{p}");
    }
    let seen = llm.seen();
    let schema = &seen[0].body["response_format"]["json_schema"];
    assert_eq!(schema["name"], "judgement");
    assert_eq!(seen[0].body["model"], "judge-model");
}

#[test]
fn a_judge_that_always_says_first_only_ties_and_its_bias_is_counted() {
    let dir = scratch();
    let (a, b, t) = one_pair(dir.path());
    let llm = FakeLlm::start(Faults {
        judge: Some(Judge::AlwaysFirst),
        ..Faults::default()
    });
    let v = json_of(&compare(&llm, &a, &b, &t, &["-f", "json"]));
    assert_eq!(v["pairs"][0]["result"], "tie");
    assert_eq!(v["totals"]["ties"], 1);
    assert_eq!(v["totals"]["inconsistent"], v["totals"]["pairs"]);
    assert_eq!(v["totals"]["win_rate"], 0.5);
}

#[test]
fn directories_pair_by_name_and_give_totals_with_an_interval() {
    let dir = scratch();
    let d = dir.path();
    // Pair one: A holds the marker; pair two: B does.
    write(d, "a/one.json", &marked("MARK-A"));
    write(d, "b/one.json", &marked("plain"));
    write(d, "a/two.json", &marked("plain"));
    write(d, "b/two.json", &marked("MARK-A"));
    write(d, "t/one.json", SYNC_TRANSCRIPT);
    write(d, "t/two.txt", "We ship version 2.4 on March 14.\n");
    let llm = FakeLlm::start(Faults {
        judge: Some(Judge::Prefers("MARK-A".into())),
        ..Faults::default()
    });
    let (a, b, t) = (d.join("a"), d.join("b"), d.join("t"));
    let out = compare(&llm, &a, &b, &t, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "pair      A shown first  B shown first  result\n\
         one.json              A              A       A\n\
         two.json              B              B       B\n\
         A: 1 wins, 0 ties, 1 losses of 2 pairs; win rate 0.5000, 95% interval [0.0945, 0.9055]; \
         the orders disagreed on 0 of 2\n"
    );
    assert_eq!(judge_prompts(&llm).len(), 4);

    // A name in one directory only is an error naming it; nothing is judged.
    write(d, "a/three.json", &marked("plain"));
    let llm = FakeLlm::start(Faults::default());
    let out = compare(&llm, &a, &b, &t, &[]);
    assert_clean_failure(&out, 66, "three.json", "no such file");
    assert!(llm.seen().is_empty());
}

#[test]
fn answers_that_are_not_json_even_after_a_repair_fail_cleanly() {
    let dir = scratch();
    let (a, b, t) = one_pair(dir.path());
    let llm = FakeLlm::start(Faults {
        judge_garbage: true,
        ..Faults::default()
    });
    let out = compare(&llm, &a, &b, &t, &["--jobs", "1"]);
    assert_clean_failure(&out, 69, "a.json", "not valid json");
    let err = stderr_of(&out);
    assert!(
        err.contains(&llm.url()) && err.contains("judge-model"),
        "{err}"
    );
    assert!(llm.stages().contains(&"repair".to_string()));
}

#[test]
fn a_judge_that_is_down_fails_after_its_retries() {
    let dir = scratch();
    let (a, b, t) = one_pair(dir.path());
    let llm = FakeLlm::start(Faults {
        always_status: Some(503),
        ..Faults::default()
    });
    let out = compare(&llm, &a, &b, &t, &["--jobs", "1"]);
    assert_clean_failure(&out, 69, "a.json", "judging");
    // One order: the first try and one retry (the other may have started too).
    assert!(llm.seen().len() >= 2, "{:?}", llm.stages());
}

#[test]
fn bad_inputs_and_flags_fail_before_any_call() {
    let dir = scratch();
    let (a, _, t) = one_pair(dir.path());
    let llm = FakeLlm::start(Faults::default());
    let missing = dir.path().join("missing.json");
    let out = compare(&llm, &a, &missing, &t, &[]);
    assert_clean_failure(&out, 66, "missing.json", "no such file");
    let rubric = write(
        dir.path(),
        "rubric.yaml",
        "version: 1\nsystem: s\nuser: \"{{first}}\"\n",
    );
    let out = compare(&llm, &a, &a, &t, &["--rubric", rubric.to_str().unwrap()]);
    assert_clean_failure(&out, 78, "rubric.yaml", "{{transcript}}");
    let out = compare(&llm, &a, &a, &t, &["--jobs", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty());
    let out = minutes()
        .args(["eval", "compare"])
        .args([&a, &a])
        .arg("--transcript")
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--judge-llm"));
    assert!(llm.seen().is_empty());
}

#[test]
fn personal_data_is_replaced_before_the_judge_sees_it_when_asked() {
    let dir = scratch();
    let (a, b, _) = one_pair(dir.path());
    let t = write(
        dir.path(),
        "sync.txt",
        "Send the notes to jin.park@example.com by Wednesday.\n",
    );
    let llm = FakeLlm::start(Faults::default());
    // A loopback judge sees everything unless --redact is given.
    let out = compare(&llm, &a, &b, &t, &["--redact"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let prompts = judge_prompts(&llm);
    assert_eq!(prompts.len(), 2);
    for p in &prompts {
        assert!(!p.contains("jin.park@example.com"), "{p}");
        assert!(p.contains("[EMAIL_1]"), "{p}");
    }
    assert!(stderr_of(&out).contains("kept personal data off the judge"));
    let llm = FakeLlm::start(Faults::default());
    let out = compare(&llm, &a, &b, &t, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(judge_prompts(&llm)[0].contains("jin.park@example.com"));
    // The user's own terms too: the owner's name is in both minutes.
    let terms = write(dir.path(), "terms.txt", "Jin\n");
    let llm = FakeLlm::start(Faults::default());
    let out = compare(
        &llm,
        &a,
        &b,
        &t,
        &["--redact-terms", terms.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for p in judge_prompts(&llm) {
        assert!(!p.contains("Jin"), "{p}");
        assert!(p.contains("[TERM_1]"), "{p}");
    }
}
