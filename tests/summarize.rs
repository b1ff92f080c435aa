//! `minutes summarize` against a real local OpenAI-protocol server with
//! injected faults: nothing lost, bounded concurrency, retries that honour
//! Retry-After, structured-output fallback, no key leaks, clean failures.

use std::time::Duration;

use serde_json::Value;

use crate::common::llm::{
    FakeLlm, Faults, max_in_flight, merged_tokens, planted_transcript, tokens,
};
use crate::common::*;

/// The document after its front matter (which may list what was removed).
fn body(md: &str) -> &str {
    md.get(4..)
        .and_then(|rest| rest.find("\n---\n"))
        .map_or(md, |end| &md[end + 9..])
}

#[test]
fn every_chunk_reaches_the_merge_with_bounded_concurrency() {
    let latency = Duration::from_millis(300);
    let llm = FakeLlm::start(Faults {
        delay: latency,
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 40);
    let md = success(&summarize(
        &llm,
        &input,
        &["--chunk-tokens", "150", "--jobs", "3"],
    ));
    // The server honours the schema's bounds, so the minutes hold a few
    // items; what the pipeline owes is that every chunk's notes reach the
    // merge (collapse, reduce) that writes them.
    let found = merged_tokens(&llm.seen());
    let missing: Vec<String> = (1..=40)
        .map(|i| format!("TOKEN-{i}"))
        .filter(|t| !found.contains(t))
        .collect();
    assert!(missing.is_empty(), "lost before the merge: {missing:?}");
    assert!(md.contains("## Summary\n\n- "), "{md}");
    let stages = llm.stages();
    let maps = stages.iter().filter(|s| *s == "map").count();
    assert!(maps >= 8, "expected many chunks, got {maps} map calls");
    assert!(
        stages.iter().any(|s| s == "collapse"),
        "long notes are collapsed before the reduce: {stages:?}"
    );
    assert_eq!(stages.last().map(String::as_str), Some("reduce"));
    assert!(
        stages.iter().filter(|s| *s == "correct").count() == maps,
        "every chunk is corrected"
    );
    let peak = max_in_flight(&llm.seen(), latency);
    assert!(peak <= 3, "{peak} requests in flight with --jobs 3");
    assert!(peak >= 2, "map calls ran one by one (peak {peak})");
}

#[test]
fn markdown_has_front_matter_and_all_sections() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 6);
    let md = success(&summarize(
        &llm,
        &input,
        &["--include-transcript", "-l", "de", "--chunk-tokens", "100"],
    ));
    assert!(md.starts_with("---\n"), "{md}");
    let end = md[4..].find("\n---\n").unwrap() + 4;
    let front: serde_norway::Value = serde_norway::from_str(&md[4..end]).unwrap();
    assert_eq!(front["title"].as_str(), Some("Weekly sync: budget & plans"));
    assert_eq!(front["llm_model"].as_str(), Some("test-model"));
    assert_eq!(front["stt_model"].as_str(), Some("tiny.en"));
    assert_eq!(front["language"].as_str(), Some("de"));
    assert_eq!(front["duration"].as_str(), Some("06:00"));
    assert!(front["date"].as_str().unwrap().len() == 10);
    assert!(front["tags"].as_sequence().is_some());
    assert!(front["generator"].as_str().unwrap().starts_with("minutes "));
    assert_eq!(
        front["review"].as_sequence().map(Vec::len),
        Some(0),
        "nothing to check: {md}"
    );
    for heading in [
        "## Summary",
        "## Decisions",
        "## Action items",
        "## Open questions",
        "## Topics",
        "## Transcript",
    ] {
        assert!(md.contains(heading), "missing {heading}");
    }
    assert!(
        md.contains("- [ ] Send the report — Mina [[00:00]](#t-00-00)"),
        "{md}"
    );
    // The correction fixed the planted typo, and the transcript shows it.
    assert!(
        md.contains("[01:00] Item 2: we talked about the budget"),
        "{md}"
    );
    // The prompts asked for German minutes, naming the language plainly.
    let map = llm.seen().into_iter().find(|s| s.stage == "map").unwrap();
    assert!(
        map.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Write all text in German (Deutsch).")
    );
}

