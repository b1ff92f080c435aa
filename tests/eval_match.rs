//! Expected facts matched by a judge (`eval minutes --expected --judge-llm`):
//! the fake judge of `common::llm` (a real HTTP server) reads a paraphrase
//! as the fact it states where words do not; an answer that gives one item
//! for two facts fails the run; `--redact-terms` keeps the user's own terms
//! off the judge.

use std::path::Path;

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults, last_user};
use crate::common::*;

const MINUTES: &str = r#"{"minutes": {
  "title": "Release sync",
  "summary": ["Project Falcon: 2.4 ships on March 14; the launch moves."],
  "decisions": [
    {"decision": "Release date moves seven days later", "evidence": []},
    {"decision": "Ship 2.4 on March 14", "evidence": [{"time": "00:00", "quote": "we ship version 2.4 on March 14"}]}
  ],
  "action_items": [{"task": "Update the Falcon changelog", "owner": "Jin", "due": "Wednesday", "evidence": []}],
  "open_questions": [], "topics": [], "participants": ["Jin"]
}}
"#;

/// Three decisions-and-actions facts; the first is stated only in other
/// words, and the open question is not stated at all.
const FACTS: &str = "decisions:
  - Postpone the launch by a week
  - Ship version 2.4 on March 14
action_items:
  - task: Update the Falcon changelog
    owner: Jin
    due: Friday
open_questions:
  - Who signs off the Falcon license?
";

