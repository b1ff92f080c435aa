//! What a batch tells its operator: a JSON report per run (status, error,
//! stage timings, token usage and output of every input) and Prometheus
//! textfile-collector metrics. Both are written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Done,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub input: PathBuf,
    pub status: Status,
    pub output: Option<PathBuf>,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    pub seconds: f64,
    /// Seconds per stage (transcribe, map, collapse, reduce).
    pub stage_seconds: BTreeMap<String, f64>,
    pub prompt_tokens: u64,
    /// Of the prompt tokens, those served from the server's prompt cache.
    pub cached_prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl FileReport {
    pub fn new(input: &Path, status: Status, output: Option<PathBuf>, started: Instant) -> Self {
        FileReport {
            input: input.to_path_buf(),
            status,
            output,
            error: None,
            exit_code: None,
            seconds: round(started.elapsed().as_secs_f64()),
            stage_seconds: BTreeMap::new(),
            prompt_tokens: 0,
            cached_prompt_tokens: 0,
            completion_tokens: 0,
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[derive(Serialize)]
struct Report<'a> {
    finished_at: u64,
    seconds: f64,
    done: usize,
    skipped: usize,
    failed: usize,
    files: &'a [FileReport],
}

fn count(files: &[FileReport], status: Status) -> usize {
    files.iter().filter(|f| f.status == status).count()
}

pub fn write_report(path: &Path, files: &[FileReport], started: Instant) -> Result<()> {
    let report = Report {
        finished_at: now(),
        seconds: round(started.elapsed().as_secs_f64()),
        done: count(files, Status::Done),
        skipped: count(files, Status::Skipped),
        failed: count(files, Status::Failed),
        files,
    };
    let mut text = serde_json::to_vec_pretty(&report).unwrap_or_default();
    text.push(b'\n');
    crate::sink::write_atomic(path, &text)
}

/// Prometheus textfile metrics, names prefixed `minutes_`, base units. The
/// last-success timestamp survives failed runs (it is read back from the
/// previous file).
pub fn write_metrics(path: &Path, files: &[FileReport], started: Instant) -> Result<()> {
    let previous_success = std::fs::read_to_string(path).ok().and_then(|t| {
        t.lines().find_map(|l| {
            l.strip_prefix("minutes_last_success_timestamp_seconds ")?
                .trim()
                .parse::<u64>()
                .ok()
        })
    });
    let failed = count(files, Status::Failed);
    let last_success = if failed == 0 {
        Some(now())
    } else {
        previous_success
    };
    let mut stages: BTreeMap<String, f64> = BTreeMap::new();
    for f in files {
        for (k, v) in &f.stage_seconds {
            *stages.entry(k.clone()).or_default() += v;
        }
    }
    let prompt: u64 = files.iter().map(|f| f.prompt_tokens).sum();
    let completion: u64 = files.iter().map(|f| f.completion_tokens).sum();
    let mut m = String::new();
    m.push_str(
        "# HELP minutes_files Inputs of the last run by outcome.\n# TYPE minutes_files gauge\n",
    );
    for (label, status) in [
        ("processed", Status::Done),
        ("skipped", Status::Skipped),
        ("failed", Status::Failed),
    ] {
        m.push_str(&format!(
            "minutes_files{{status=\"{label}\"}} {}\n",
            count(files, status)
        ));
    }
    m.push_str("# HELP minutes_llm_tokens LLM tokens used by the last run.\n# TYPE minutes_llm_tokens gauge\n");
    m.push_str(&format!(
        "minutes_llm_tokens{{direction=\"prompt\"}} {prompt}\n"
    ));
    m.push_str(&format!(
        "minutes_llm_tokens{{direction=\"completion\"}} {completion}\n"
    ));
    m.push_str("# HELP minutes_stage_seconds Time spent per stage in the last run.\n# TYPE minutes_stage_seconds gauge\n");
    for (stage, secs) in &stages {
        m.push_str(&format!(
            "minutes_stage_seconds{{stage=\"{stage}\"}} {secs:.3}\n"
        ));
    }
    m.push_str(
        "# HELP minutes_run_seconds Duration of the last run.\n# TYPE minutes_run_seconds gauge\n",
    );
    m.push_str(&format!(
        "minutes_run_seconds {:.3}\n",
        started.elapsed().as_secs_f64()
    ));
    if let Some(ts) = last_success {
        m.push_str(
            "# HELP minutes_last_success_timestamp_seconds End of the last run without failures.\n",
        );
        m.push_str("# TYPE minutes_last_success_timestamp_seconds gauge\n");
        m.push_str(&format!("minutes_last_success_timestamp_seconds {ts}\n"));
    }
    crate::sink::write_atomic(path, m.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_keep_the_last_success_through_failures() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.prom");
        let ok = vec![FileReport::new(
            Path::new("a"),
            Status::Done,
            None,
            Instant::now(),
        )];
        write_metrics(&p, &ok, Instant::now()).unwrap();
        let first = std::fs::read_to_string(&p).unwrap();
        assert!(first.contains("minutes_files{status=\"processed\"} 1"));
        let ts = first
            .lines()
            .find(|l| l.starts_with("minutes_last_success"))
            .unwrap()
            .to_string();
        let bad = vec![FileReport::new(
            Path::new("b"),
            Status::Failed,
            None,
            Instant::now(),
        )];
        write_metrics(&p, &bad, Instant::now()).unwrap();
        let second = std::fs::read_to_string(&p).unwrap();
        assert!(second.contains("minutes_files{status=\"failed\"} 1"));
        assert!(second.contains(&ts), "last success kept");
    }
}
