//! `minutes serve`: the real server binary on a free loopback port, the
//! real Whisper tiny.en model, and the clients users have: curl and the
//! official `openai` Python package (from PyPI, in the assets' venv).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;

use crate::common::{self, asset, fixture, minutes, minutes_process, scratch};

/// A models directory holding the test model under its known name.
fn served_models() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-models");
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("ggml-tiny.en.bin");
        if !link.exists() {
            std::fs::hard_link(common::model(), &link).unwrap();
        }
        dir
    })
}

/// The server running, killed when dropped.
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
    state: PathBuf,
    _dirs: Vec<tempfile::TempDir>,
}

impl Server {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let (state, cache) = (scratch(), scratch());
        let mut cmd = minutes_process();
        cmd.args(["serve", "--port", "0", "--speakers", "off", "--models-dir"])
            .arg(served_models())
            .arg("--state-dir")
            .arg(state.path())
            .args(args)
            .env("MINUTES_CACHE_DIR", cache.path())
            .env_remove("MINUTES_API_TOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("server did not start: {}", log.lock().unwrap()));
        let server = Server {
            child,
            url,
            log,
            state: state.path().to_path_buf(),
            _dirs: vec![state, cache],
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        for _ in 0..600 {
            if curl(&self.url, "/readyz", &[]).status == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server never ready: {}", self.log());
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Files left in the uploads folder.
    fn uploads_left(&self) -> Vec<String> {
        std::fs::read_dir(self.state.join("uploads"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    /// The error's kind and field, checked to be in the documented shape.
    fn error(&self) -> (String, Option<String>) {
        let v = self.json();
        let e = &v["error"];
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        (
            e["kind"].as_str().unwrap().to_string(),
            e["param"].as_str().map(str::to_string),
        )
    }
}

/// `curl` against the server: status, headers and body.
fn curl(url: &str, path: &str, args: &[&str]) -> Answer {
    let dir = scratch();
    let (headers, body) = (dir.path().join("h"), dir.path().join("b"));
    let out = Command::new("curl")
        .args(["-sS", "--noproxy", "*", "-m", "120", "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&body)
        .args(["-w", "%{http_code}"])
        .args(args)
        .arg(format!("{url}{path}"))
        .output()
        .unwrap();
    Answer {
        status: String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0),
        headers: std::fs::read_to_string(&headers).unwrap_or_default(),
        body: std::fs::read_to_string(&body).unwrap_or_default(),
    }
}

fn upload(file: &Path, fields: &[&str]) -> Vec<String> {
    let mut args = vec!["-F".to_string(), format!("file=@{}", file.display())];
    for f in fields {
        args.push("-F".into());
        args.push(f.to_string());
    }
    args
}

fn post(server: &Server, file: &Path, fields: &[&str]) -> Answer {
    post_to(&server.url, file, fields)
}

fn post_to(url: &str, file: &Path, fields: &[&str]) -> Answer {
    let args = upload(file, fields);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(url, "/v1/audio/transcriptions", &args)
}

/// What `minutes transcribe` writes for the same recording and model
/// (recognised once, by the first call: the rest read the CLI's own cache).
fn cli(file: &Path, format: &str) -> String {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let cache = CACHE.get_or_init(|| scratch().keep());
    let out = minutes()
        .env("MINUTES_CACHE_DIR", cache)
        .args(["-q", "transcribe", "--speakers", "off", "-f", format, "-m"])
        .arg(served_models().join("ggml-tiny.en.bin"))
        .arg(file)
        .output()
        .unwrap();
    common::success(&out)
}

#[test]
fn transcriptions_answer_as_openai_does_in_every_format() {
    let server = Server::start(&[], &[]);
    let jfk = fixture("jfk.wav");
    let reference: Value = serde_json::from_str(&cli(&jfk, "json")).unwrap();
    let segments = reference["segments"].as_array().unwrap();
    let text: String = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    let text = text.trim();
    assert!(common::wer(common::JFK, text) < 0.2, "{text}");

    let json = post(&server, &jfk, &["model=whisper-1"]);
    assert_eq!(json.status, 200, "{}", json.body);
    assert_eq!(json.json()["text"], text);
    assert_eq!(json.json()["usage"]["seconds"], 11);

    let plain = post(&server, &jfk, &["response_format=text"]);
    assert_eq!(
        (plain.status, plain.body.as_str()),
        (200, format!("{text}\n").as_str())
    );
    for format in ["srt", "vtt"] {
        let a = post(&server, &jfk, &[&format!("response_format={format}")]);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, cli(&jfk, format), "{format}");
    }

    let verbose = post(
        &server,
        &jfk,
        &[
            "model=tiny.en",
            "response_format=verbose_json",
            "timestamp_granularities[]=word",
            "timestamp_granularities[]=segment",
        ],
    );
    assert_eq!(verbose.status, 200, "{}", verbose.body);
    let v = verbose.json();
    assert_eq!(v["task"], "transcribe");
    assert_eq!(v["language"], "english");
    assert!((v["duration"].as_f64().unwrap() - 11.0).abs() < 0.1);
    assert_eq!(v["segments"].as_array().unwrap().len(), segments.len());
    for (ours, theirs) in v["segments"].as_array().unwrap().iter().zip(segments) {
        assert_eq!(
            (&ours["start"], &ours["text"]),
            (&theirs["start"], &theirs["text"])
        );
        assert!(ours["avg_logprob"].as_f64().unwrap() < 0.0);
    }
    let words = v["words"].as_array().unwrap();
    let cli_words: usize = segments
        .iter()
        .map(|s| s["words"].as_array().unwrap().len())
        .sum();
    assert_eq!(words.len(), cli_words);
    let mut last = 0.0;
    for w in words {
        let (start, end) = (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap());
        assert!(last <= start + 1e-9 && start <= end, "{w}");
        last = start;
    }
    assert!(words.iter().any(|w| w["word"] == "country."), "{words:?}");
    // Without word granularity there are no words.
    let segs = post(&server, &jfk, &["response_format=verbose_json"]);
    assert!(segs.json().get("words").is_none());

    let models = curl(&server.url, "/v1/models", &[]).json();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["whisper-1", "tiny.en"]);
    assert!(server.uploads_left().is_empty());

    // What was done shows in /metrics, in a format Prometheus's own checker accepts.
    let metrics = curl(&server.url, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    promtool_accepts(&metrics.body);
    let value = |series: &str| -> f64 {
        metrics
            .body
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{}", metrics.body))
    };
    let posted = r#"minutes_http_requests_total{route="/v1/audio/transcriptions",status="200"}"#;
    assert_eq!(value(posted), 6.0);
    assert_eq!(
        value(r#"minutes_transcriptions_total{outcome="done"}"#),
        6.0
    );
    assert_eq!(value("minutes_transcribe_seconds_count"), 6.0);
    assert!((value("minutes_audio_seconds_total") - 66.0).abs() < 0.5);
    assert_eq!(value("minutes_ready"), 1.0);
    assert_eq!(value("minutes_queue_depth"), 0.0);
    // Routes are counted by their pattern, never by the path a client made up.
    assert!(!metrics.body.contains("/v2/"));
}

/// `promtool check metrics` (Prometheus's own parser and linter) finds
/// nothing wrong but one thing: its linter reads the program's name, the
/// series' prefix `minutes_`, as a unit of time.
fn promtool_accepts(exposition: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; scripts/setup.sh installs it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), exposition.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.ends_with(r#"use base unit "seconds" instead of "minutes""#))
        .collect();
    assert!(problems.is_empty(), "promtool: {said}\n{exposition}");
}

#[test]
fn the_openai_python_client_works_unchanged() {
    let python = asset("venv/bin/python");
    assert!(python.exists(), "run scripts/fetch-test-assets.sh first");
    let server = Server::start(&[], &[("MINUTES_API_TOKEN", "tok-0123456789")]);
    let script = r#"
import json, sys, openai
url, audio = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=url + "/v1", api_key="tok-0123456789", max_retries=0)
out = {}
with open(audio, "rb") as f:
    out["json"] = client.audio.transcriptions.create(model="whisper-1", file=f).text
for fmt in ("text", "srt", "vtt"):
    with open(audio, "rb") as f:
        out[fmt] = client.audio.transcriptions.create(model="whisper-1", file=f, response_format=fmt)
with open(audio, "rb") as f:
    v = client.audio.transcriptions.create(model="whisper-1", file=f, response_format="verbose_json",
                                           timestamp_granularities=["word"])
out["verbose"] = {"language": v.language, "duration": v.duration,
                  "segments": [[s.start, s.end, s.text] for s in v.segments],
                  "words": [[w.word, w.start, w.end] for w in v.words]}
out["models"] = [m.id for m in client.models.list()]
try:
    with open(audio, "rb") as f:
        client.audio.transcriptions.create(model="no-such-model", file=f)
except openai.BadRequestError as e:
    out["bad_model"] = [e.status_code, e.message]
try:
    openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0).models.list()
except openai.AuthenticationError as e:
    out["bad_key"] = e.status_code
print(json.dumps(out))
"#;
    let jfk = fixture("jfk.wav");
    let out = Command::new(&python)
        .args(["-c", script, &server.url])
        .arg(&jfk)
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v["json"].as_str().unwrap();
    assert!(common::wer(common::JFK, text) < 0.2, "{text}");
    assert_eq!(v["text"].as_str().unwrap().trim(), text);
    assert_eq!(v["srt"].as_str().unwrap(), cli(&jfk, "srt"));
    assert_eq!(v["vtt"].as_str().unwrap(), cli(&jfk, "vtt"));
    assert_eq!(v["verbose"]["language"], "english");
    assert!(v["verbose"]["words"].as_array().unwrap().len() >= 20);
    assert!(!v["verbose"]["segments"].as_array().unwrap().is_empty());
    assert_eq!(v["models"], serde_json::json!(["whisper-1", "tiny.en"]));
    assert_eq!(v["bad_model"][0], 400);
    assert!(
        v["bad_model"][1]
            .as_str()
            .unwrap()
            .contains("no-such-model")
    );
    assert_eq!(v["bad_key"], 401);
    assert!(!server.log().contains("tok-0123456789"));
}

#[test]
fn bad_requests_get_a_json_error_naming_the_field_and_leave_nothing() {
    let server = Server::start(&["--max-upload-mb", "1"], &[]);
    let dir = scratch();
    let jfk = fixture("jfk.wav");
    let notes = dir.path().join("notes.wav");
    std::fs::write(&notes, "minutes of the last meeting, not a recording").unwrap();
    let empty = dir.path().join("empty.mp3");
    std::fs::write(&empty, "").unwrap();
    // One wrong field each: a 400 that names it.
    for (field, param) in [
        ("response_format=docx", "response_format"),
        ("temperature=7", "temperature"),
        ("temperature=NaN", "temperature"),
        ("language=klingon", "language"),
        ("model=large-v9", "model"),
        ("stream=true", "stream"),
        (
            "timestamp_granularities[]=word",
            "timestamp_granularities[]",
        ),
    ] {
        let answer = post(&server, &jfk, &[field]);
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        let (kind, named) = answer.error();
        assert_eq!(
            (kind.as_str(), named.as_deref()),
            ("bad_request", Some(param)),
            "{field}"
        );
    }
    let json_body = ["-H", "content-type: application/json", "-d", "{}"];
    let cases: Vec<(Answer, u16, &str, Option<&str>)> = vec![
        (post(&server, &notes, &[]), 400, "bad_input", Some("file")),
        (post(&server, &empty, &[]), 400, "bad_input", Some("file")),
        // An English-only model asked for Korean.
        (
            post(&server, &jfk, &["language=ko"]),
            400,
            "bad_request",
            None,
        ),
        (
            curl(
                &server.url,
                "/v1/audio/transcriptions",
                &["-F", "model=whisper-1"],
            ),
            400,
            "bad_request",
            Some("file"),
        ),
        (
            curl(&server.url, "/v1/audio/transcriptions", &json_body),
            400,
            "bad_request",
            None,
        ),
        (
            post(&server, &fixture("one-voice-long.wav"), &[]),
            413,
            "too_large",
            None,
        ),
        (
            curl(&server.url, "/v2/nothing", &[]),
            404,
            "not_found",
            None,
        ),
    ];
    for (i, (answer, status, kind, param)) in cases.iter().enumerate() {
        assert_eq!(answer.status, *status, "case {i}: {}", answer.body);
        let (k, p) = answer.error();
        assert_eq!(
            (k.as_str(), p.as_deref()),
            (*kind, *param),
            "case {i}: {}",
            answer.body
        );
    }
    // The message names the client's file, never a path of the server's.
    let message = cases[0].0.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("notes.wav"), "{message}");
    assert!(
        !message.contains("upload-") && !message.contains(&*server.state.to_string_lossy()),
        "{message}"
    );
    // A name with folders in it is a name, not a path.
    let sneaky = curl(
        &server.url,
        "/v1/audio/transcriptions",
        &[
            "-F",
            &format!("file=@{};filename=../../escaped.wav", jfk.display()),
        ],
    );
    assert_eq!(sneaky.status, 200, "{}", sneaky.body);
    assert!(!server.state.join("../escaped.wav").exists());
    assert!(
        !server
            .state
            .parent()
            .unwrap()
            .join("../escaped.wav")
            .exists()
    );
    assert!(
        server.uploads_left().is_empty(),
        "{:?}",
        server.uploads_left()
    );
    // The server is still there for the next client.
    assert_eq!(post(&server, &jfk, &[]).status, 200);
}

#[test]
fn a_token_guards_every_v1_route_and_never_shows() {
    let dir = scratch();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token-value\n").unwrap();
    let server = Server::start(&["--token-file", token_file.to_str().unwrap()], &[]);
    let jfk = fixture("jfk.wav");
    let file = format!("file=@{}", jfk.display());
    let none = curl(&server.url, "/v1/models", &[]);
    assert_eq!(none.status, 401);
    assert!(
        none.headers
            .to_lowercase()
            .contains("www-authenticate: bearer"),
        "{}",
        none.headers
    );
    assert_eq!(none.error().0, "unauthorized");
    let wrong = curl(
        &server.url,
        "/v1/audio/transcriptions",
        &["-H", "Authorization: Bearer s3cret", "-F", &file],
    );
    assert_eq!(wrong.status, 401);
    let right = ["-H", "Authorization: Bearer s3cret-token-value"];
    assert_eq!(curl(&server.url, "/v1/models", &right).status, 200);
    let ok = curl(
        &server.url,
        "/v1/audio/transcriptions",
        &[right[0], right[1], "-F", &file],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Probes and metrics stay open for the orchestrator and the scraper.
    assert_eq!(curl(&server.url, "/healthz", &[]).status, 200);
    assert_eq!(curl(&server.url, "/readyz", &[]).status, 200);
    let metrics = curl(&server.url, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains(r#"status="401""#), "{}", metrics.body);
    assert!(!metrics.body.contains("s3cret"));
    assert!(server.uploads_left().is_empty());
    assert!(!server.log().contains("s3cret"), "{}", server.log());
}

#[test]
fn it_will_not_start_where_it_should_not() {
    let dir = scratch();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "abc\n").unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        minutes()
            .args(["serve", "--port", "0", "--models-dir"])
            .arg(served_models())
            .args(args)
            .envs(env.iter().copied())
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let open = run(
        &[
            "--host",
            "0.0.0.0",
            "--state-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(open.status.code(), Some(2));
    let err = common::stderr_of(&open);
    assert!(
        err.contains("--host 0.0.0.0") && err.contains("token"),
        "{err}"
    );
    let twice = run(
        &[
            "--token-file",
            token_file.to_str().unwrap(),
            "--state-dir",
            dir.path().to_str().unwrap(),
        ],
        &[("MINUTES_API_TOKEN", "abc")],
    );
    assert_eq!(
        twice.status.code(),
        Some(2),
        "{}",
        common::stderr_of(&twice)
    );
    // A state folder that cannot be made (under a file: even root cannot).
    let state = token_file.join("state");
    let unwritable = run(&["--state-dir", state.to_str().unwrap()], &[]);
    assert_eq!(
        unwritable.status.code(),
        Some(73),
        "{}",
        common::stderr_of(&unwritable)
    );
    assert!(
        common::stderr_of(&unwritable).contains("token/state"),
        "{}",
        common::stderr_of(&unwritable)
    );
    let absurd = run(&["--queue", "0"], &[]);
    assert_eq!(absurd.status.code(), Some(2));
    assert!(common::stderr_of(&absurd).contains("--queue"));
}

#[test]
fn a_full_queue_answers_429_and_every_accepted_request_is_answered() {
    let server = Server::start(&["--queue", "1", "--no-cache"], &[]);
    let long = fixture("speakers-2.wav");
    let url = server.url.clone();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (url, long) = (url.clone(), long.clone());
            std::thread::spawn(move || post_to(&url, &long, &[]))
        })
        .collect();
    let answers: Vec<Answer> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let done: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(
        done.len() + busy.len(),
        4,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert!(
        !busy.is_empty() && done.len() >= 2,
        "done {} busy {}",
        done.len(),
        busy.len()
    );
    for b in &busy {
        assert!(
            b.headers.to_lowercase().contains("retry-after: 30"),
            "{}",
            b.headers
        );
        assert_eq!(b.error().0, "busy");
    }
    let first = done[0].json()["text"].clone();
    assert!(first.as_str().is_some_and(|t| t.len() > 100));
    assert!(done.iter().all(|a| a.json()["text"] == first));
    assert!(server.uploads_left().is_empty());
}

/// Sends `recording` from a client thread, and SIGTERM to the server once
/// it is being transcribed; the thread gives the client's answer.
fn stop_while_transcribing(server: &Server, recording: PathBuf) -> std::thread::JoinHandle<Answer> {
    let url = server.url.clone();
    let client = std::thread::spawn(move || post_to(&url, &recording, &[]));
    for _ in 0..1200 {
        if server.log().contains("transcribing") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.log().contains("transcribing"), "{}", server.log());
    let pid = server.child.id().to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term.success());
    client
}

#[test]
fn sigterm_lets_the_running_request_finish() {
    // A grace long enough for a loaded machine: the request must finish.
    let mut server = Server::start(&["--no-cache", "--grace", "600"], &[]);
    let long = fixture("speakers-2.wav");
    let client = stop_while_transcribing(&server, long);
    let answer = client.join().unwrap();
    assert_eq!(answer.status, 200, "{}\n{}", answer.body, server.log());
    assert!(answer.json()["text"].as_str().unwrap().len() > 100);
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(server.log().contains("stopping"));
}

#[test]
fn a_request_cut_off_by_the_stop_caches_none_of_its_transcript() {
    let cache = scratch();
    let shared = [("MINUTES_CACHE_DIR", cache.path().to_str().unwrap())];
    let mut server = Server::start(&["--grace", "0.1"], &shared);
    // Longer than one recognition block (180 s): the stop lands between blocks.
    let long = fixture("late-speech.wav");
    let client = stop_while_transcribing(&server, long);
    let cut = client.join().unwrap();
    assert_ne!(
        cut.status,
        200,
        "the request should have been cut off: {}",
        server.log()
    );
    assert_eq!(server.child.wait().unwrap().code(), Some(0));
    assert!(
        server.log().contains("grace period is over"),
        "{}",
        server.log()
    );
    // What was heard before the stop is not the recording's transcript.
    let cached: Vec<_> = walk(&cache.path().join("transcripts"));
    assert!(cached.is_empty(), "{cached:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match entry.path().is_dir() {
            true => files.extend(walk(&entry.path())),
            false => files.push(entry.path()),
        }
    }
    files
}
