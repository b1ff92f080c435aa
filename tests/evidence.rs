//! Every decision, action item and open question rests on words found in
//! the transcript: items quoting what nobody said are dropped (or kept and
//! marked with `--keep-unverified`), and each item's time is where its
//! quote was said.

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults, planted_transcript};
use crate::common::*;

#[test]
fn items_quoting_what_nobody_said_are_dropped_and_listed_for_review() {
    let llm = FakeLlm::start(Faults {
        invent_evidence: true,
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 3);
    let out = summarize(&llm, &input, &["--no-correct", "--include-transcript"]);
    let md = success(&out);
    assert!(
        !md.contains("- Buy a yacht"),
        "an item nobody said survived: {md}"
    );
    assert!(
        md.contains("- Adopt the plan [[00:00]](#t-00-00)"),
        "a backed item keeps the time of its quote, linked to the transcript: {md}"
    );
    assert!(md.contains("<a id=\"t-00-00\"></a>[00:00] Item 1:"), "{md}");
    assert!(
        review_of(&md)
            .contains(&"not found in the transcript, removed: decision: Buy a yacht".to_string()),
        "{:?}",
        review_of(&md)
    );
    assert!(
        stderr_of(&out).contains("--keep-unverified"),
        "{}",
        stderr_of(&out)
    );

    // Kept on request, and marked as such in markdown and JSON.
    let md = success(&summarize(
        &llm,
        &input,
        &["--no-correct", "--keep-unverified"],
    ));
    assert!(md.contains("- Buy a yacht _(unverified)_\n"), "{md}");
    assert!(
        review_of(&md).contains(
            &"not found in the transcript, kept unverified: decision: Buy a yacht".to_string()
        ),
        "{:?}",
        review_of(&md)
    );
    let out = summarize(
        &llm,
        &input,
        &["--no-correct", "--keep-unverified", "-f", "json"],
    );
    let v: Value = serde_json::from_str(&success(&out)).unwrap();
    let decisions = v["minutes"]["decisions"].as_array().unwrap();
    let yacht = decisions
        .iter()
        .find(|d| d["decision"] == "Buy a yacht")
        .unwrap();
    assert_eq!(yacht["verified"], false);
    assert_eq!(yacht["time"], Value::Null);
    let plan = decisions
        .iter()
        .find(|d| d["decision"] == "Adopt the plan")
        .unwrap();
    assert_eq!(plan["verified"], true);
    assert_eq!(v["report"]["unverified"], 1);
}

#[test]
fn evidence_in_json_names_the_segment_its_start_and_the_quote() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    // Six segments a minute apart, three chunks: the quotes of the later
    // chunks point into them, not to the start of the meeting.
    let input = planted_transcript(dir.path(), 6);
    let out = summarize(&llm, &input, &["--chunk-tokens", "100", "-f", "json"]);
    let v: Value = serde_json::from_str(&success(&out)).unwrap();
    let m = &v["minutes"];
    let mut starts = Vec::new();
    for kind in ["decisions", "action_items", "open_questions"] {
        let items = m[kind].as_array().unwrap();
        assert!(!items.is_empty(), "{kind}: {m}");
        for item in items {
            assert_eq!(item["verified"], true, "{item}");
            assert_eq!(item["time"], item["evidence"][0]["time"], "{item}");
            for e in item["evidence"].as_array().unwrap() {
                let segment = e["segment"].as_u64().unwrap() as usize;
                let start = e["start"].as_f64().unwrap();
                // The planted transcript: segment i starts at i minutes.
                assert_eq!(start, segment as f64 * 60.0, "{item}");
                let quote = e["quote"].as_str().unwrap();
                assert!(
                    quote.starts_with(&format!("Item {}:", segment + 1)),
                    "{item}"
                );
                starts.push(start);
            }
        }
    }
    assert!(
        starts.iter().any(|s| *s > 0.0),
        "every item points at the start: {starts:?}"
    );
}

#[test]
fn redacted_quotes_are_checked_with_the_real_values() {
    // The model saw placeholders and quoted them; the minutes and their
    // evidence have the real values back, and the quote checks out.
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = dir.path().join("call.json");
    let t = serde_json::json!({"source": "call", "model": "tiny.en", "language": "en", "duration": 60.0,
        "segments": [{"start": 0.0, "end": 5.0, "text": "Call 010-1234-5678 to confirm the booking."},
                     {"start": 5.0, "end": 9.0, "text": "Then we close the ticket."}]});
    std::fs::write(&input, t.to_string()).unwrap();
    let out = summarize(&llm, &input, &["--redact", "--no-correct", "-f", "json"]);
    let v: Value = serde_json::from_str(&success(&out)).unwrap();
    let sent = llm
        .seen()
        .iter()
        .map(|s| s.body.to_string())
        .collect::<String>();
    assert!(!sent.contains("1234-5678"), "the number reached the server");
    let d = &v["minutes"]["decisions"][0];
    assert_eq!(d["verified"], true, "{d}");
    assert_eq!(
        d["evidence"][0]["quote"], "Call 010-1234-5678 to confirm the booking.",
        "{d}"
    );
}
