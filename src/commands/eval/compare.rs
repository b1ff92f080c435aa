//! `minutes eval compare`: which of two minutes of the same meetings an
//! LLM judge finds better, each pair judged in both orders.
//!
//! Every file is read, and the rubric and the judge settled, before the
//! first call: a typo in the last pair's name costs no tokens. The judge is
//! reached as `summarize` reaches its LLM (the same client, retries and
//! bundled server), with personal data replaced when it is not on this
//! machine. Any pair the judge cannot answer fails the run: a win rate over
//! the pairs that happened to succeed would not be the win rate asked for.

use std::time::Instant;

use crate::cli::EvalFormat;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::compare::judge::{self, Judge, Shown};
use crate::eval::compare::pairs::{self, Pair};
use crate::eval::compare::report::{PairResult, Report};
use crate::eval::compare::rubric::{self, Rubric};
use crate::eval::minutes::read as minutes_file;
use crate::eval::read;
use crate::settings::CompareEvalSettings;
use crate::ui::Printer;

use super::client::LlmClient;

pub fn run(s: &CompareEvalSettings, printer: &Printer) -> Result<()> {
    let started = Instant::now();
    let pairs = pairs::find(&s.a, &s.b, &s.transcript).map_err(|e| all(e, printer))?;
    let shown = read_pairs(&pairs, printer)?;
    let rubric = Rubric::load(s.rubric.as_deref())?;
    let mut client = LlmClient::judge(&s.judge, printer)?;
    let redact = client.redact.is_some();
    let shown: Vec<Shown> = shown
        .into_iter()
        .map(|(t, a, b)| Shown::new(t, a, b, client.redact.as_deref()))
        .collect();
    let caller = client.caller(judge::MAX_OUTPUT_TOKENS, 0.0);
    let judge = Judge {
        caller: &caller,
        rubric: &rubric,
        label: client.label.clone(),
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
    let judgements = client.block_on(futures::future::try_join_all(
        pairs
            .iter()
            .zip(&shown)
            .map(|(p, t)| judge.pair(&p.name, t)),
    ));
    let judgements = client.finish(judgements)?;
    report_redactions(&shown, printer);
    let results: Vec<PairResult> = pairs
        .iter()
        .zip(judgements)
        .map(|(p, j)| {
            let path = |p: &std::path::Path| p.display().to_string();
            PairResult::new(p.name.clone(), path(&p.a), path(&p.b), j)
        })
        .collect();
    let total = client.usage();
    let seconds = started.elapsed().as_secs_f64();
    printer.status(format!(
        "judged {} pair(s) in {seconds:.1} s: {} judge calls, {} prompt ({} cached) + {} completion tokens",
        results.len(),
        total.calls,
        total.prompt_tokens,
        total.cached_prompt_tokens,
        total.completion_tokens,
    ));
    let report = Report::new(client.judge_info(), rubric.info(), results, total, seconds);
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
