//! An LLM of `eval`: the judge of `eval compare` and `eval minutes
//! --judge-llm`, and the summariser and judge of `eval suite`, each reached
//! as `summarize` reaches its LLM: the same selection (a URL, OpenAI, or the
//! bundled model, started here and stopped when the client is dropped), the
//! same client, retry policy and usage accounting, and one semaphore of
//! `--jobs` permits for every call made through [`LlmClient::caller`]. Kept
//! apart from the commands so that none calls another and all reach their
//! LLMs alike.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{Error, ErrorKind, Result};
use crate::llm::local::LocalServer;
use crate::llm::openai::OpenAiLlm;
use crate::llm::retry::RetryPolicy;
use crate::llm::select::{Endpoint, select};
use crate::llm::{Usage, UsageBook, is_loopback};
use crate::settings::LlmSettings;
use crate::summarize::call::Caller;
use crate::ui::Printer;

/// Calls in flight at once by default (one for the bundled model, which
/// answers one request at a time).
const DEFAULT_JOBS: usize = 4;

/// An LLM ready to be asked, with its runtime.
pub struct LlmClient {
    /// The endpoint as chosen (`local` for the bundled model's URL).
    pub endpoint: Endpoint,
    /// The terms to hide besides the patterns, when personal data is
    /// replaced before the LLM sees it; `None`: it is not.
    pub redact: Option<Vec<String>>,
    /// `MODEL at URL`, for messages.
    pub label: String,
    llm: OpenAiLlm,
    usage: Arc<UsageBook>,
    permits: Semaphore,
    local: Option<LocalServer>,
    runtime: tokio::runtime::Runtime,
}

impl LlmClient {
    /// What a report says of the judge.
    pub fn judge_info(&self) -> crate::eval::compare::report::JudgeInfo {
        crate::eval::compare::report::JudgeInfo {
            url: self.endpoint.base_url.clone(),
            model: self.endpoint.model.clone(),
        }
    }

    /// Resolves the judge and, for the bundled model, starts its server;
    /// errors speak of the judge's flags.
    pub fn judge(s: &LlmSettings, printer: &Printer) -> Result<LlmClient> {
        let endpoint = select(&s.choice, &s.models_dir).map_err(judge_flags)?;
        LlmClient::start(s, endpoint, printer)
    }

    /// Starts a client of `endpoint` (see [`select`]), for the bundled
    /// model with its server.
    pub fn start(s: &LlmSettings, endpoint: Endpoint, printer: &Printer) -> Result<LlmClient> {
        let redact = s
            .redact
            .unwrap_or(endpoint.local.is_none() && !is_loopback(&endpoint.base_url));
        let redact = match (redact, &s.redact_terms) {
            (false, _) => None,
            (true, Some(path)) => Some(crate::redact::read_terms(path)?),
            (true, None) => Some(Vec::new()),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("async runtime: {e}")))?;
        let local = match &endpoint.local {
            Some(model) => {
                printer.status(format!("starting the local model {}", model.display()));
                Some(LocalServer::start(model, None)?)
            }
            None => None,
        };
        let (url, key) = match &local {
            Some(server) => (server.base_url.clone(), server.token.clone()),
            None => (endpoint.base_url.clone(), endpoint.key.clone()),
        };
        let usage = Arc::new(UsageBook::default());
        let llm = OpenAiLlm::new(
            &url,
            &endpoint.model,
            &key,
            retry(s, &endpoint),
            usage.clone(),
        )?;
        let default_jobs = if local.is_some() { 1 } else { DEFAULT_JOBS };
        Ok(LlmClient {
            label: format!("{} at {}", endpoint.model, endpoint.base_url),
            endpoint,
            redact,
            llm,
            usage,
            permits: Semaphore::new(s.jobs.unwrap_or(default_jobs)),
            local,
            runtime,
        })
    }

    /// The structured call through the shared permits.
    pub fn caller(&self, max_output_tokens: u32, temperature: f32) -> Caller<'_, OpenAiLlm> {
        Caller {
            llm: &self.llm,
            permits: &self.permits,
            max_output_tokens,
            temperature,
            seed: None,
        }
    }

    /// The client itself, for work that brings its own permits (the
    /// summarising pipeline).
    pub fn llm(&self) -> &OpenAiLlm {
        &self.llm
    }

    /// Runs the work to its end on the client's runtime.
    pub fn block_on<T>(&self, work: impl Future<Output = T>) -> T {
        self.runtime.block_on(work)
    }

    /// The outcome of judging; a failure of the bundled server is named as
    /// such rather than as the refused request it caused. The server is
    /// stopped either way.
    pub fn finish<T>(&mut self, outcome: Result<T>) -> Result<T> {
        let outcome = self.outcome(outcome, "judging");
        self.local = None;
        outcome
    }

    /// The outcome of work done `while` (`judging`, `summarising …`): a
    /// failure of the bundled server is named as such rather than as the
    /// refused request it caused. The server keeps running.
    pub fn outcome<T>(&mut self, outcome: Result<T>, while_: &str) -> Result<T> {
        let died = self.local.as_mut().is_some_and(|l| !l.alive());
        match (outcome, died) {
            (Err(_), true) => Err(Error::new(
                ErrorKind::Unavailable,
                format!("the local model server stopped unexpectedly while {while_}"),
            )
            .with_hint("run with -vv to see its log; it may have run out of memory")),
            (outcome, _) => outcome,
        }
    }

    /// Tokens spent so far.
    pub fn usage(&self) -> Usage {
        self.usage.total()
    }
}

/// `select` speaks of `--llm` and `--llm-model`; here they are the judge's flags.
fn judge_flags(e: Error) -> Error {
    let rename = |s: &str| {
        s.replace("--llm-model", "\u{0}")
            .replace("--llm", "--judge-llm")
            .replace('\u{0}', "--judge-model")
    };
    let renamed = Error::new(e.kind(), rename(e.message()));
    match e.hint() {
        Some(h) => renamed.with_hint(rename(h)),
        None => renamed,
    }
}

/// The retry policy of `summarize`, with the same defaults.
fn retry(s: &LlmSettings, endpoint: &Endpoint) -> RetryPolicy {
    let default_timeout = if endpoint.local.is_some() { 1800 } else { 300 };
    RetryPolicy {
        request_timeout: s
            .request_timeout
            .unwrap_or(Duration::from_secs(default_timeout)),
        max_attempts: s.retries + 1,
        ..RetryPolicy::default()
    }
}
