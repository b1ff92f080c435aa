//! The bundled local model: starts `minutes-llm` on demand, checks it is
//! ready, and stops it when `minutes` is done.
//!
//! The server listens on an ephemeral loopback port behind a random bearer
//! token, so the rest of the program reaches it like any OpenAI-compatible
//! server (same client, same retry policy). Its stdin is a pipe held here:
//! when `minutes` exits, normally, on Ctrl-C or killed, the pipe closes and
//! the server exits too, so no process is left behind. Dropping the handle
//! also kills it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::Secret;
use crate::error::{Error, ErrorKind, Result};

/// How long loading a model may take before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(300);

pub struct LocalServer {
    child: Child,
    _stdin: ChildStdin,
    pub base_url: String,
    pub token: Secret,
}

/// The `minutes-llm` program: `MINUTES_LLM_SERVER`, next to this executable, or on PATH.
pub fn program() -> PathBuf {
    if let Some(p) = crate::env::llm_server_program() {
        return PathBuf::from(p);
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join("minutes-llm")));
    sibling
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("minutes-llm"))
}

/// Where and how `minutes-llm` serves a model.
pub struct ServerArgs<'a> {
    pub model: &'a Path,
    pub host: &'a str,
    /// 0 picks a free port.
    pub port: u16,
    pub ctx: Option<u32>,
    pub threads: Option<usize>,
}

impl ServerArgs<'_> {
    /// The `minutes-llm` command line for these settings.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(program());
        cmd.arg("--model").arg(self.model).args([
            "--host",
            self.host,
            "--port",
            &self.port.to_string(),
        ]);
        if let Some(c) = self.ctx {
            cmd.args(["--ctx", &c.to_string()]);
        }
        if let Some(t) = self.threads {
            cmd.args(["--threads", &t.to_string()]);
        }
        cmd
    }
}

/// The error for a `minutes-llm` that cannot be started.
pub fn cannot_start(e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!(
            "cannot start {}: {}",
            program().display(),
            crate::error::io_reason(e)
        ),
    )
    .with_hint("install it with `cargo install --path .` (it comes with minutes)")
}

/// 128 bits from the operating system's random source, as hex.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::internal(format!("no random source for the server token: {e}")))?;
    Ok(crate::hash::hex(&bytes))
}

impl LocalServer {
    /// Starts the server for `model` and waits until it serves.
    pub fn start(model: &Path, threads: Option<usize>) -> Result<LocalServer> {
        let token = random_token()?;
        let args = ServerArgs {
            model,
            host: "127.0.0.1",
            port: 0,
            ctx: None,
            threads,
        };
        let mut child = args
            .command()
            .arg("--watch-stdin")
            .env("MINUTES_LLM_TOKEN", &token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| cannot_start(&e))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| Error::internal("minutes-llm stdin missing"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::internal("minutes-llm stdout missing"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| Error::internal("minutes-llm stderr missing"))?;
        // Its log goes to ours (debug level), line by line, from a helper thread.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                tracing::debug!(target: "minutes_llm", "{line}");
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
            return Err(Error::file(
                ErrorKind::Unavailable,
                model,
                format!(
                    "the local model server did not start ({status}); run with -vv for its log"
                ),
            ));
        };
        tracing::info!("local model server ready at {url}");
        Ok(LocalServer {
            child,
            _stdin: stdin,
            base_url: format!("{url}/v1"),
            token: Secret::new(token),
        })
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
