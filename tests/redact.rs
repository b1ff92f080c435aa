//! Personal data kept off the LLM: the server started by the test must
//! never see an e-mail, a phone, resident, card or account number, a key or
//! a listed term; the minutes must show the real values again.

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults};
use crate::common::*;

const PERSONAL: [&str; 7] = [
    "mina.park@example.com",
    "010-1234-5678",
    "900101-1234567",
    "4111 1111 1111 1111",
    "110-123-456789",
    "sk-proj-abcdefghijklmnop1234",
    "Blue Sky",
];

/// A transcript whose segments open with personal data (the test server
/// quotes each chunk's first words in its notes, so they reach the minutes).
fn transcript(dir: &std::path::Path) -> std::path::PathBuf {
    let lines = [
        "Write to mina.park@example.com or call 010-1234-5678 about TOKEN-1 today.",
        "Her number 900101-1234567 must not be shared, said Mina about TOKEN-2.",
        "Pay with 4111 1111 1111 1111 into 110-123-456789 for TOKEN-3 please.",
        "The key sk-proj-abcdefghijklmnop1234 leaked in Blue Sky for TOKEN-4.",
    ];
    let segments: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let start = i as f64 * 60.0;
            serde_json::json!({"start": start, "end": start + 50.0, "text": text})
        })
        .collect();
    let t = serde_json::json!({"source": "call", "model": "tiny.en", "language": "en",
        "duration": 240.0, "segments": segments});
    let p = dir.join("call.json");
    std::fs::write(&p, t.to_string()).unwrap();
    p
}

fn summarize(llm: &FakeLlm, input: &std::path::Path, extra: &[&str]) -> std::process::Output {
    minutes()
        .args(["summarize", "--llm", &llm.url(), "--llm-model", "m"])
        .args(["--chunk-tokens", "100"])
        .arg(input)
        .args(extra)
        .output()
        .unwrap()
}

fn everything_sent(llm: &FakeLlm) -> String {
    llm.seen()
        .iter()
        .map(|s| s.body.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn personal_data_never_reaches_the_llm_and_comes_back_in_the_minutes() {
    let dir = scratch();
    let input = transcript(dir.path());
    let terms = dir.path().join("terms.txt");
    std::fs::write(&terms, "# code names\nBlue Sky\n\n").unwrap();
    let llm = FakeLlm::start(Faults::default());
    let out = summarize(
        &llm,
        &input,
        &[
            "--redact-terms",
            terms.to_str().unwrap(),
            "-f",
            "json",
            "--include-transcript",
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let sent = everything_sent(&llm);
    assert!(!sent.is_empty());
    for value in PERSONAL {
        let escaped = serde_json::to_string(value).unwrap();
        assert!(
            !sent.contains(escaped.trim_matches('"')),
            "{value} was sent to the LLM"
        );
    }
    assert!(
        sent.contains("[EMAIL_1]") && sent.contains("[PHONE_1]"),
        "{sent}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let minutes = doc["minutes"].to_string();
    for value in ["mina.park@example.com", "010-1234-5678", "Blue Sky"] {
        assert!(
            minutes.contains(value),
            "{value} is not back in the minutes: {minutes}"
        );
    }
    assert!(
        !minutes.contains("[EMAIL_") && !minutes.contains("[PHONE_"),
        "{minutes}"
    );
    let transcript = doc["transcript"].to_string();
    assert!(transcript.contains("900101-1234567"), "{transcript}");
    let counts = &doc["report"]["redactions"];
    assert_eq!(counts["email"], 1, "{counts}");
    assert_eq!(counts["resident_number"], 1, "{counts}");
    assert_eq!(counts["term"], 1, "{counts}");
    let all = format!("{}{}", stderr_of(&out), doc["report"]);
    assert!(!all.contains("4111 1111"), "a value was reported: {all}");
    // Without redaction (a loopback server's default) the text goes as it is.
    let plain = FakeLlm::start(Faults::default());
    let out = summarize(&plain, &input, &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(everything_sent(&plain).contains("mina.park@example.com"));
}

#[test]
fn bad_redaction_flags_are_clear_errors() {
    let dir = scratch();
    let input = transcript(dir.path());
    let llm = FakeLlm::start(Faults::default());
    let missing = dir.path().join("no-terms.txt");
    let out = summarize(&llm, &input, &["--redact-terms", missing.to_str().unwrap()]);
    assert_clean_failure(&out, 66, "no-terms.txt", "no such file");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n\n").unwrap();
    let out = summarize(&llm, &input, &["--redact-terms", empty.to_str().unwrap()]);
    assert_clean_failure(&out, 65, "empty.txt", "no terms");
    let terms = dir.path().join("terms.txt");
    std::fs::write(&terms, "Blue Sky\n").unwrap();
    let out = summarize(
        &llm,
        &input,
        &["--redact-terms", terms.to_str().unwrap(), "--no-redact"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("--no-redact"),
        "{}",
        stderr_of(&out)
    );
    assert!(llm.seen().is_empty(), "a refused run called the LLM");
}
