//! `minutes eval suite` and `eval history`: a folder of two cases
//! summarised with two prompt sets against the fake LLM of `common::llm`
//! (a real HTTP server), scored with numbers worked out by hand, appended
//! to the history and listed from it; failures that append nothing.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults};
use crate::common::*;

/// A JSON transcript whose first line the fake model quotes as evidence.
const BUDGET: &str = r#"{
  "source": "budget.wav", "model": "base.en", "language": "en", "duration": 25.0,
  "segments": [
    { "start": 0.0, "end": 5.0, "text": " We adopt the plan for the new budget.", "speaker": "S1" },
    { "start": 5.0, "end": 10.0, "text": " Mina will send the report by Friday.", "speaker": "S2" },
    { "start": 10.0, "end": 15.0, "text": " Is the plan on track for March?", "speaker": "S1" },
    { "start": 15.0, "end": 25.0, "text": " I think so, the numbers came in this morning and they look about the same as last quarter's.", "speaker": "S2" }
  ]
}
"#;

/// The fake model notes "Adopt the plan", "Send the report" (Mina, no due
/// date) and "Is the plan on track?" of every meeting: here one decision
/// of two, the action with its owner but not its due date, the question.
const BUDGET_FACTS: &str = "decisions:
  - Adopt the plan
  - Cut travel costs by a tenth
action_items:
  - task: Send the report
    owner: Mina
    due: Friday
open_questions:
  - Is the plan on track?
";

/// A plain-text transcript: none of its facts is what the fake model notes.
const RELEASE: &str = "[00:00] We ship version 2.4 on March 14.\n[00:05] Jin will update the changelog by Wednesday.\n\
     [00:10] Good, then the beta testers get a build on Monday and we look at their crash reports together.\n";

const RELEASE_FACTS: &str = "decisions:
  - Version 2.4 ships on March 14
action_items:
  - task: Update the changelog
    owner: Jin
    due: Wednesday
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// The suite's folder under `dir`.
fn suite(dir: &Path) -> PathBuf {
    let s = dir.join("suite");
    write(&s, "budget.json", BUDGET);
    write(&s, "budget.facts.yaml", BUDGET_FACTS);
    write(&s, "release.txt", RELEASE);
    write(&s, "release.facts.yaml", RELEASE_FACTS);
    s
}

/// A copy of the built-in prompt set whose map prompt also says "Be brief."
fn terse(dir: &Path) -> PathBuf {
    let set = dir.join("terse");
    for stage in ["correct", "map", "collapse", "reduce"] {
        let text =
            std::fs::read_to_string(root().join(format!("prompts/default/{stage}.yaml"))).unwrap();
        let text = match stage {
            "map" => text.replace(
                "Use only what the transcript says",
                "Be brief. Use only what the transcript says",
            ),
            _ => text,
        };
        write(&set, &format!("{stage}.yaml"), &text);
    }
    set
}

/// `minutes eval suite DIR` against `llm` (model `test-model`, no
/// retries), then `extra`.
fn run_suite(llm: &FakeLlm, dir: &Path, extra: &[&str]) -> std::process::Output {
    minutes()
        .args(["eval", "suite"])
        .arg(dir)
        .args(["--llm", &llm.url(), "--llm-model", "test-model"])
        .args(["--retries", "0"])
        .args(extra)
        .output()
        .unwrap()
}

fn history(args: &[&str]) -> std::process::Output {
    minutes()
        .args(["eval", "history"])
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&success(out)).unwrap()
}

fn lines_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Both prompt sets over both cases, appended to a fresh history.
struct Ran {
    dir: tempfile::TempDir,
    history: PathBuf,
    report: Value,
    stderr: String,
    llm: FakeLlm,
}

fn two_prompt_sets() -> Ran {
    let dir = scratch();
    let cases = suite(dir.path());
    let terse = terse(dir.path());
    let history = dir.path().join("h/history.jsonl");
    // An item quoting words nobody said: kept and counted, not dropped.
    let llm = FakeLlm::start(Faults {
        invent_evidence: true,
        ..Faults::default()
    });
    let out = run_suite(
        &llm,
        &cases,
        &[
            "--template",
            "default",
            "--template",
            terse.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
            "-f",
            "json",
        ],
    );
    Ran {
        report: json_of(&out),
        stderr: stderr_of(&out),
        dir,
        history,
        llm,
    }
}

