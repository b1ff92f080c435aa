//! Cron-grade batches: idempotent re-runs, resumable stages after kill -9,
//! one writer per folder, bad inputs among good ones, a corrupt cache, an
//! LLM that is down and comes back, reports and metrics.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::llm::{FakeLlm, Faults, planted_transcript};
use crate::common::*;

/// A folder of `n` planted transcripts (`meeting-i.json`, of 4, 5… segments).
fn folder(dir: &Path, n: usize) -> PathBuf {
    folder_of(dir, n, 4)
}

/// `n` meetings of `segments`, `segments + 1`… segments.
fn folder_of(dir: &Path, n: usize, segments: usize) -> PathBuf {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for i in 0..n {
        let tmp = dir.join(format!("t{i}"));
        std::fs::create_dir_all(&tmp).unwrap();
        let t = planted_transcript(&tmp, segments + i);
        std::fs::rename(t, inbox.join(format!("meeting-{i}.json"))).unwrap();
    }
    inbox
}

fn summarize_dir(
    llm: &FakeLlm,
    inbox: &Path,
    out: &Path,
    cache: &Path,
    extra: &[&str],
) -> std::process::Output {
    let retries = match extra.contains(&"--retries") {
        true => &[][..],
        false => &["--retries", "1"][..],
    };
    minutes()
        .env("MINUTES_CACHE_DIR", cache)
        .args(["summarize", "--llm", &llm.url(), "--llm-model", "m"])
        .args(retries)
        .arg(inbox)
        .arg("--out-dir")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn visible_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn hidden_temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".minutes-") && n.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_rerun_of_an_unchanged_folder_makes_no_llm_calls() {
    // Meetings of two parts: a merge is made, and cached, for each.
    let dir = scratch();
    let (inbox, out, cache) = (
        folder_of(dir.path(), 3, 120),
        dir.path().join("out"),
        dir.path().join("cache"),
    );
    let llm = FakeLlm::start(Faults::default());
    let report = dir.path().join("report.json");
    let first = summarize_dir(
        &llm,
        &inbox,
        &out,
        &cache,
        &["--report", report.to_str().unwrap()],
    );
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert_eq!(
        visible_files(&out),
        ["meeting-0.md", "meeting-1.md", "meeting-2.md"]
    );
    let calls = llm.seen().len();
    assert!(calls > 0);
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["done"], 3);
    assert!(r["files"][0]["prompt_tokens"].as_u64().unwrap() > 0);

    let again = summarize_dir(
        &llm,
        &inbox,
        &out,
        &cache,
        &["--report", report.to_str().unwrap()],
    );
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(llm.seen().len(), calls, "the re-run called the LLM");
    assert_eq!(
        stderr_of(&again).matches("skipped").count(),
        3,
        "{}",
        stderr_of(&again)
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        (r["done"].as_u64(), r["skipped"].as_u64()),
        (Some(0), Some(3))
    );

    // --force redoes them from the stage cache: only the reduce calls are made again.
    let forced = summarize_dir(&llm, &inbox, &out, &cache, &["--force"]);
    assert!(forced.status.success());
    let redone: Vec<String> = llm.stages().into_iter().skip(calls).collect();
    assert_eq!(
        redone,
        ["reduce", "reduce", "reduce"],
        "cached chunks were summarised again"
    );
    let calls = llm.seen().len();
    // A changed reduce prompt reuses every correction and chunk: only reduce calls are made.
    let prompts = dir.path().join("prompts-v2");
    std::fs::create_dir_all(&prompts).unwrap();
    let reduce = std::fs::read_to_string(root().join("prompts/default/reduce.yaml")).unwrap();
    std::fs::write(
        prompts.join("reduce.yaml"),
        reduce
            .replace("version: 1", "version: 2")
            .replace("bullet sentences", "short bullet sentences"),
    )
    .unwrap();
    let changed = summarize_dir(
        &llm,
        &inbox,
        &out,
        &cache,
        &["--template", prompts.to_str().unwrap()],
    );
    assert!(changed.status.success(), "{}", stderr_of(&changed));
    let new: Vec<String> = llm.stages().into_iter().skip(calls).collect();
    assert_eq!(
        new,
        ["reduce", "reduce", "reduce"],
        "only the reduce runs again"
    );
}

