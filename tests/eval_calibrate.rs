//! `minutes eval calibrate`: the shipped good minutes against their three
//! corrupted copies, judged in both orders by the fake judge of
//! `common::llm`: one that sees the planted faults passes every copy, one
//! that picks by position passes none, and one that is down fails the run.

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults, Judge, last_user};
use crate::common::*;

fn calibrate(llm: &FakeLlm, extra: &[&str]) -> std::process::Output {
    minutes()
        .args(["eval", "calibrate"])
        .args(["--judge-llm", &llm.url(), "--judge-model", "judge-model"])
        .args(["--retries", "0"])
        .args(extra)
        .output()
        .unwrap()
}

/// A judge that knows what was said: Jin updates the changelog by
/// Wednesday, Python 3.8 is dropped, and nobody named March 7.
fn knowing() -> FakeLlm {
    FakeLlm::start(Faults {
        judge: Some(Judge::Knows {
            has: vec!["owner: Jin; due: Wednesday".into(), "Python 3.8".into()],
            lacks: vec!["March 7".into()],
        }),
        ..Faults::default()
    })
}

#[test]
fn a_judge_that_sees_the_planted_faults_passes_every_copy() {
    let llm = knowing();
    let out = calibrate(&llm, &["-f", "json"]);
    let v: Value = serde_json::from_str(&success(&out)).unwrap();
    assert_eq!((&v["passed"], &v["inconsistent"]), (&3.into(), &0.into()));
    let names: Vec<&str> = v["corruptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["wrong-owner", "dropped-decision", "invented-date"]);
    for c in v["corruptions"].as_array().unwrap() {
        assert_eq!(c["passed"], true);
        assert_eq!(c["orders"][0]["first"], "good");
        assert_eq!(c["orders"][1]["first"], "corrupted");
        assert_eq!(c["orders"][0]["preferred"], "good");
        assert_eq!(c["orders"][1]["preferred"], "good");
    }
    assert_eq!(v["judge"]["model"], "judge-model");
    assert_eq!(v["usage"]["calls"], 6);
    // Both orders of each pair, each with the meeting's transcript.
    let prompts: Vec<String> = llm.seen().iter().map(|s| last_user(&s.body)).collect();
    assert_eq!(prompts.len(), 6);
    assert!(
        prompts
            .iter()
            .all(|p| p.contains("We ship version 2.4 on March 14"))
    );
    let table = success(&calibrate(&knowing(), &[]));
    assert_eq!(
        table,
        "corruption        good shown first  copy shown first  result\n\
         wrong-owner                   good              good  passed\n\
         dropped-decision              good              good  passed\n\
         invented-date                 good              good  passed\n\
         the judge preferred the good minutes in both orders on 3 of 3 corrupted copies; the orders disagreed on 0 of 3\n"
    );
}

#[test]
fn a_judge_that_picks_by_position_passes_none() {
    let llm = FakeLlm::start(Faults {
        judge: Some(Judge::AlwaysFirst),
        ..Faults::default()
    });
    let out = calibrate(&llm, &[]);
    let table = success(&out);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 5, "{table}");
    for row in &rows[1..4] {
        assert!(row.ends_with("good         corrupted  failed"), "{row}");
    }
    assert!(rows[4].contains("on 0 of 3") && rows[4].contains("disagreed on 3 of 3"));
    assert!(
        stderr_of(&out).contains("6 judge calls"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_judge_that_is_down_fails_the_run() {
    let llm = FakeLlm::start(Faults {
        always_status: Some(503),
        ..Faults::default()
    });
    let out = calibrate(&llm, &[]);
    assert_clean_failure(&out, 69, "judge-model", "judging");
}