fn meeting() -> tempfile::TempDir {
    let dir = scratch();
    for (name, text) in [
        ("sync.json", SYNC_TRANSCRIPT),
        ("a.json", MINUTES),
        ("facts.yaml", FACTS),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// `minutes eval minutes a.json --transcript sync.json --expected facts.yaml -f json`, then `args`.
fn evaluated(dir: &Path, args: &[&str]) -> std::process::Output {
    minutes()
        .current_dir(dir)
        .args(["eval", "minutes", "a.json", "--transcript", "sync.json"])
        .args(["--expected", "facts.yaml", "-f", "json"])
        .args(args)
        .output()
        .unwrap()
}

/// [`evaluated`] with `llm` as the judge, then `extra`.
fn judged(dir: &Path, llm: &FakeLlm, extra: &[&str]) -> std::process::Output {
    let url = llm.url();
    let mut args = vec![
        "--judge-llm",
        &url,
        "--judge-model",
        "judge-model",
        "--retries",
        "0",
    ];
    args.extend_from_slice(extra);
    evaluated(dir, &args)
}

#[test]
fn a_judge_matches_facts_by_meaning_where_words_do_not() {
    let dir = meeting();
    // By words: the paraphrased decision is missed.
    let words: Value = serde_json::from_str(&success(&evaluated(dir.path(), &[]))).unwrap();
    assert_eq!(words["matching"], "words");
    assert_eq!(words["threshold"], 0.5);
    let row = &words["results"][0];
    assert_eq!(row["recall"]["decisions"]["recall"], 0.5);
    assert_eq!(row["matches"][0]["found"], Value::Null);

    let llm = FakeLlm::start(Faults {
        same: vec![
            ("Postpone the launch".into(), "Release date moves".into()),
            ("Ship version 2.4".into(), "Ship 2.4".into()),
        ],
        ..Faults::default()
    });
    let out = judged(dir.path(), &llm, &[]);
    let v: Value = serde_json::from_str(&success(&out)).unwrap();
    assert_eq!(v["matching"], "judge");
    assert_eq!(v["matcher"]["source"], "built-in");
    assert_eq!(v["matcher"]["hash"].as_str().unwrap().len(), 12);
    assert_eq!(v["threshold"], Value::Null);
    let row = &v["results"][0];
    assert_eq!(row["recall"]["decisions"]["recall"], 1.0);
    assert_eq!(row["recall"]["decisions"]["matched"], 2);
    let first = &row["matches"][0];
    assert_eq!(first["found"], "Release date moves seven days later");
    assert_eq!(first["similarity"], Value::Null);
    assert!(
        first["reasoning"]
            .as_str()
            .unwrap()
            .contains("Postpone the launch by a week is F1"),
        "{first}"
    );
    // The action item is the judge's match; its owner and due date are
    // compared as without a judge: Jin is right, Wednesday is not Friday.
    assert_eq!(row["recall"]["action_items"]["recall"], 1.0);
    assert_eq!(
        (
            row["owners"]["correct"].as_u64(),
            row["owners"]["given"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            row["dues"]["correct"].as_u64(),
            row["dues"]["given"].as_u64()
        ),
        (Some(0), Some(1))
    );
    // Nothing in the minutes could state the open question: no call for it.
    assert_eq!(row["recall"]["open_questions"]["recall"], 0.0);
    let mut stages = llm.stages();
    stages.sort();
    assert_eq!(stages, ["match", "match", "score"]);
    let asked: Vec<String> = llm
        .seen()
        .iter()
        .filter(|s| s.stage == "match")
        .map(|s| last_user(&s.body))
        .collect();
    let decisions = asked
        .iter()
        .find(|u| u.contains("Kind: decisions"))
        .unwrap();
    for part in [
        "E1: Postpone the launch by a week\nE2: Ship version 2.4 on March 14\n",
        "F1: Release date moves seven days later\nF2: Ship 2.4 on March 14\n",
    ] {
        assert!(decisions.contains(part), "{part:?} not in {decisions}");
    }
    assert!(asked.iter().any(|u| u.contains("Kind: action items")));
    // The tokens of the matching calls are the judge's too.
    assert_eq!(v["usage"]["calls"], 3);
    assert!(stderr_of(&out).contains("matched by the judge"));
}

#[test]
fn a_judge_giving_one_item_for_two_facts_fails_the_run() {
    let dir = meeting();
    let llm = FakeLlm::start(Faults {
        match_first: true,
        ..Faults::default()
    });
    let out = judged(dir.path(), &llm, &[]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(out.stdout.is_empty());
    for part in [
        "the decisions of a.json",
        "item F1 is given for both E1 and E2",
        "judge-model",
    ] {
        assert!(err.contains(part), "{part:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn redact_terms_keep_the_users_terms_off_the_judge() {
    let dir = meeting();
    std::fs::write(dir.path().join("terms.txt"), "# code names\nFalcon\n").unwrap();
    let llm = FakeLlm::start(Faults::default());
    // A loopback judge sees everything unless asked; the terms imply --redact.
    let out = judged(dir.path(), &llm, &["--redact-terms", "terms.txt"]);
    let v: Value = serde_json::from_str(&success(&out)).unwrap();
    // The judge's reasoning has the real name back.
    let action = &v["results"][0]["matches"][2];
    assert_eq!(action["kind"], "action_item");
    assert!(
        action["reasoning"]
            .as_str()
            .unwrap()
            .contains("Update the Falcon changelog"),
        "{action}"
    );
    let seen = llm.seen();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        let user = last_user(&s.body);
        assert!(!user.contains("Falcon"), "{}: {user}", s.stage);
    }
    assert!(
        seen.iter()
            .all(|s| s.stage != "score" || last_user(&s.body).contains("[TERM_1]"))
    );
    assert!(stderr_of(&out).contains("kept personal data off the judge"));
    // Without the flag, the loopback judge reads the name.
    let llm = FakeLlm::start(Faults::default());
    success(&judged(dir.path(), &llm, &[]));
    assert!(
        llm.seen()
            .iter()
            .any(|s| last_user(&s.body).contains("Falcon"))
    );
}

#[test]
fn bad_redact_terms_fail_before_the_judge_is_asked() {
    let dir = meeting();
    std::fs::write(dir.path().join("empty.txt"), "# nothing yet\n\n").unwrap();
    let llm = FakeLlm::start(Faults::default());
    let out = judged(
        dir.path(),
        &llm,
        &["--redact-terms", "terms.txt", "--no-redact"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("contradict"));
    let out = judged(dir.path(), &llm, &["--redact-terms", "missing.txt"]);
    assert_clean_failure(&out, 66, "missing.txt", "no such file");
    let out = judged(dir.path(), &llm, &["--redact-terms", "empty.txt"]);
    assert_clean_failure(&out, 65, "empty.txt", "no terms");
    // Judge flags need a judge.
    let out = evaluated(dir.path(), &["--redact-terms", "empty.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(llm.seen().is_empty());
}