#[test]
fn each_prompt_set_is_a_row_scored_by_hand_and_a_history_line() {
    let ran = two_prompt_sets();
    let runs = ran.report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        ran.report["cases"],
        serde_json::json!(["budget", "release"])
    );
    assert_eq!(runs[0]["prompts"]["name"], "default");
    assert_eq!(runs[1]["prompts"]["name"], "terse");
    let hashes: Vec<&str> = runs
        .iter()
        .map(|r| r["prompts"]["hash"].as_str().unwrap())
        .collect();
    assert_ne!(hashes[0], hashes[1]);
    assert!(hashes.iter().all(|h| h.len() == 12), "{hashes:?}");
    assert!(
        runs[1]["prompts"]["versions"]
            .as_str()
            .unwrap()
            .contains("reduce@")
    );
    // The changed prompt was the one sent, for the second row only.
    let map: Vec<bool> = ran
        .llm
        .seen()
        .iter()
        .filter(|s| s.stage == "map")
        .map(|s| s.body.to_string().contains("Be brief."))
        .collect();
    assert_eq!(map, [false, false, true, true]);
    for r in runs {
        assert_eq!(r["model"], "test-model");
        assert_eq!(r["llm"]["kind"], "url");
        assert_eq!(r["llm"]["url"], ran.llm.url());
        assert_eq!(r["format"], 1);
        assert_eq!(r["settings"]["redact"], false);
        let date = r["date"].as_str().unwrap();
        assert!(
            date.len() == 25 && &date[10..11] == "T" && ["+", "-"].contains(&&date[19..20]),
            "not RFC 3339 with an offset: {date}"
        );
        // Each case: 4 items (the invented decision among them), 3 quoted
        // from what was said.
        let t = &r["totals"];
        assert_eq!(
            (&t["cases"], &t["items"], &t["supported"]),
            (&2.into(), &8.into(), &6.into())
        );
        assert_eq!(t["precision"], 0.75);
        assert_eq!(t["pooled_precision"], 0.75);
        // Decisions: budget 1 of 2, release 0 of 1 → mean 0.25, pooled 1/3.
        assert_eq!(t["decisions"]["mean"], 0.25);
        assert_eq!(number(&t["decisions"]["pooled"]), 1.0 / 3.0);
        // Actions: budget 1 of 1 (Mina right, no due date), release 0 of 1.
        assert_eq!(
            t["action_items"],
            serde_json::json!({"expected": 2, "matched": 1, "mean": 0.5, "pooled": 0.5})
        );
        assert_eq!(t["open_questions"]["mean"], 1.0);
        assert_eq!(t["owners"], serde_json::json!({"given": 1, "correct": 1}));
        assert_eq!(t["dues"], serde_json::json!({"given": 1, "correct": 0}));
        assert_eq!(t["judge"], Value::Null);
        let cases = r["cases"].as_array().unwrap();
        assert_eq!(cases[0]["name"], "budget");
        assert_eq!(cases[0]["recall"]["decisions"]["recall"], 0.5);
        assert_eq!(cases[1]["recall"]["open_questions"]["recall"], Value::Null);
        // A correction and the notes of each one-part meeting, which are its minutes.
        assert_eq!(number(&r["usage"]["calls"]), 4.0, "{}", r["usage"]);
        assert!(number(&r["seconds"]) >= 0.0);
    }
    let calls: f64 = runs.iter().map(|r| number(&r["usage"]["calls"])).sum();
    assert_eq!(calls as usize, ran.llm.seen().len());
    // The history holds exactly these runs, one line each.
    assert_eq!(lines_of(&ran.history), *runs);
    assert_eq!(
        ran.report["history"].as_str().unwrap(),
        ran.history.to_str().unwrap()
    );
    for said in [
        "2 case(s) in",
        "LLM calls",
        "completion tokens",
        "appended 2 result(s)",
    ] {
        assert!(ran.stderr.contains(said), "{said}: {}", ran.stderr);
    }
}

#[test]
fn the_prompt_hash_is_the_one_summarize_records() {
    let ran = two_prompt_sets();
    let input = ran.dir.path().join("suite/budget.json");
    let out = summarize(&ran.llm, &input, &["-f", "json"]);
    let doc: Value = serde_json::from_str(&success(&out)).unwrap();
    assert_eq!(
        doc["provenance"]["prompts_hash"],
        ran.report["runs"][0]["prompts"]["hash"]
    );
}