#[test]
fn minutes_asked_for_in_korean_and_answered_in_english_are_asked_again_then_flagged() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 1);
    let out = summarize(&llm, &input, &["-l", "ko", "--no-correct"]);
    let md = success(&out);
    let seen = llm.seen();
    let maps: Vec<_> = seen.iter().filter(|s| s.stage == "map").collect();
    assert_eq!(maps.len(), 2, "the English answer is asked for once more");
    let again = maps[1].body["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        again.ends_with("Write every text value in Korean (한국어), not in another language."),
        "{again}"
    );
    assert!(md.contains("not written in Korean (한국어)"), "{md}");
}

#[test]
fn a_due_date_said_elsewhere_in_the_meeting_is_removed_from_the_task() {
    let dir = scratch();
    let input = dir.path().join("meeting.txt");
    // The fake model quotes the first line as the task's evidence.
    std::fs::write(
        &input,
        "[00:00] Mina will send the report to the board.\n[00:05] By Thursday, I hope.\n\
         [00:10] Okay.\n[00:15] Fine.\n[00:20] The slides for the offsite are due on Friday.\n",
    )
    .unwrap();
    let run = |due: &'static str| {
        let llm = FakeLlm::start(Faults {
            due: Some(due),
            ..Faults::default()
        });
        let out = summarize(&llm, &input, &["--no-correct", "-f", "json"]);
        let v: Value = serde_json::from_str(&success(&out)).unwrap();
        (v, stderr_of(&out))
    };
    let (v, stderr) = run("Friday");
    let task = &v["minutes"]["action_items"][0];
    assert_eq!(task["task"], "Send the report", "the task stays: {v}");
    assert_eq!(task["due"], Value::Null, "{v}");
    let review = v["report"]["review"].to_string();
    assert!(
        review.contains(r#"due date \"Friday\" of \"Send the report\" is not said where the task was given: removed"#),
        "{review}"
    );
    assert!(stderr.contains("removed 1 due dates"), "{stderr}");
    assert_eq!(v["report"]["dues_dropped"], 1, "{v}");
    // Said in the turn after the task: kept.
    let (v, _) = run("Thursday");
    assert_eq!(v["minutes"]["action_items"][0]["due"], "Thursday", "{v}");
}