#[test]
fn settings_that_cannot_change_the_minutes_redo_nothing() {
    // Cron users tune concurrency, timeouts and retries; none of them shapes
    // the document, so none of them may re-do a folder.
    let dir = scratch();
    let (inbox, out, cache) = (
        folder(dir.path(), 2),
        dir.path().join("out"),
        dir.path().join("cache"),
    );
    let llm = FakeLlm::start(Faults::default());
    let first = summarize_dir(&llm, &inbox, &out, &cache, &["--jobs", "4"]);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let calls = llm.seen().len();
    assert!(calls > 0);
    let tuned = summarize_dir(
        &llm,
        &inbox,
        &out,
        &cache,
        &[
            "--jobs",
            "2",
            "--threads",
            "3",
            "--request-timeout",
            "100",
            "--retries",
            "3",
            "--deadline",
            "1000",
            "--allow-partial",
        ],
    );
    assert!(tuned.status.success(), "{}", stderr_of(&tuned));
    assert_eq!(llm.seen().len(), calls, "a tuning flag re-did the folder");
    assert_eq!(stderr_of(&tuned).matches("skipped").count(), 2);
    // A setting that does shape the minutes still re-does it.
    let other = summarize_dir(&llm, &inbox, &out, &cache, &["--date", "2026-01-02"]);
    assert!(other.status.success(), "{}", stderr_of(&other));
    assert_eq!(
        stderr_of(&other).matches("skipped").count(),
        0,
        "--date did not re-make the minutes: {}",
        stderr_of(&other)
    );
}

#[test]
fn a_rerun_transcribes_nothing_again() {
    let dir = scratch();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(inbox.join("sub")).unwrap();
    std::fs::copy(fixture("jfk.flac"), inbox.join("a.flac")).unwrap();
    std::fs::copy(fixture("jfk.ogg"), inbox.join("sub/b.ogg")).unwrap();
    std::fs::write(inbox.join("notes.txt"), "not media").unwrap();
    let out = dir.path().join("out");
    let run = || {
        minutes()
            .args(["transcribe", "-r", "-m"])
            .arg(model())
            .arg(&inbox)
            .arg("--out-dir")
            .arg(&out)
            .args(["--name", "{date}-{stem}"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert_eq!(stderr_of(&first).matches("transcribing").count(), 2);
    let names = visible_files(&out);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.len() > 15 && n.ends_with(".txt") && n.starts_with("20")),
        "{names:?}"
    );
    let second = run();
    assert!(second.status.success());
    assert!(
        !stderr_of(&second).contains("transcribing"),
        "{}",
        stderr_of(&second)
    );
}

#[test]
fn installing_the_speaker_model_redoes_what_was_made_without_it() {
    let dir = scratch();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(fixture("jfk.flac"), inbox.join("a.flac")).unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let out = dir.path().join("out");
    let run = || {
        minutes()
            .args(["transcribe", "-m"])
            .arg(model())
            .arg("--models-dir")
            .arg(&models)
            .arg(&inbox)
            .arg("--out-dir")
            .arg(&out)
            .output()
            .unwrap()
    };
    let transcribed = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", stderr_of(o));
        stderr_of(o).matches("transcribing").count()
    };
    assert_eq!(transcribed(&run()), 1);
    assert_eq!(transcribed(&run()), 0);
    // Labels by voice are now possible: what was made without them is stale.
    let encoder = "speakers-campplus.safetensors";
    std::fs::copy(voice_models().join(encoder), models.join(encoder)).unwrap();
    assert_eq!(transcribed(&run()), 1);
    assert_eq!(transcribed(&run()), 0);
}

