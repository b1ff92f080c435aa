//! `minutes serve`: the real server binary on a free loopback port, the
//! real Whisper tiny.en model, and the clients users have: curl, the
//! official `openai` Python package (from PyPI, in the assets' venv),
//! promtool and a real Prometheus (Debian's `prometheus`).
//!
//! This module holds what the tests share: the server, curl, uploads.

mod guards;
mod jobs;
mod metrics;
mod openai;
mod stop;

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

/// A state folder and a stage cache that outlive one server (for restarts).
struct Dirs {
    state: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Dirs {
        Dirs {
            state: scratch(),
            cache: scratch(),
        }
    }
}

impl Server {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let dirs = Dirs::new();
        let mut server = Server::start_in(&dirs, args, env);
        server._dirs = vec![dirs.state, dirs.cache];
        server
    }

    /// A server on folders the caller keeps.
    fn start_in(dirs: &Dirs, args: &[&str], env: &[(&str, &str)]) -> Server {
        let (state, cache) = (&dirs.state, &dirs.cache);
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
            _dirs: Vec::new(),
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
    /// What curl said went wrong, if anything (a timeout, a reset).
    failure: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} {}", self.status, self.body, self.failure.trim())
    }
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
        .args(["-sS", "--noproxy", "*", "-m", "900", "-D"])
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
        failure: String::from_utf8_lossy(&out.stderr).into_owned(),
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