#[test]
fn a_meeting_of_one_part_is_summarised_in_one_call() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 3);
    let out = success(&summarize(&llm, &input, &["-f", "json", "--no-correct"]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(llm.stages(), ["map"], "one part's notes are the minutes");
    assert!(v["usage"].get("reduce").is_none(), "{}", v["usage"]);
    assert_eq!(v["minutes"]["decisions"][0]["decision"], "Adopt the plan");
    assert_eq!(v["minutes"]["decisions"][0]["verified"], true);
}

#[test]
fn json_output_reports_usage_by_stage_and_provenance() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 5);
    let out = success(&summarize(
        &llm,
        &input,
        &["-f", "json", "--no-correct", "--chunk-tokens", "100"],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["usage"]["map"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(v["usage"]["reduce"]["completion_tokens"].as_u64().unwrap() > 0);
    assert!(
        v["usage"].get("correct").is_none(),
        "--no-correct makes no correction calls"
    );
    assert_eq!(
        v["usage_total"]["calls"].as_u64().unwrap() as usize,
        llm.seen().len()
    );
    assert_eq!(
        v["usage_total"]["cached_prompt_tokens"].as_u64().unwrap(),
        crate::common::llm::CACHED_TOKENS * llm.seen().len() as u64,
        "cached prompt tokens are counted"
    );
    assert_eq!(v["provenance"]["prompts"], "default");
    assert_eq!(v["provenance"]["prompts_hash"].as_str().unwrap().len(), 12);
    assert!(v["minutes"]["summary"].as_array().unwrap().len() >= 5);
    assert!(v["report"]["seconds"]["reduce"].as_f64().is_some());
}

#[test]
fn retries_honour_retry_after() {
    let llm = FakeLlm::start(Faults {
        map_status_once: Some((429, Some("2"))),
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let md = success(&summarize(&llm, &input, &["--jobs", "1", "--no-correct"]));
    assert!(tokens(&md).len() == 2, "{md}");
    let maps: Vec<_> = llm
        .seen()
        .into_iter()
        .filter(|s| s.stage == "map")
        .collect();
    assert!(maps.len() >= 2);
    let gap = maps[1].at - maps[0].at;
    assert!(
        gap >= Duration::from_millis(1900),
        "retried after {gap:?}, server asked for 2 s"
    );
}

#[test]
fn server_errors_and_timeouts_are_retried() {
    let llm = FakeLlm::start(Faults {
        map_status_once: Some((503, None)),
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let md = success(&summarize(&llm, &input, &["--no-correct"]));
    assert_eq!(tokens(&md).len(), 2);
    // A server slower than the request timeout: every attempt times out, then exit 69.
    let slow = FakeLlm::start(Faults {
        delay: Duration::from_secs(3),
        ..Faults::default()
    });
    let out = minutes()
        .args([
            "summarize",
            "--llm",
            &slow.url(),
            "--llm-model",
            "m",
            "--retries",
            "1",
        ])
        .args(["--no-correct", "--request-timeout", "0.5"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("no answer within"),
        "{}",
        stderr_of(&out)
    );
    assert!(slow.seen().len() >= 2, "the timeout was retried");
}

#[test]
fn truncated_and_invalid_answers_are_recovered() {
    let llm = FakeLlm::start(Faults {
        truncate_map_once: true,
        invalid_json_map_once: true,
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 3);
    let md = success(&summarize(&llm, &input, &["--jobs", "1", "--no-correct"]));
    assert_eq!(tokens(&md).len(), 3, "{md}");
    let seen = llm.seen();
    let maps: Vec<&crate::common::llm::Seen> = seen.iter().filter(|s| s.stage == "map").collect();
    let budget = |s: &crate::common::llm::Seen| s.body["max_tokens"].as_u64().unwrap();
    // The cut-off part is halved, each half asked with no more room than
    // the whole had: never the same part again at full length.
    assert_eq!(
        maps.len(),
        3,
        "the part cut off is asked again as two halves"
    );
    assert!(
        maps[1..].iter().all(|m| budget(m) <= budget(maps[0])),
        "no larger budget after a cut-off answer"
    );
    assert!(
        seen.iter().any(|s| s.stage == "repair"),
        "broken JSON gets one repair attempt"
    );
}

#[test]
fn prompts_larger_than_the_context_are_split_not_cut() {
    let limit = 2500;
    let llm = FakeLlm::start(Faults {
        context_chars: Some(limit),
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 80);
    // One chunk of everything: far more than the model's context holds.
    let out = summarize(
        &llm,
        &input,
        &[
            "--chunk-tokens",
            "20000",
            "--jobs",
            "2",
            "--include-transcript",
        ],
    );
    let md = success(&out);
    let found = tokens(&md);
    assert_eq!(
        found.len(),
        80,
        "every part survives the splits: {found:?}\n{md}"
    );
    let seen = llm.seen();
    let size =
        |s: &crate::common::llm::Seen| crate::common::llm::last_user(&s.body).chars().count();
    eprintln!(
        "{:?}",
        seen.iter()
            .map(|s| (s.stage.clone(), size(s)))
            .collect::<Vec<_>>()
    );
    for stage in ["correct", "map", "reduce"] {
        assert!(
            seen.iter().any(|s| s.stage == stage && size(s) > limit),
            "{stage}: the first attempt is too long for the context"
        );
        assert!(
            seen.iter().any(|s| s.stage == stage && size(s) <= limit),
            "{stage}: a smaller prompt followed"
        );
    }
    assert!(
        seen.iter().any(|s| s.stage == "collapse"),
        "the notes were collapsed to fit"
    );
    assert_eq!(
        seen.iter()
            .filter(|s| s.stage == "reduce" && size(s) > limit)
            .count(),
        1,
        "a refused reduce was asked again with notes just as long"
    );
    assert!(
        md.contains("Item 1: we talked about the budget"),
        "the split correction was applied: {md}"
    );
}

#[test]
fn names_never_said_are_removed_from_the_minutes() {
    let llm = FakeLlm::start(Faults {
        invent_names: true,
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 3);
    let out = summarize(&llm, &input, &["--no-correct"]);
    let md = success(&out);
    assert!(
        !body(&md).contains("Zebediah"),
        "an invented name survived: {md}"
    );
    assert!(md.contains("Mina"), "a name that was said is kept: {md}");
    assert!(
        md.contains("- [ ] Book the room"),
        "the task stays, without the owner: {md}"
    );
    assert!(
        !body(&md).contains("2019-07-31"),
        "an invented due date survived: {md}"
    );
    assert!(
        stderr_of(&out).contains("never said"),
        "{}",
        stderr_of(&out)
    );
    // The front matter tells a reader what was removed, so it can be checked.
    let end = md[4..].find("\n---\n").unwrap() + 4;
    let front: serde_norway::Value = serde_norway::from_str(&md[4..end]).unwrap();
    let review: Vec<&str> = front["review"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        review.contains(&"name never said, removed: Zebediah Quarles"),
        "{review:?}"
    );
    assert!(
        review.contains(&"due date never said, removed: 2019-07-31 (Book the room)"),
        "{review:?}"
    );
    // Minutes in another language than the recording's may transliterate
    // names, so they are left alone there.
    let out = summarize(
        &llm,
        &input,
        &["--no-correct", "-l", "ko", "--audio-language", "en"],
    );
    let md = success(&out);
    assert!(md.contains("Zebediah") && md.contains("2019-07-31"), "{md}");
}

#[test]
fn korean_minutes_of_a_korean_meeting_are_guarded_too() {
    // `-l ko` on a Korean transcript: the recording's language is Korean,
    // whatever --audio-language says (its default is auto).
    let llm = FakeLlm::start(Faults {
        invent_names: true,
        ..Faults::default()
    });
    let dir = scratch();
    let input = dir.path().join("회의.json");
    let segments: Vec<Value> = (1..=3)
        .map(|i| {
            let start = (i - 1) as f64 * 60.0;
            serde_json::json!({"start": start, "end": start + 50.0,
                "text": format!("{i}번 안건: 예산 TOKEN-{i} 검토는 민수 씨가 다음 주에 하기로 했습니다.")})
        })
        .collect();
    let t = serde_json::json!({"source": "회의.m4a", "model": "base", "language": "ko",
        "duration": 180.0, "segments": segments});
    std::fs::write(&input, t.to_string()).unwrap();
    let out = summarize(&llm, &input, &["--no-correct", "-l", "ko"]);
    let md = success(&out);
    assert!(
        !body(&md).contains("Zebediah"),
        "an invented name survived: {md}"
    );
    assert!(
        !body(&md).contains("2019-07-31"),
        "an invented date survived: {md}"
    );
    assert!(
        stderr_of(&out).contains("never said"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn json_schema_falls_back_to_json_object() {
    let llm = FakeLlm::start(Faults {
        reject_json_schema: true,
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 3);
    let md = success(&summarize(&llm, &input, &["--jobs", "1"]));
    assert_eq!(tokens(&md).len(), 3);
    let last = llm.seen().last().unwrap().body.clone();
    assert_eq!(last["response_format"]["type"], "json_object");
    // The server no longer sees the schema, so the prompt shows it.
    let system = last["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("JSON schema") && system.contains("\"action_items\""),
        "{system}"
    );
}

#[test]
fn temperature_and_seed_are_sent_and_recorded() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let md = success(&summarize(
        &llm,
        &input,
        &["--temperature", "0", "--seed", "42"],
    ));
    for s in llm.seen() {
        assert_eq!(s.body["temperature"], 0.0, "{}", s.body);
        assert_eq!(s.body["seed"], 42, "{}", s.body);
    }
    assert!(md.contains("\ntemperature: 0.0\nseed: 42\n"), "{md}");
    let out = summarize(&llm, &input, &["--temperature", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--temperature"));
}

#[test]
fn a_correction_that_rewrites_is_rejected() {
    let llm = FakeLlm::start(Faults {
        rewrite_corrections: true,
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 3);
    let out = summarize(&llm, &input, &["--include-transcript"]);
    let md = success(&out);
    assert!(
        stderr_of(&out).contains("correction of part 1 rejected"),
        "{}",
        stderr_of(&out)
    );
    assert!(
        md.contains("we talked about teh budget"),
        "the original is kept"
    );
    assert!(!md.contains("completely different words"));
}

#[test]
fn a_lost_chunk_fails_the_run_unless_partial_minutes_are_allowed() {
    let llm = FakeLlm::start(Faults {
        fail_map_containing: Some("TOKEN-3 ".into()),
        ..Faults::default()
    });
    let dir = scratch();
    let input = planted_transcript(dir.path(), 6);
    let target = dir.path().join("minutes.md");
    let args = [
        "--chunk-tokens",
        "120",
        "--no-correct",
        "--retries",
        "1",
        "-o",
    ];
    let out = minutes()
        .args(["summarize", "--llm", &llm.url(), "--llm-model", "m"])
        .arg(&input)
        .args(args)
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("could not be summarised"),
        "{}",
        stderr_of(&out)
    );
    assert!(!target.exists(), "no partial output file");
    let out = minutes()
        .args([
            "summarize",
            "--llm",
            &llm.url(),
            "--llm-model",
            "m",
            "--allow-partial",
        ])
        .arg(&input)
        .args(args)
        .arg(&target)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let md = std::fs::read_to_string(&target).unwrap();
    assert!(md.contains("Incomplete minutes"), "{md}");
    let range = md
        .lines()
        .find(|l| l.starts_with("> - "))
        .expect("the missing range is named");
    let (a, b) = range[4..]
        .split(':')
        .next()
        .zip(range.split('–').nth(1))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    let (start, end) = (a.parse::<u32>().unwrap(), b[..2].parse::<u32>().unwrap());
    assert!(
        start <= 2 && end >= 2,
        "TOKEN-3 was said at 02:00, missing range is {range}"
    );
    assert!(!tokens(&md).contains(&"TOKEN-3".to_string()));
    assert!(tokens(&md).contains(&"TOKEN-6".to_string()));
}

#[test]
fn the_api_key_is_sent_but_never_printed() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let out = minutes()
        .env("MINUTES_LLM_API_KEY", "sk-test-SECRET123")
        .args(["-vvv", "summarize", "--llm", &llm.url(), "--llm-model", "m"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        llm.seen()
            .iter()
            .all(|s| s.auth == "Bearer sk-test-SECRET123")
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    assert!(!all.contains("SECRET123"), "the key leaked");
    // Also when the server refuses it.
    let refusing = FakeLlm::start(Faults {
        always_status: Some(401),
        ..Faults::default()
    });
    let out = minutes()
        .env("MINUTES_LLM_API_KEY", "sk-test-SECRET123")
        .args([
            "-vvv",
            "summarize",
            "--llm",
            &refusing.url(),
            "--llm-model",
            "m",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("SECRET123"));
    assert!(stderr_of(&out).contains("API key"), "{}", stderr_of(&out));
}

#[test]
fn unreachable_server_and_missing_configuration() {
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let out = minutes()
        .args([
            "summarize",
            "--llm",
            "http://127.0.0.1:9/v1",
            "--llm-model",
            "m",
            "--retries",
            "1",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("cannot connect"));
    assert!(out.stdout.is_empty());
    let out = minutes()
        .env_remove("OPENAI_API_KEY")
        .env_remove("MINUTES_LLM")
        .args(["summarize"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr_of(&out).contains("--llm"));
}

#[test]
fn transcripts_in_every_format_can_be_summarised() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let srt = dir.path().join("m.srt");
    std::fs::write(&srt, "1\n00:00:01,000 --> 00:00:04,000\nWe agreed on TOKEN-7.\n\n2\n00:01:00,000 --> 00:01:03,500\nAnd TOKEN-8 too.\n").unwrap();
    let vtt = dir.path().join("m.vtt");
    std::fs::write(&vtt, "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWe agreed on TOKEN-7.\n\n00:01:00.000 --> 00:01:03.500\nAnd TOKEN-8 too.\n").unwrap();
    let txt = dir.path().join("m.txt");
    std::fs::write(&txt, "We agreed on TOKEN-7.\nAnd TOKEN-8 too.\n").unwrap();
    for input in [&srt, &vtt, &txt] {
        let md = success(&summarize(&llm, input, &["--no-correct"]));
        assert_eq!(
            tokens(&md),
            ["TOKEN-7", "TOKEN-8"],
            "{}: {md}",
            input.display()
        );
    }
    let empty = dir.path().join("empty.srt");
    std::fs::write(&empty, "\n").unwrap();
    let out = summarize(&llm, &empty, &[]);
    assert_clean_failure(&out, 65, "empty.srt", "no subtitle cues");
}

#[test]
fn a_recording_is_transcribed_and_summarised() {
    let llm = FakeLlm::start(Faults::default());
    let out = minutes()
        .args(["summarize", "--llm", &llm.url(), "--llm-model", "m", "-m"])
        .arg(model())
        .arg(fixture("jfk.mp4"))
        .output()
        .unwrap();
    let md = success(&out);
    assert!(md.contains("stt_model: tiny.en-ct2"), "{md}");
    assert!(md.contains("duration: 00:11"), "{md}");
    assert!(
        md.to_lowercase().contains("fellow americans"),
        "the transcript reached the model: {md}"
    );
    let out = minutes()
        .args(["summarize", "--llm", &llm.url(), "--llm-model", "m", "-m"])
        .arg(model())
        .arg(fixture("truncated.mp4"))
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, "truncated.mp4", "moov");
}

#[test]
fn map_calls_start_while_the_recording_is_still_being_transcribed() {
    let llm = FakeLlm::start(Faults::default());
    let out = minutes()
        .args([
            "-v",
            "summarize",
            "--llm",
            &llm.url(),
            "--llm-model",
            "m",
            "--chunk-tokens",
            "100",
            "--no-correct",
            "-m",
        ])
        .arg(model())
        .arg(fixture("speech-216s.wav"))
        .output()
        .unwrap();
    assert!(
        map_began_during_transcription(&out),
        "the first chunk waited for the whole transcription:\n{}",
        stderr_of(&out)
    );
}

/// Whether a successful `-v` run finished its first map call before the
/// transcription ended.
fn map_began_during_transcription(out: &std::process::Output) -> bool {
    let err = stderr_of(out);
    assert!(out.status.success(), "{err}");
    let first_map = err
        .find("map: part 1 summarised")
        .expect("map progress line");
    let transcribed = err
        .find("transcription finished")
        .expect("transcription end line");
    first_map < transcribed
}

#[test]
fn the_bundled_local_model_waits_for_the_transcription() {
    // `minutes` starts its local server through MINUTES_LLM_SERVER: here a
    // stand-in that announces the test's OpenAI-protocol server and, like
    // minutes-llm, lives until its stdin closes.
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let server = dir.path().join("fake-minutes-llm");
    std::fs::write(
        &server,
        format!(
            "#!/bin/sh\necho \"listening on {}\"\ncat >/dev/null\n",
            llm.server.uri()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&server).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&server, perms).unwrap();
    let gguf = dir.path().join("local.gguf");
    std::fs::write(&gguf, b"GGUF").unwrap();
    let out = minutes()
        .env("MINUTES_LLM_SERVER", &server)
        .args(["-v", "summarize", "--llm", "local", "--llm-model"])
        .arg(&gguf)
        .args(["--chunk-tokens", "100", "--no-correct", "-m"])
        .arg(model())
        .arg(fixture("speech-216s.wav"))
        .output()
        .unwrap();
    assert!(
        !map_began_during_transcription(&out),
        "a local model call competed with whisper for the CPU:\n{}",
        stderr_of(&out)
    );
    assert!(llm.seen().iter().filter(|s| s.stage == "map").count() >= 2);
}

#[test]
fn loopback_servers_are_reached_past_a_proxy() {
    // Company networks set proxy variables; a proxy cannot reach (and must
    // not see) a server on this machine. These point at a dead port.
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let localhost = llm.url().replace("127.0.0.1", "localhost");
    for url in [llm.url(), localhost] {
        let out = minutes()
            .env("http_proxy", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("https_proxy", "http://127.0.0.1:9")
            .env("ALL_PROXY", "http://127.0.0.1:9")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .args([
                "summarize",
                "--llm",
                &url,
                "--llm-model",
                "m",
                "--retries",
                "0",
            ])
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(tokens(&success(&out)).len(), 2);
    }
}

#[test]
fn a_closed_stdout_still_gets_its_report() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let [first, second] = ["a", "b"].map(|d| {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
        planted_transcript(&dir.path().join(d), 2)
    });
    let report = dir.path().join("report.json");
    let metrics = dir.path().join("run.prom");
    let mut child = minutes_process()
        .args(["summarize", "--llm", &llm.url(), "--llm-model", "m"])
        .arg(&first)
        .arg(&second)
        .arg("--report")
        .arg(&report)
        .arg("--metrics")
        .arg(&metrics)
        .env("MINUTES_CACHE_DIR", dir.path().join("cache"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first document is written (`| head -0`).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("panicked"), "{}", stderr_of(&out));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).unwrap();
    assert_eq!(r["failed"], 0, "{r}");
    assert!(metrics.exists(), "metrics were not written");
    assert_eq!(
        llm.stages().iter().filter(|s| *s == "map").count(),
        1,
        "work went on after the reader left"
    );
}

#[test]
fn the_openai_key_goes_to_openai_only() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    let run = |minutes_key: Option<&str>| {
        let mut cmd = minutes();
        cmd.env("OPENAI_API_KEY", "sk-openai-ONLY");
        if let Some(k) = minutes_key {
            cmd.env("MINUTES_LLM_API_KEY", k);
        }
        let out = cmd
            .args(["summarize", "--llm", &llm.url(), "--llm-model", "m"])
            .arg(&input)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    };
    run(None);
    run(Some("sk-minutes-key"));
    let auths: Vec<String> = llm.seen().into_iter().map(|s| s.auth).collect();
    assert!(!auths.is_empty());
    assert!(
        auths.iter().all(|a| !a.contains("sk-openai-ONLY")),
        "another server got the OpenAI key: {auths:?}"
    );
    // Without a key of its own, the server gets no Authorization header.
    assert!(auths.iter().any(|a| a.is_empty()), "{auths:?}");
    assert!(auths.iter().any(|a| a == "Bearer sk-minutes-key"));
}

#[test]
fn absurd_numbers_are_clear_errors_not_panics() {
    let llm = FakeLlm::start(Faults::default());
    let dir = scratch();
    let input = planted_transcript(dir.path(), 2);
    for (flag, value) in [
        ("--request-timeout", "1e20"),
        ("--deadline", "1e20"),
        ("--deadline=-1", ""),
        ("--jobs", "18446744073709551615"),
        ("--jobs", "0"),
        ("--retries", "4294967295"),
        ("--chunk-tokens", "18446744073709551615"),
        ("--threads", "100000000"),
    ] {
        let out = minutes()
            .args(["summarize", "--llm", &llm.url(), "--llm-model", "m"])
            .arg(&input)
            .args([flag, value].into_iter().filter(|a| !a.is_empty()))
            .output()
            .unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        let name = flag.split('=').next().unwrap();
        assert!(
            err.contains(name) && err.lines().count() == 1,
            "{flag} {value}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(llm.seen().is_empty(), "a refused run called the LLM");
    // A server that asks to wait 1e20 seconds is given up on at the deadline.
    let slow = FakeLlm::start(Faults {
        map_status_once: Some((429, Some("1e20"))),
        ..Faults::default()
    });
    let out = summarize(&slow, &input, &["--no-correct", "--deadline", "30"]);
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("HTTP 429"), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty());
}