#[test]
fn a_killed_run_resumes_without_redoing_finished_chunks() {
    let dir = scratch();
    let (out, cache) = (dir.path().join("out"), dir.path().join("cache"));
    let input = planted_transcript(dir.path(), 10);
    let slow = FakeLlm::start(Faults {
        delay: Duration::from_millis(700),
        ..Faults::default()
    });
    // One chunk at a time, so the kill lands between finished chunks.
    let one_by_one = |llm: &FakeLlm| {
        let mut cmd = minutes_process();
        cmd.env("MINUTES_CACHE_DIR", &cache)
            .args(["-q", "summarize", "--llm", &llm.url(), "--llm-model", "m"])
            .args(["--no-correct", "--jobs", "1", "--chunk-tokens", "100"])
            .arg(&input)
            .arg("--out-dir")
            .arg(&out);
        cmd
    };
    let mut child = one_by_one(&slow).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while slow.stages().iter().filter(|s| *s == "map").count() < 4 {
        assert!(
            Instant::now() < deadline,
            "the run never reached its fourth chunk"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let finished = slow.stages().iter().filter(|s| *s == "map").count() - 1;
    assert!(visible_files(&out).is_empty(), "no output after kill -9");

    let llm = FakeLlm::start(Faults::default());
    let done = one_by_one(&llm).output().unwrap();
    assert!(done.status.success(), "{}", stderr_of(&done));
    assert!(out.join("meeting.md").exists());
    // Finished chunks come from the cache, the rest are summarised: the
    // merge sees every chunk's notes.
    assert_eq!(
        crate::common::llm::merged_tokens(&llm.seen()).len(),
        10,
        "{:?}",
        llm.seen()
    );
    let second_maps = llm.stages().iter().filter(|s| *s == "map").count();
    let total_chunks = finished + second_maps;
    assert!(finished >= 3, "{finished} chunks finished before the kill");
    // Chunks finished before the kill are not summarised again.
    let first_bodies: Vec<String> = slow
        .seen()
        .iter()
        .filter(|s| s.stage == "map")
        .take(finished)
        .map(|s| crate::common::llm::last_user(&s.body))
        .collect();
    for s in llm.seen().iter().filter(|s| s.stage == "map") {
        assert!(
            !first_bodies.contains(&crate::common::llm::last_user(&s.body)),
            "a finished chunk was redone"
        );
    }
    assert!(total_chunks >= 5);
    assert!(hidden_temporaries(&out).is_empty());
}

#[test]
fn two_runs_never_write_the_same_folder() {
    let dir = scratch();
    let (inbox, out) = (folder(dir.path(), 1), dir.path().join("out"));
    let slow = FakeLlm::start(Faults {
        delay: Duration::from_millis(400),
        ..Faults::default()
    });
    let mut first = minutes_process()
        .env("MINUTES_CACHE_DIR", dir.path().join("c1"))
        .args(["-q", "summarize", "--llm", &slow.url(), "--llm-model", "m"])
        .arg(&inbox)
        .arg("--out-dir")
        .arg(&out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while slow.seen().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first run never called the LLM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let llm = FakeLlm::start(Faults::default());
    let second = summarize_dir(&llm, &inbox, &out, &dir.path().join("c2"), &[]);
    assert_eq!(second.status.code(), Some(75), "{}", stderr_of(&second));
    assert!(stderr_of(&second).contains("another minutes run"));
    assert!(llm.seen().is_empty());
    // With --wait the second run queues, then finds the work done.
    let waiting = minutes_process()
        .env("MINUTES_CACHE_DIR", dir.path().join("c2"))
        .args([
            "summarize",
            "--llm",
            &slow.url(),
            "--llm-model",
            "m",
            "--wait",
        ])
        .arg(&inbox)
        .arg("--out-dir")
        .arg(&out)
        .spawn()
        .unwrap();
    assert!(first.wait().unwrap().success());
    let calls = slow.seen().len();
    let waited = waiting.wait_with_output().unwrap();
    assert!(waited.status.success(), "{}", stderr_of(&waited));
    assert_eq!(slow.seen().len(), calls, "the waiting run redid the work");
}

#[test]
fn one_bad_input_does_not_stop_the_batch() {
    let dir = scratch();
    let (inbox, out) = (folder(dir.path(), 2), dir.path().join("out"));
    std::fs::copy(fixture("random.mp3"), inbox.join("broken.mp3")).unwrap();
    let llm = FakeLlm::start(Faults::default());
    let report = dir.path().join("r.json");
    let metrics = dir.path().join("m.prom");
    let outp = summarize_dir(
        &llm,
        &inbox,
        &out,
        &dir.path().join("c"),
        &[
            "-m",
            model().to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--metrics",
            metrics.to_str().unwrap(),
        ],
    );
    assert_eq!(outp.status.code(), Some(65), "{}", stderr_of(&outp));
    assert!(stderr_of(&outp).contains("broken.mp3"));
    assert_eq!(visible_files(&out), ["meeting-0.md", "meeting-1.md"]);
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        (r["done"].as_u64(), r["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let failed = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "failed")
        .unwrap();
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("not a recognised")
    );
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        prom.contains("minutes_files{status=\"processed\"} 2"),
        "{prom}"
    );
    assert!(prom.contains("minutes_files{status=\"failed\"} 1"));
    assert!(prom.contains("minutes_llm_tokens{direction=\"prompt\"}"));
    assert!(
        !prom.contains("minutes_last_success_timestamp_seconds"),
        "a failed run is no success"
    );
}

#[test]
fn a_corrupt_cache_entry_is_rebuilt() {
    let dir = scratch();
    let (inbox, out, cache) = (
        folder(dir.path(), 1),
        dir.path().join("out"),
        dir.path().join("cache"),
    );
    let llm = FakeLlm::start(Faults::default());
    assert!(
        summarize_dir(&llm, &inbox, &out, &cache, &[])
            .status
            .success()
    );
    let calls = llm.seen().len();
    let mut corrupted = 0;
    let mut stack = vec![cache.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::write(&p, b"minutes-cache-v1 0000\n{\"garbage\": true}").unwrap();
                corrupted += 1;
            }
        }
    }
    assert!(corrupted > 0);
    let again = summarize_dir(&llm, &inbox, &out, &cache, &["--force"]);
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(
        llm.seen().len(),
        calls * 2,
        "corrupt entries must not be trusted"
    );
    let md = std::fs::read_to_string(out.join("meeting-0.md")).unwrap();
    assert_eq!(crate::common::llm::tokens(&md).len(), 4);
}

#[test]
fn an_llm_outage_leaves_nothing_half_written_and_the_rerun_completes() {
    let dir = scratch();
    let (inbox, out, cache) = (
        folder(dir.path(), 2),
        dir.path().join("out"),
        dir.path().join("cache"),
    );
    let down = FakeLlm::start(Faults {
        always_status: Some(503),
        ..Faults::default()
    });
    let failed = summarize_dir(&down, &inbox, &out, &cache, &[]);
    assert_eq!(failed.status.code(), Some(69), "{}", stderr_of(&failed));
    assert!(visible_files(&out).is_empty());
    assert!(hidden_temporaries(&out).is_empty());
    let up = FakeLlm::start(Faults::default());
    let ok = summarize_dir(&up, &inbox, &out, &cache, &[]);
    assert!(ok.status.success(), "{}", stderr_of(&ok));
    assert_eq!(visible_files(&out), ["meeting-0.md", "meeting-1.md"]);
}

#[test]
fn shards_split_a_folder_without_overlap() {
    let dir = scratch();
    let inbox = folder(dir.path(), 6);
    let llm = FakeLlm::start(Faults::default());
    let mut seen = Vec::new();
    for i in 0..3 {
        let out = dir.path().join(format!("out{i}"));
        let r = summarize_dir(
            &llm,
            &inbox,
            &out,
            &dir.path().join("c"),
            &["--no-correct", "--shard", &format!("{i}/3")],
        );
        assert!(r.status.success(), "{}", stderr_of(&r));
        if out.exists() {
            seen.extend(visible_files(&out));
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 6, "{seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 6, "a file went to two shards");
}

#[test]
fn inputs_with_the_same_name_never_overwrite_each_other() {
    let dir = scratch();
    let inbox = dir.path().join("inbox");
    for (sub, n) in [("a", 3), ("b", 5)] {
        let d = inbox.join(sub);
        std::fs::create_dir_all(&d).unwrap();
        planted_transcript(&d, n);
    }
    let (out, cache) = (dir.path().join("out"), dir.path().join("cache"));
    let llm = FakeLlm::start(Faults::default());
    let first = summarize_dir(&llm, &inbox, &out, &cache, &["--recursive"]);
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert_eq!(visible_files(&out), ["meeting-2.md", "meeting.md"]);
    let tokens_in = |name: &str| {
        crate::common::llm::tokens(&std::fs::read_to_string(out.join(name)).unwrap()).len()
    };
    assert_eq!(
        tokens_in("meeting.md"),
        3,
        "a/meeting.json keeps the plain name"
    );
    assert_eq!(
        tokens_in("meeting-2.md"),
        5,
        "b/meeting.json gets its own file"
    );
    assert!(
        stderr_of(&first).contains("meeting-2.md"),
        "{}",
        stderr_of(&first)
    );
    // A forced re-run gives each input the same name again.
    let again = summarize_dir(&llm, &inbox, &out, &cache, &["--recursive", "--force"]);
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(visible_files(&out), ["meeting-2.md", "meeting.md"]);
    assert_eq!(tokens_in("meeting.md"), 3);
    assert_eq!(tokens_in("meeting-2.md"), 5);
}
