//! `minutes eval calibrate`: the shipped calibration cases (good minutes
//! and three copies with one fault planted each) judged in both orders by
//! the judge asked for, with the pairwise judging of `eval compare`. The
//! run succeeds whatever the judge decides: its result is the table. Only a
//! judge that cannot be reached, or answers no judgement, fails it.

use std::time::Instant;

use crate::cli::EvalFormat;
use crate::error::Result;
use crate::eval::calibrate::{Calibration, Outcome, Report};
use crate::eval::compare::judge::{self, Judge, Shown};
use crate::eval::compare::rubric::{self, Rubric};
use crate::settings::CalibrateEvalSettings;
use crate::ui::Printer;

use super::client::LlmClient;

pub fn run(s: &CalibrateEvalSettings, printer: &Printer) -> Result<()> {
    let started = Instant::now();
    let cases = Calibration::shipped()?;
    let rubric = Rubric::load(s.rubric.as_deref())?;
    let mut client = LlmClient::judge(&s.judge, printer)?;
    let transcript = cases.transcript.to_txt();
    let good = rubric::show(&cases.good);
    let shown: Vec<Shown> = cases
        .corrupted
        .iter()
        .map(|c| {
            let copy = rubric::show(&c.minutes);
            Shown::new(
                transcript.clone(),
                good.clone(),
                copy,
                client.redact.as_deref(),
            )
        })
        .collect();
    let caller = client.caller(judge::MAX_OUTPUT_TOKENS, 0.0);
    let judge = Judge {
        caller: &caller,
        rubric: &rubric,
        label: client.label.clone(),
    };
    printer.status(format!(
        "judging good minutes against {} corrupted copies, in both orders, with {}",
        cases.corrupted.len(),
        judge.label
    ));
    let judgements = client.block_on(futures::future::try_join_all(
        cases
            .corrupted
            .iter()
            .zip(&shown)
            .map(|(c, shown)| judge.pair(c.name, shown)),
    ));
    let judgements = client.finish(judgements)?;
    let outcomes: Vec<Outcome> = cases
        .corrupted
        .iter()
        .zip(judgements)
        .map(|(c, j)| Outcome::new(c, j))
        .collect();
    let usage = client.usage();
    let seconds = started.elapsed().as_secs_f64();
    printer.status(format!(
        "judged in {seconds:.1} s: {} judge calls, {} prompt ({} cached) + {} completion tokens",
        usage.calls, usage.prompt_tokens, usage.cached_prompt_tokens, usage.completion_tokens,
    ));
    let report = Report::new(client.judge_info(), rubric.info(), outcomes, usage, seconds);
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}
