//! `minutes eval compare`: which of two minutes of the same meetings an
//! LLM judge finds better, each pair judged in both orders.
//!
//! Every file is read, and the rubric and the judge settled, before the
//! first call: a typo in the last pair's name costs no tokens. The judge is
//! reached as `summarize` reaches its LLM (the same client, retries and
//! bundled server), with personal data replaced when it is not on this
//! machine. Any pair the judge cannot answer fails the run: a win rate over
//! the pairs that happened to succeed would not be the win rate asked for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::cli::EvalFormat;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::compare::judge::{self, Judge, Shown};
use crate::eval::compare::pairs::{self, Pair};
use crate::eval::compare::report::{JudgeInfo, PairResult, Report, RubricInfo};
use crate::eval::compare::rubric::{self, Rubric};
use crate::eval::minutes::read as minutes_file;
use crate::eval::read;
use crate::llm::local::LocalServer;
use crate::llm::openai::OpenAiLlm;
use crate::llm::retry::RetryPolicy;
use crate::llm::select::{Endpoint, select};
use crate::llm::{UsageBook, is_loopback};
use crate::settings::CompareEvalSettings;
use crate::summarize::call::Caller;
use crate::ui::Printer;

/// Judge calls in flight at once by default (one for the bundled model,
/// which answers one request at a time).
const DEFAULT_JOBS: usize = 4;

pub fn run(s: &CompareEvalSettings, printer: &Printer) -> Result<()> {
    let started = Instant::now();
    let pairs = pairs::find(&s.a, &s.b, &s.transcript).map_err(|e| all(e, printer))?;
    let shown = read_pairs(&pairs, printer)?;
    let rubric = Rubric::load(s.rubric.as_deref())?;
    let endpoint = select(&s.judge, &s.models_dir).map_err(judge_flags)?;
    let redact = s
        .redact
        .unwrap_or(endpoint.local.is_none() && !is_loopback(&endpoint.base_url));
    let shown: Vec<Shown> = shown
        .into_iter()
        .map(|(t, a, b)| Shown::new(t, a, b, redact))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("async runtime: {e}")))?;
    let mut local = match &endpoint.local {
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
    let permits = Semaphore::new(s.jobs.unwrap_or(default_jobs));
    let caller = Caller {
        llm: &llm,
        permits: &permits,
        max_output_tokens: judge::MAX_OUTPUT_TOKENS,
        temperature: 0.0,
        seed: None,
    };
    let judge = Judge {
        caller: &caller,
        rubric: &rubric,
        label: format!("{} at {}", endpoint.model, endpoint.base_url),
    };
    printer.status(format!(
        "judging {} pair(s) in both orders with {}{}",
        pairs.len(),
        judge.label,
        if redact {
            ", personal data replaced"
        } else {
            ""
        }
    ));
    let judgements = runtime.block_on(futures::future::try_join_all(
        pairs
            .iter()
            .zip(&shown)
            .map(|(p, t)| judge.pair(&p.name, t)),
    ));
    let judgements = judgements.map_err(|e| match local.as_mut().is_some_and(|l| !l.alive()) {
        true => Error::new(
            ErrorKind::Unavailable,
            "the local model server stopped unexpectedly while judging",
        )
        .with_hint("run with -vv to see its log; it may have run out of memory"),
        false => e,
    })?;
    drop(local);
    report_redactions(&shown, printer);
    let results: Vec<PairResult> = pairs
        .iter()
        .zip(judgements)
        .map(|(p, j)| {
            let path = |p: &std::path::Path| p.display().to_string();
            PairResult::new(p.name.clone(), path(&p.a), path(&p.b), j)
        })
        .collect();
    let total = usage.total();
    let seconds = started.elapsed().as_secs_f64();
    printer.status(format!(
        "judged {} pair(s) in {seconds:.1} s: {} judge calls, {} prompt ({} cached) + {} completion tokens",
        results.len(),
        total.calls,
        total.prompt_tokens,
        total.cached_prompt_tokens,
        total.completion_tokens,
    ));
    let report = Report::new(
        JudgeInfo {
            url: endpoint.base_url.clone(),
            model: endpoint.model.clone(),
        },
        RubricInfo {
            source: rubric.source.clone(),
            version: rubric.version.clone(),
            hash: rubric.hash.clone(),
        },
        results,
        total,
        seconds,
    );
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

/// Each pair's transcript and both minutes as the judge will read them.
fn read_pairs(pairs: &[Pair], printer: &Printer) -> Result<Vec<(String, String, String)>> {
    let mut errors = Vec::new();
    let mut texts = Vec::with_capacity(pairs.len());
    for p in pairs {
        let transcript = read::transcript(&p.transcript);
        let a = minutes_file::file(&p.a);
        let b = minutes_file::file(&p.b);
        match (transcript, a, b) {
            (Ok(t), Ok(a), Ok(b)) => {
                texts.push((t.to_txt(), rubric::show(&a), rubric::show(&b)));
            }
            (t, a, b) => errors.extend([t.err(), a.err(), b.err()].into_iter().flatten()),
        }
    }
    match errors.is_empty() {
        true => Ok(texts),
        false => Err(super::unread(errors, pairs.len() * 3, printer)),
    }
}

/// One fault is the error itself; several are each printed, then summed
/// up, the first one's class deciding the exit code.
fn all(mut errors: Vec<Error>, printer: &Printer) -> Error {
    if errors.len() == 1 {
        return errors.remove(0);
    }
    for e in &errors {
        printer.error(e.message(), e.hint());
    }
    let kind = errors.first().map_or(ErrorKind::Internal, Error::kind);
    Error::new(kind, format!("{} faults in the inputs", errors.len()))
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
fn retry(s: &CompareEvalSettings, endpoint: &Endpoint) -> RetryPolicy {
    let default_timeout = if endpoint.local.is_some() { 1800 } else { 300 };
    RetryPolicy {
        request_timeout: s
            .request_timeout
            .unwrap_or(Duration::from_secs(default_timeout)),
        max_attempts: s.retries + 1,
        ..RetryPolicy::default()
    }
}

fn report_redactions(shown: &[Shown], printer: &Printer) {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for s in shown {
        for (kind, n) in s.redactions() {
            *counts.entry(kind).or_default() += n;
        }
    }
    if !counts.is_empty() {
        let kinds: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        printer.status(format!(
            "kept personal data off the judge, restored in its reasoning: {}",
            kinds.join(", ")
        ));
    }
}