#[test]
fn the_history_lists_runs_oldest_first_and_filters_them() {
    let ran = two_prompt_sets();
    let h = ran.history.to_str().unwrap();
    let runs = &ran.report["runs"];
    let hash = |i: usize| runs[i]["prompts"]["hash"].as_str().unwrap().to_string();
    let table = success(&history(&["--history", h]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("date") && lines[0].contains("precision"));
    for (line, (name, i)) in lines[1..].iter().zip([("default", 0), ("terse", 1)]) {
        assert!(line.contains(name) && line.contains(&hash(i)), "{line}");
        assert!(
            line.contains("suite") && line.contains("test-model"),
            "{line}"
        );
        assert!(line.contains("0.7500") && line.contains("0.2500"), "{line}");
        // What the row cost closes it: prompt and completion tokens, seconds.
        let cost: Vec<&str> = line.split_whitespace().rev().take(3).collect();
        let usage = &runs[i]["usage"];
        assert_eq!(cost[2], usage["prompt_tokens"].to_string(), "{line}");
        assert_eq!(cost[1], usage["completion_tokens"].to_string(), "{line}");
        assert_eq!(
            cost[0],
            format!("{:.0}", runs[i]["seconds"].as_f64().unwrap()),
            "{line}"
        );
    }
    let head: Vec<&str> = lines[0].split_whitespace().rev().take(3).collect();
    assert_eq!(head, ["seconds", "completion", "prompt"], "{}", lines[0]);
    let listed = json_of(&history(&["--history", h, "-f", "json"]));
    assert_eq!(listed["runs"], *runs);
    let terse = json_of(&history(&[
        "--history",
        h,
        "-f",
        "json",
        "--template",
        "terse",
    ]));
    assert_eq!(terse["runs"].as_array().unwrap().len(), 1);
    assert_eq!(terse["runs"][0], runs[1]);
    let by_hash = json_of(&history(&[
        "--history",
        h,
        "-f",
        "json",
        "--template",
        &hash(0)[..6],
    ]));
    assert_eq!(by_hash["runs"][0], runs[0]);
    let last = json_of(&history(&["--history", h, "-f", "json", "--last", "1"]));
    assert_eq!(last["runs"], serde_json::json!([runs[1]]));
    let none = json_of(&history(&[
        "--history",
        h,
        "-f",
        "json",
        "--llm-model",
        "other",
    ]));
    assert_eq!(none["runs"], serde_json::json!([]));
    // A second run is appended after the first.
    let again = run_suite(&ran.llm, &ran.dir.path().join("suite"), &["--history", h]);
    let table = success(&again);
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("default"));
    assert_eq!(lines_of(&ran.history).len(), 3);
}

#[test]
fn a_failing_server_fails_the_run_and_appends_nothing() {
    let ran = two_prompt_sets();
    let before = std::fs::read(&ran.history).unwrap();
    let down = FakeLlm::start(Faults {
        always_status: Some(503),
        ..Faults::default()
    });
    let h = ran.history.to_str().unwrap();
    let out = run_suite(&down, &ran.dir.path().join("suite"), &["--history", h]);
    assert_clean_failure(&out, 69, "budget.json", "summarising");
    assert!(!down.seen().is_empty());
    assert_eq!(std::fs::read(&ran.history).unwrap(), before);
}

#[test]
fn a_judge_adds_its_mean_score_to_each_row() {
    let dir = scratch();
    let cases = suite(dir.path());
    let llm = FakeLlm::start(Faults {
        scores: vec![vec![5, 4, 4, 3, 4], vec![2, 2, 2, 2, 2]],
        ..Faults::default()
    });
    let out = run_suite(
        &llm,
        &cases,
        &[
            "--no-history",
            "--judge-llm",
            &llm.url(),
            "--judge-model",
            "judge",
        ],
    );
    let table = success(&out);
    // The judge's mean comes after the scores, before what the row cost.
    let column = |line: &str| line.split_whitespace().rev().nth(3).map(str::to_string);
    assert_eq!(
        column(table.lines().next().unwrap()).as_deref(),
        Some("judge"),
        "{table}"
    );
    // Budget 4.0, release 2.0.
    assert_eq!(
        column(table.lines().nth(1).unwrap()).as_deref(),
        Some("3.00"),
        "{table}"
    );
    // A rubric score and, per kind with facts and items, a matching.
    assert!(
        stderr_of(&out).contains("judge: 7 calls"),
        "{}",
        stderr_of(&out)
    );
    assert!(!stderr_of(&out).contains("appended"));
}

