//! `minutes eval minutes --judge-llm`: rubric scores of minutes by the fake
//! judge of `common::llm` (a real HTTP server) with answers the test sets,
//! so the means and spreads are known exactly; answers that break the
//! rubric's rules, and bad flags, fail cleanly.

use std::path::Path;

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults, last_user};
use crate::common::*;

const MINUTES: &str = r#"{"minutes": {
  "title": "Release sync",
  "summary": ["Version 2.4 ships on March 14."],
  "decisions": [{"decision": "Ship 2.4 on March 14",
                 "evidence": [{"time": "00:00", "quote": "we ship version 2.4 on March 14"}]}],
  "action_items": [{"task": "Update the changelog", "owner": "Jin", "due": "Wednesday",
                    "evidence": [{"time": "00:05", "quote": "please update the changelog"}]}],
  "open_questions": [], "topics": [], "participants": ["Jin"]
}}
"#;

/// The meeting in a fresh directory: `sync.json`, `a.json` and `b.json`.
fn meeting() -> tempfile::TempDir {
    let dir = scratch();
    for (name, text) in [
        ("sync.json", SYNC_TRANSCRIPT),
        ("a.json", MINUTES),
        ("b.json", MINUTES),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// `minutes eval minutes --transcript sync.json` judged by `llm`, then `args`.
fn judged(dir: &Path, llm: &FakeLlm, args: &[&str]) -> std::process::Output {
    minutes()
        .current_dir(dir)
        .args(["eval", "minutes", "--transcript", "sync.json"])
        .args(["--judge-llm", &llm.url(), "--judge-model", "judge-model"])
        .args(["--retries", "0"])
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&success(out)).unwrap()
}

#[test]
fn fixed_answers_give_exact_means_and_the_judge_reads_transcript_and_minutes() {
    let dir = meeting();
    let llm = FakeLlm::start(Faults {
        scores: vec![vec![5, 4, 3, 2, 1]],
        ..Faults::default()
    });
    let v = json_of(&judged(
        dir.path(),
        &llm,
        &["-f", "json", "a.json", "b.json"],
    ));
    for r in v["results"].as_array().unwrap() {
        let j = &r["judge"];
        assert_eq!(j["model"], "judge-model");
        assert_eq!(j["url"], llm.url());
        assert_eq!(j["samples"], 1);
        for (name, score) in [
            ("faithfulness", 5),
            ("coverage", 4),
            ("owners_and_dates", 3),
            ("concision", 2),
            ("language", 1),
        ] {
            let c = &j["criteria"][name];
            assert_eq!(number(&c["mean"]), f64::from(score), "{name}");
            assert_eq!(number(&c["spread"]), 0.0, "{name}");
            assert_eq!(c["scores"], serde_json::json!([score]), "{name}");
            assert_eq!(j["reasoning"][name], "ok", "{name}");
        }
        assert_eq!(number(&j["overall"]["mean"]), 3.0);
        assert_eq!(number(&j["overall"]["spread"]), 0.0);
        // The scores without a judge are still there.
        assert_eq!(r["precision"]["items"], 2);
    }
    assert_eq!(v["rubric"]["source"], "built-in");
    assert_eq!(v["usage"]["calls"], 2);
    assert!(v["seconds"].as_f64().is_some());

    let seen = llm.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        let schema = &s.body["response_format"]["json_schema"];
        assert_eq!(schema["name"], "scores");
        let user = last_user(&s.body);
        assert!(
            user.contains("please update the changelog by Wednesday"),
            "{user}"
        );
        assert!(
            user.contains("Update the changelog (owner: Jin; due: Wednesday)"),
            "{user}"
        );
        // Shown as `eval compare` shows minutes: no quotes.
        assert!(
            !user.contains("we ship version 2.4 on March 14\""),
            "{user}"
        );
    }

    // The table has the judge's columns.
    let out = judged(dir.path(), &llm, &["a.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header[4..],
        [
            "judge",
            "faithfulness",
            "coverage",
            "owners_and_dates",
            "concision",
            "language"
        ]
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        row[4..],
        ["3.00±0.00", "5.00", "4.00", "3.00", "2.00", "1.00"]
    );
}

#[test]
fn samples_give_the_mean_and_the_sample_standard_deviation() {
    let dir = meeting();
    let llm = FakeLlm::start(Faults {
        scores: vec![
            vec![5, 5, 5, 5, 5],
            vec![3, 5, 5, 5, 4],
            vec![4, 5, 5, 5, 3],
        ],
        ..Faults::default()
    });
    let out = judged(
        dir.path(),
        &llm,
        &["-f", "json", "--samples", "3", "a.json"],
    );
    let v = json_of(&out);
    let j = &v["results"][0]["judge"];
    assert_eq!(j["samples"], 3);
    let faith = &j["criteria"]["faithfulness"];
    // 5, 3, 4 in whatever order the concurrent answers came.
    let mut scores: Vec<u64> = faith["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    scores.sort();
    assert_eq!(scores, [3, 4, 5]);
    assert_eq!(number(&faith["mean"]), 4.0);
    assert!((number(&faith["spread"]) - 1.0).abs() < 1e-12);
    assert_eq!(number(&j["criteria"]["coverage"]["spread"]), 0.0);
    // Language 5, 4, 3: mean 4, deviation 1. Per sample 5.0, 4.4, 4.4:
    // mean 4.6, deviation sqrt((0.16 + 0.04 + 0.04) / 2) = sqrt(0.12).
    assert_eq!(number(&j["criteria"]["language"]["mean"]), 4.0);
    assert!((number(&j["overall"]["mean"]) - 4.6).abs() < 1e-12);
    assert!((number(&j["overall"]["spread"]) - 0.12f64.sqrt()).abs() < 1e-12);
    assert_eq!(v["usage"]["calls"], 3);
    // Sampled: not at temperature 0, where the answers would be copies.
    for s in llm.seen() {
        assert!(number(&s.body["temperature"]) > 0.0, "{}", s.body);
    }
}

/// An answer that is JSON but breaks the rubric's rules fails the run,
/// naming the file, the sample and the judge; nothing goes to stdout.
fn assert_rejected(scores: Vec<u8>, why: &str) {
    let dir = meeting();
    let llm = FakeLlm::start(Faults {
        scores: vec![scores],
        ..Faults::default()
    });
    let out = judged(dir.path(), &llm, &["-f", "json", "a.json"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(out.stdout.is_empty());
    for part in ["a.json", "sample 1 of 1", "judge-model", why] {
        assert!(err.contains(part), "{part:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_score_out_of_range_fails_the_run() {
    assert_rejected(vec![5, 7, 3, 2, 1], "coverage has score 7");
}

#[test]
fn a_missing_criterion_fails_the_run() {
    assert_rejected(vec![5, 4, 3, 2], "language is missing");
}

#[test]
fn a_judge_answering_garbage_fails_the_run() {
    let dir = meeting();
    let llm = FakeLlm::start(Faults {
        judge_garbage: true,
        ..Faults::default()
    });
    let out = judged(dir.path(), &llm, &["a.json"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("no usable scores of a.json"), "{err}");
    // Asked once, then the one repair.
    assert_eq!(llm.stages(), ["score", "repair"]);
}

#[test]
fn samples_out_of_bounds_and_judge_flags_without_a_judge_are_usage_errors() {
    let dir = meeting();
    let llm = FakeLlm::start(Faults::default());
    for n in ["0", "21"] {
        let out = judged(dir.path(), &llm, &["--samples", n, "a.json"]);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("--samples must be between 1 and 20"), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = minutes()
        .current_dir(dir.path())
        .args([
            "eval",
            "minutes",
            "--transcript",
            "sync.json",
            "--samples",
            "3",
        ])
        .arg("a.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(llm.seen().is_empty());
}

#[test]
fn without_a_judge_there_are_no_judge_fields() {
    let dir = meeting();
    let out = minutes()
        .current_dir(dir.path())
        .args(["eval", "minutes", "--transcript", "sync.json", "-f", "json"])
        .arg("a.json")
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["results"][0]["judge"], Value::Null);
    for key in ["usage", "seconds", "rubric"] {
        assert!(v.get(key).is_none(), "{key}");
    }
}
