//! Jobs: a recording in, the CLI's minutes out, through the store; a kill
//! -9 and a restart lose nothing; bad requests and cancellation.

use super::*;
use crate::common::llm::{FakeLlm, Faults};

/// The server with an LLM to make minutes with.
fn with_llm(llm: &FakeLlm, dirs: &Dirs, extra: &[&str]) -> Server {
    let url = llm.url();
    let mut args = vec!["--llm", url.as_str(), "--llm-model", "m"];
    args.extend_from_slice(extra);
    Server::start_in(dirs, &args, &[])
}

fn submit(server: &Server, file: &Path, fields: &[&str]) -> Answer {
    let args = upload(file, fields);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(&server.url, "/v1/jobs", &args)
}

fn job(server: &Server, id: &str) -> Value {
    let answer = curl(&server.url, &format!("/v1/jobs/{id}"), &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.json()
}

/// Waits (up to ten minutes) until the job is in `state`.
fn wait_for_state(server: &Server, id: &str, state: &str) -> Value {
    for _ in 0..6000 {
        let now = job(server, id);
        if now["state"] == state {
            return now;
        }
        assert!(
            !["failed", "cancelled"].contains(&now["state"].as_str().unwrap_or_default())
                || ["failed", "cancelled"].contains(&state),
            "{now}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "job {id} never {state}: {}\n{}",
        job(server, id),
        server.log()
    );
}

/// The CLI's JSON minutes of `file` with the same LLM, model and speakers.
fn cli_minutes(llm: &FakeLlm, file: &Path) -> Value {
    let out = minutes()
        .args(["-q", "summarize", "--llm", &llm.url(), "--llm-model", "m"])
        .args(["--speakers", "off", "-f", "json", "-m"])
        .arg(served_models().join("ggml-tiny.en.bin"))
        .arg(file)
        .output()
        .unwrap();
    serde_json::from_str(&common::success(&out)).unwrap()
}

/// Minutes as made, without what names the input (its path or name, and
/// its file's date: an upload is a new file) and the stages' wall times.
fn made(mut doc: Value) -> Value {
    for key in ["source", "date"] {
        assert!(doc["provenance"].get(key).is_some(), "{doc}");
        doc["provenance"][key] = Value::Null;
    }
    assert!(doc["report"]["seconds"].is_object(), "{doc}");
    doc["report"]["seconds"] = Value::Null;
    doc
}

#[test]
fn a_job_makes_the_minutes_the_cli_makes_and_serves_every_format() {
    let llm = FakeLlm::start(Faults::default());
    let dirs = Dirs::new();
    let server = with_llm(&llm, &dirs, &[]);
    let jfk = fixture("jfk.wav");
    let accepted = submit(&server, &jfk, &[]);
    assert_eq!(accepted.status, 202, "{accepted:?}\n{}", server.log());
    let id = accepted.json()["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(
        accepted
            .headers
            .to_lowercase()
            .contains(&format!("location: /v1/jobs/{id}")),
        "{}",
        accepted.headers
    );
    assert_eq!(accepted.json()["name"], "jfk.wav");
    let done = wait_for_state(&server, &id, "done");
    assert_eq!(done["duration"], 11.0);
    assert_eq!(done["heard"], 11.0);
    let calls = llm.seen().len() as u64;
    assert!(calls >= 1);
    assert_eq!(done["tokens"]["calls"], calls);
    assert!(done["tokens"]["prompt_tokens"].as_u64().unwrap() > 0);

    let json = curl(
        &server.url,
        &format!("/v1/jobs/{id}/minutes?format=json"),
        &[],
    );
    assert_eq!(json.status, 200, "{json:?}");
    assert_eq!(made(json.json()), made(cli_minutes(&llm, &jfk)));
    assert_eq!(json.json()["provenance"]["source"], "jfk.wav");
    let by_accept = curl(
        &server.url,
        &format!("/v1/jobs/{id}/minutes"),
        &["-H", "Accept: application/json"],
    );
    assert_eq!(by_accept.body, json.body);
    let md = curl(&server.url, &format!("/v1/jobs/{id}/minutes"), &[]);
    assert!(md.headers.contains("text/markdown"), "{}", md.headers);
    assert!(md.body.starts_with("---\n"), "{}", md.body);
    for format in ["srt", "vtt"] {
        let t = curl(
            &server.url,
            &format!("/v1/jobs/{id}/transcript?format={format}"),
            &[],
        );
        assert_eq!(t.body, cli(&jfk, format), "{format}");
    }
    for format in ["txt", "json", "rttm"] {
        let t = curl(
            &server.url,
            &format!("/v1/jobs/{id}/transcript?format={format}"),
            &[],
        );
        assert_eq!(t.status, 200, "{format}: {t:?}");
    }
    let listed = curl(&server.url, "/v1/jobs", &[]).json();
    assert_eq!(listed["first_id"], id.as_str());
    assert_eq!(listed["has_more"], false);

    let metrics = curl(&server.url, "/metrics", &[]).body;
    assert!(
        metrics.contains("minutes_jobs{state=\"done\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("minutes_jobs_finished_total{outcome=\"done\"} 1"),
        "{metrics}"
    );
    super::metrics::promtool_accepts(&metrics);

    let removed = curl(&server.url, &format!("/v1/jobs/{id}"), &["-X", "DELETE"]);
    assert_eq!(removed.status, 204, "{removed:?}");
    assert_eq!(
        curl(&server.url, &format!("/v1/jobs/{id}"), &[]).status,
        404
    );
    assert!(!server.state.join("jobs").join(&id).exists());
    assert!(server.uploads_left().is_empty());
}

/// A job of a planted transcript of `parts` segments, on a server whose LLM
/// answers after `delay`, waiting on the LLM: the LLM, the folders, the
/// transcript, the server and the job's id.
fn job_waiting_on_llm(
    delay: Duration,
    parts: usize,
    extra: &[&str],
) -> (FakeLlm, Dirs, PathBuf, Server, String) {
    let llm = FakeLlm::start(Faults {
        delay,
        ..Faults::default()
    });
    let dirs = Dirs::new();
    let transcript = common::llm::planted_transcript(dirs.cache.path(), parts);
    let server = with_llm(&llm, &dirs, extra);
    let accepted = submit(&server, &transcript, &[]);
    assert_eq!(accepted.status, 202, "{accepted:?}\n{}", server.log());
    let id = accepted.json()["id"].as_str().unwrap().to_string();
    wait_for_state(&server, &id, "summarizing");
    (llm, dirs, transcript, server, id)
}

#[test]
fn a_server_killed_mid_job_and_mid_upload_loses_no_accepted_job() {
    // Slow answers: the kill lands while the job waits on the LLM.
    let (llm, dirs, transcript, mut first, id) = job_waiting_on_llm(Duration::from_secs(2), 6, &[]);
    // An upload cut off by the kill: it never becomes a job.
    let url = first.url.clone();
    let big = fixture("one-voice-long.wav");
    let slow = std::thread::spawn(move || {
        let args = upload(&big, &[]);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--limit-rate", "200k"]);
        curl(&url, "/v1/jobs", &args)
    });
    for _ in 0..200 {
        if !first.uploads_left().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!first.uploads_left().is_empty(), "the upload never started");
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert_ne!(slow.join().unwrap().status, 202);

    let second = with_llm(&llm, &dirs, &[]);
    let done = wait_for_state(&second, &id, "done");
    assert_eq!(done["name"], "meeting.json");
    let listed = curl(&second.url, "/v1/jobs", &[]).json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    assert!(second.uploads_left().is_empty());
    let json = curl(
        &second.url,
        &format!("/v1/jobs/{id}/minutes?format=json"),
        &[],
    );
    assert_eq!(made(json.json()), made(cli_minutes(&llm, &transcript)));
}

#[test]
fn bad_job_requests_are_refused_and_a_job_can_be_cancelled_then_removed() {
    let jfk = fixture("jfk.wav");
    let none = Server::start(&[], &[]);
    let refused = submit(&none, &jfk, &[]);
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(refused.body.contains("--llm"), "{}", refused.body);

    let llm = FakeLlm::start(Faults {
        delay: Duration::from_secs(600),
        ..Faults::default()
    });
    let dirs = Dirs::new();
    let server = with_llm(&llm, &dirs, &["--queue", "1"]);
    let cases = [
        (submit(&server, &jfk, &["colour=blue"]), 400, "colour"),
        (
            submit(&server, &jfk, &["language=klingon"]),
            400,
            "language",
        ),
        (
            submit(&server, &jfk, &["audio_language=xx"]),
            400,
            "audio_language",
        ),
        (submit(&server, &fixture("text.mp3"), &[]), 400, "file"),
        (submit(&server, &fixture("empty.wav"), &[]), 400, "file"),
        (curl(&server.url, "/v1/jobs?limit=0", &[]), 400, "limit"),
        (curl(&server.url, "/v1/jobs?after=nope", &[]), 400, "after"),
    ];
    for (answer, status, field) in &cases {
        assert_eq!(answer.status, *status, "{field}: {answer:?}");
        assert_eq!(answer.error().1.as_deref(), Some(*field), "{answer:?}");
    }
    for path in [
        "/v1/jobs/nope",
        "/v1/jobs/nope/minutes",
        "/v1/jobs/nope/transcript",
    ] {
        let answer = curl(&server.url, path, &[]);
        assert_eq!(
            (answer.status, answer.error().0.as_str()),
            (404, "not_found")
        );
    }
    assert_eq!(
        curl(&server.url, "/v1/jobs/nope", &["-X", "DELETE"]).status,
        404
    );

    let accepted = submit(&server, &jfk, &["language=ko"]);
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let id = accepted.json()["id"].as_str().unwrap().to_string();
    assert_eq!(accepted.json()["asked"]["language"], "ko");
    // One job open is the limit: the next is turned away.
    let busy = submit(&server, &jfk, &[]);
    assert_eq!(busy.status, 429, "{busy:?}");
    wait_for_state(&server, &id, "summarizing");
    let early = curl(&server.url, &format!("/v1/jobs/{id}/minutes"), &[]);
    assert_eq!((early.status, early.error().0.as_str()), (409, "not_ready"));

    let cancelled = curl(&server.url, &format!("/v1/jobs/{id}"), &["-X", "DELETE"]);
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    assert_eq!(cancelled.json()["state"], "cancelled");
    // The recogniser is free again: a transcription is answered.
    let heard = post(&server, &jfk, &[]);
    assert_eq!(heard.status, 200, "{heard:?}\n{}", server.log());
    assert_eq!(job(&server, &id)["state"], "cancelled");
    let removed = curl(&server.url, &format!("/v1/jobs/{id}"), &["-X", "DELETE"]);
    assert_eq!(removed.status, 204);
    let again = curl(&server.url, &format!("/v1/jobs/{id}"), &["-X", "DELETE"]);
    assert_eq!(again.status, 404);
}

#[test]
fn sigterm_cuts_off_a_running_job_after_the_grace_and_it_resumes_at_the_next_start() {
    let (llm, dirs, transcript, mut first, id) =
        job_waiting_on_llm(Duration::from_secs(3), 3, &["--grace", "0.5"]);
    super::stop::terminate(&first);
    assert_eq!(
        first.child.wait().unwrap().code(),
        Some(0),
        "{}",
        first.log()
    );
    assert!(
        first.log().contains("resumes at the next start"),
        "{}",
        first.log()
    );

    let second = with_llm(&llm, &dirs, &[]);
    wait_for_state(&second, &id, "done");
    let json = curl(
        &second.url,
        &format!("/v1/jobs/{id}/minutes?format=json"),
        &[],
    );
    assert_eq!(made(json.json()), made(cli_minutes(&llm, &transcript)));
}