#[test]
fn a_judge_matches_facts_by_meaning_and_no_correct_skips_the_correction() {
    let dir = scratch();
    let cases = suite(dir.path());
    let history = dir.path().join("history.jsonl");
    // The judge reads the release's decision in the fake model's note,
    // which shares no word with it.
    let llm = FakeLlm::start(Faults::default());
    let judge = FakeLlm::start(Faults {
        same: vec![("Version 2.4 ships".into(), "Adopt the plan".into())],
        ..Faults::default()
    });
    let out = run_suite(
        &llm,
        &cases,
        &["--no-correct", "--history", history.to_str().unwrap()],
    );
    success(&out);
    let out = run_suite(
        &llm,
        &cases,
        &[
            "--no-correct",
            "--history",
            history.to_str().unwrap(),
            "--judge-llm",
            &judge.url(),
            "--judge-model",
            "judge",
            "-f",
            "json",
        ],
    );
    let report = json_of(&out);
    assert!(
        !llm.stages().contains(&"correct".to_string()),
        "{:?}",
        llm.stages()
    );
    assert!(judge.stages().contains(&"match".to_string()));
    let lines = lines_of(&history);
    let release = |line: &Value| {
        line["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "release")
            .unwrap()["recall"]["decisions"]["matched"]
            .as_u64()
    };
    // By words the release's decision is missed; by the judge it is not.
    assert_eq!(release(&lines[0]), Some(0));
    assert_eq!(release(&lines[1]), Some(1));
    for line in &lines {
        assert_eq!(line["settings"]["correct"], false);
    }
    assert_eq!(lines[0]["judge"], Value::Null);
    assert_eq!(
        (report["matching"].as_str(), report["threshold"].as_f64()),
        (Some("judge"), None)
    );
    let matching = lines[1]["judge"]["matching"].as_str().unwrap();
    assert_eq!(matching.len(), 12, "{matching}");
}

#[test]
fn bad_cases_fail_before_any_call_naming_the_file() {
    let dir = scratch();
    let llm = FakeLlm::start(Faults::default());
    let h = dir.path().join("history.jsonl");
    let h = h.to_str().unwrap();
    let missing = dir.path().join("no-such-suite");
    let out = run_suite(&llm, &missing, &["--history", h]);
    assert_clean_failure(&out, 66, "no-such-suite", "no such file");
    let empty = dir.path().join("empty");
    write(&empty, "notes.md", "# notes\n");
    let out = run_suite(&llm, &empty, &["--history", h]);
    assert_clean_failure(&out, 65, "empty", "no cases");
    let unpaired = suite(&dir.path().join("unpaired"));
    std::fs::remove_file(unpaired.join("release.facts.yaml")).unwrap();
    let out = run_suite(&llm, &unpaired, &["--history", h]);
    assert_clean_failure(&out, 65, "release.txt", "release.facts.yaml");
    let misspelt = suite(&dir.path().join("misspelt"));
    write(
        &misspelt,
        "budget.facts.yaml",
        "decision:\n  - Adopt the plan\n",
    );
    let out = run_suite(&llm, &misspelt, &["--history", h]);
    assert_clean_failure(&out, 65, "budget.facts.yaml", "decision");
    assert!(llm.seen().is_empty(), "{:?}", llm.stages());
    assert!(!Path::new(h).exists());
}

#[test]
fn a_history_that_cannot_be_written_is_named() {
    let dir = scratch();
    let cases = suite(dir.path());
    let llm = FakeLlm::start(Faults::default());
    // Its folder would be a file: found before any call.
    let blocked = write(dir.path(), "file", "x").join("history.jsonl");
    let out = run_suite(&llm, &cases, &["--history", blocked.to_str().unwrap()]);
    assert_clean_failure(&out, 73, "file/history.jsonl", "cannot make its folder");
    assert!(llm.seen().is_empty());
    // A device that takes no bytes: the run is lost, said so, nothing printed.
    let out = run_suite(&llm, &cases, &["--history", "/dev/full"]);
    assert_clean_failure(&out, 73, "/dev/full", "no space");
}

#[test]
fn the_history_lives_in_the_data_folder_unless_named() {
    let dir = scratch();
    let cases = suite(dir.path());
    let llm = FakeLlm::start(Faults::default());
    let data = dir.path().join("data");
    let out = minutes()
        .env("XDG_DATA_HOME", &data)
        .args(["eval", "suite"])
        .arg(&cases)
        .args(["--llm", &llm.url(), "--llm-model", "m"])
        .output()
        .unwrap();
    success(&out);
    assert_eq!(lines_of(&data.join("minutes/eval-history.jsonl")).len(), 1);
    let named = dir.path().join("named.jsonl");
    let out = minutes()
        .env("XDG_DATA_HOME", &data)
        .env("MINUTES_EVAL_HISTORY", &named)
        .args(["eval", "history"])
        .output()
        .unwrap();
    assert_clean_failure(&out, 66, "named.jsonl", "no such file");
    let out = minutes()
        .env("XDG_DATA_HOME", &data)
        .args(["eval", "history", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["runs"][0]["model"], "m");
}

#[test]
fn a_corrupt_history_line_is_named_by_number() {
    let dir = scratch();
    let h = write(
        dir.path(),
        "h.jsonl",
        "{\"format\": 1, \"date\": \"2025-03-14T09:30:00+09:00\"}\n",
    );
    let out = history(&["--history", h.to_str().unwrap()]);
    assert_clean_failure(&out, 65, "h.jsonl:1", "not a suite result");
    let ran = two_prompt_sets();
    let mut text = std::fs::read_to_string(&ran.history).unwrap();
    text.push_str("{\"truncated\n");
    std::fs::write(&ran.history, text).unwrap();
    let out = history(&["--history", ran.history.to_str().unwrap()]);
    assert_clean_failure(&out, 65, "history.jsonl:3", "not a suite result");
}

/// The release meeting of the calibration cases, with what its minutes must state.
const CALIBRATION_FACTS: &str = "decisions:
  - Version 2.4 ships on March 14
  - Support for Python 3.8 is dropped in this release
action_items:
  - task: Update the changelog
    owner: Jin
    due: Wednesday
  - task: Write the migration guide
    owner: Mina
    due: Thursday
open_questions:
  - Is sign-off from legal needed for the new license text?
";

/// The whole harness with the bundled model (SmolLM2-135M, no server of
/// the test's): two cases summarised, scored and recorded. A model this
/// small writes poor minutes, so the numbers are checked for being there
/// and consistent with the cases, not for a quality level.
#[test]
fn a_suite_runs_end_to_end_with_the_bundled_model() {
    let _turn = crate::local_llm::heavy();
    let dir = scratch();
    let cases = dir.path().join("suite");
    write(&cases, "sync.json", SYNC_TRANSCRIPT);
    write(&cases, "sync.facts.yaml", RELEASE_FACTS);
    let calibration =
        std::fs::read_to_string(root().join("eval/calibration/transcript.json")).unwrap();
    write(&cases, "planning.json", &calibration);
    write(&cases, "planning.facts.yaml", CALIBRATION_FACTS);
    let recorded = dir.path().join("history.jsonl");
    let gguf = asset("smollm2-135m-instruct-q4_1.gguf");
    let out = minutes()
        .args(["eval", "suite"])
        .arg(&cases)
        .args(["--llm", "local", "--llm-model"])
        .arg(&gguf)
        .args(["--no-correct", "--request-timeout", "1500", "--history"])
        .arg(&recorded)
        .args(["-f", "json"])
        .output()
        .unwrap();
    let report = json_of(&out);
    assert_eq!(report["matching"], "words");
    let run = &report["runs"][0];
    assert_eq!(run["model"], "smollm2-135m-instruct-q4_1");
    assert_eq!(run["llm"]["kind"], "local");
    assert_eq!(run["settings"]["correct"], false);
    assert_eq!(run["totals"]["cases"], 2);
    // Expected counts come from the facts files, whatever the model wrote.
    assert_eq!(run["totals"]["decisions"]["expected"], 3);
    assert_eq!(run["totals"]["action_items"]["expected"], 3);
    assert_eq!(run["totals"]["open_questions"]["expected"], 1);
    for case in run["cases"].as_array().unwrap() {
        let p = &case["precision"];
        let (items, supported) = (
            p["items"].as_u64().unwrap(),
            p["supported"].as_u64().unwrap(),
        );
        assert!(supported <= items, "{case}");
        match items {
            0 => assert_eq!(p["precision"], Value::Null),
            n => assert_eq!(
                p["precision"].as_f64().unwrap(),
                supported as f64 / n as f64
            ),
        }
        assert!(case["seconds"].as_f64().unwrap() > 0.0, "{case}");
    }
    // Every case is at least one call; the tokens are the server's count.
    assert!(run["usage"]["calls"].as_u64().unwrap() >= 2, "{run}");
    assert!(
        run["usage"]["prompt_tokens"].as_u64().unwrap() > 100,
        "{run}"
    );
    assert!(
        run["usage"]["completion_tokens"].as_u64().unwrap() > 0,
        "{run}"
    );
    // Recorded: the history holds the row as reported.
    let lines = lines_of(&recorded);
    assert_eq!(lines.len(), 1);
    assert_eq!(&lines[0], run);
    let listed = json_of(&history(&[
        "--history",
        recorded.to_str().unwrap(),
        "-f",
        "json",
    ]));
    assert_eq!(listed["runs"][0]["prompts"]["hash"], run["prompts"]["hash"]);
}
