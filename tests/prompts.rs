//! Prompt sets: few-shot examples sent as prior turns in the request's
//! language, and a set whose example breaks the schema refused before any
//! work is done.

use crate::common::llm::{FakeLlm, Faults, last_user};
use crate::common::*;

#[test]
fn the_example_in_the_language_of_the_meeting_is_sent_before_the_request() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = dir.path().join("회의.json");
    let t = serde_json::json!({"source": "회의.m4a", "model": "base", "language": "ko", "duration": 60.0,
        "segments": [{"start": 0.0, "end": 6.0, "text": "배포는 다음 주 화요일로 하기로 했습니다."}]});
    std::fs::write(&input, t.to_string()).unwrap();
    let out = summarize(&llm, &input, &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let seen = llm.seen();
    for stage in ["correct", "map"] {
        let s = seen.iter().find(|s| s.stage == stage).unwrap();
        let roles: Vec<&str> = s.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"], "{stage}");
        let example = s.body["messages"][2]["content"].as_str().unwrap();
        assert!(
            example.contains("민수"),
            "{stage}: not the Korean example: {example}"
        );
        assert!(last_user(&s.body).contains("화요일"), "{stage}");
    }
}

#[test]
fn a_prompt_set_whose_example_breaks_the_schema_is_refused() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let set = dir.path().join("terse");
    std::fs::create_dir_all(&set).unwrap();
    std::fs::write(
        set.join("reduce.yaml"),
        "system: Write minutes.\nuser: '{{notes}}'\nexamples:\n  - input: {notes: n}\n    output: {title: t, summary: [s], decisions: [{decision: d}], action_items: [], open_questions: [], topics: [], participants: []}\n",
    )
    .unwrap();
    let input = crate::common::llm::planted_transcript(dir.path(), 2);
    let md = dir.path().join("minutes.md");
    let out = summarize(
        &llm,
        &input,
        &[
            "--template",
            set.to_str().unwrap(),
            "-o",
            md.to_str().unwrap(),
        ],
    );
    assert_clean_failure(
        &out,
        78,
        "reduce.yaml",
        "example 1: output.decisions[0].evidence is missing",
    );
    assert!(!md.exists(), "minutes were written");
    assert!(
        llm.seen().is_empty(),
        "the LLM was called before the prompts were checked"
    );
}
