//! `minutes eval suite`: every case of a folder summarised with each prompt
//! set and model asked for, through the summarising pipeline of the
//! library (as `summarize` runs it, with unverified items kept so precision
//! can count them), scored as `eval minutes` scores, printed as one row per
//! prompt set and model, and appended to the history.
//!
//! Everything that can be checked without an LLM is, before the first call:
//! the cases and their facts, every prompt set, every model's endpoint, the
//! rubric, and the history file (opened for appending). Any case that
//! cannot be summarised or judged fails the run, with nothing on stdout and
//! nothing appended: a mean over the cases that happened to succeed is not
//! the number the history compares.

use std::time::Instant;

use crate::cli::EvalFormat;
use crate::error::{Error, Result};
use crate::eval::compare::rubric::Rubric;
use crate::eval::minutes::judge::{self as scoring, JudgeScores, Scorer};
use crate::eval::minutes::matcher::{self, KindLinks, Matcher};
use crate::eval::minutes::{self as scores};
use crate::eval::suite::history::{Entry, FORMAT, History, JudgeId, LlmId, PromptsId, RunSettings};
use crate::eval::suite::report::Report;
use crate::eval::suite::{self, Case, CaseScores, JudgeMeans, Totals, round_ms};
use crate::llm::select::{Endpoint, select};
use crate::settings::SuiteEvalSettings;
use crate::summarize::prompts::PromptSet;
use crate::summarize::schema::Minutes;
use crate::summarize::{self, Event, Options};
use crate::ui::Printer;

use super::client::LlmClient;

pub fn run(s: &SuiteEvalSettings, printer: &Printer) -> Result<()> {
    let started = Instant::now();
    let date = jiff::Zoned::now()
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let Prepared {
        cases,
        prompt_sets,
        endpoints,
        rubric,
        mut history,
        suite_dir,
    } = prepare(s, printer)?;
    let mut judge = match (&s.judge, rubric) {
        (Some(j), Some(rubric)) => Some(Judge {
            client: LlmClient::judge(j, printer)?,
            rubric,
            matching: Rubric::load_kind(None, &matcher::MATCH)?,
        }),
        _ => None,
    };
    let mut runs = Vec::with_capacity(prompt_sets.len() * endpoints.len());
    // Model by model, so a bundled model is started once for all prompt sets.
    for (m, (llm, endpoint)) in s.llms.iter().zip(endpoints).enumerate() {
        let mut client = LlmClient::start(llm, endpoint, printer)?;
        for (p, prompts) in prompt_sets.iter().enumerate() {
            let row = Row {
                s,
                date: &date,
                suite: &suite_dir,
                prompts,
                cases: &cases,
                printer,
            };
            runs.push(((p, m), row.run(&mut client, judge.as_mut())?));
        }
        client.finish(Ok(()))?;
    }
    if let Some(j) = judge.as_mut() {
        j.client.finish(Ok(()))?;
    }
    // The table reads prompt set by prompt set.
    runs.sort_by_key(|(at, _)| *at);
    let runs: Vec<Entry> = runs.into_iter().map(|(_, e)| e).collect();
    if let Some(h) = history.as_mut() {
        h.append(&runs)?;
        printer.status(format!(
            "appended {} result(s) to {}",
            runs.len(),
            h.path().display()
        ));
    }
    let mut report = Report::new(
        suite_dir,
        s.history.as_ref().map(|p| p.display().to_string()),
        cases.iter().map(|c| c.name.clone()).collect(),
        s.judge.is_some(),
    );
    for r in &runs {
        report.usage.absorb(&r.usage);
        if let Some(u) = &r.judge_usage {
            report.usage.absorb(u);
        }
    }
    report.runs = runs;
    report.seconds = round_ms(started.elapsed().as_secs_f64());
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

/// What a run needs, found, read and opened before its first call.
struct Prepared {
    cases: Vec<Case>,
    prompt_sets: Vec<PromptSet>,
    endpoints: Vec<Endpoint>,
    rubric: Option<Rubric>,
    history: Option<History>,
    /// The suite's folder, absolute where it resolves.
    suite_dir: String,
}

fn prepare(s: &SuiteEvalSettings, printer: &Printer) -> Result<Prepared> {
    let files = suite::find(&s.dir).map_err(|e| faults(e, printer))?;
    let cases = suite::read(&files).map_err(|e| super::unread(e, files.len() * 2, printer))?;
    let prompt_sets = s
        .templates
        .iter()
        .map(|t| PromptSet::load(t.as_deref(), s.config_dir.as_deref()))
        .collect::<Result<Vec<_>>>()?;
    let endpoints = s
        .llms
        .iter()
        .map(|l| select(&l.choice, &l.models_dir))
        .collect::<Result<Vec<_>>>()?;
    let rubric = match &s.judge {
        Some(_) => Some(Rubric::load_kind(s.rubric.as_deref(), &scoring::SCORE)?),
        None => None,
    };
    let history = s.history.as_deref().map(History::open).transpose()?;
    let suite_dir = std::fs::canonicalize(&s.dir).unwrap_or_else(|_| s.dir.clone());
    printer.status(format!(
        "suite {}: {} case(s); {} prompt set(s) × {} model(s)",
        s.dir.display(),
        cases.len(),
        prompt_sets.len(),
        endpoints.len()
    ));
    Ok(Prepared {
        cases,
        prompt_sets,
        endpoints,
        rubric,
        history,
        suite_dir: suite_dir.display().to_string(),
    })
}

/// One prompt set with one model over every case.
struct Row<'a> {
    s: &'a SuiteEvalSettings,
    date: &'a str,
    suite: &'a str,
    prompts: &'a PromptSet,
    cases: &'a [Case],
    printer: &'a Printer,
}

impl Row<'_> {
    fn run(&self, client: &mut LlmClient, mut judge: Option<&mut Judge>) -> Result<Entry> {
        let started = Instant::now();
        let spent = client.usage();
        let judge_spent = judge.as_ref().map(|j| j.client.usage());
        let endpoint = client.endpoint.clone();
        let mut prompts = self.prompts.clone();
        prompts.language = self.s.tuning.language.clone();
        prompts.with_examples = endpoint.local.is_none();
        let mut opts = Options::new(&self.s.tuning, &endpoint, String::new());
        opts.redact = client.redact.clone();
        let mut scored = Vec::with_capacity(self.cases.len());
        for case in self.cases {
            scored.push(self.case(case, client, judge.as_deref_mut(), &prompts, &opts)?);
        }
        let usage = client.usage().since(&spent);
        let judge_usage = judge
            .as_ref()
            .zip(judge_spent)
            .map(|(j, before)| j.client.usage().since(&before));
        let seconds = round_ms(started.elapsed().as_secs_f64());
        self.printer.status(format!(
            "prompts {} ({}) with {}: {} case(s) in {seconds:.1} s: {} LLM calls, {} prompt ({} cached) + {} completion tokens{}",
            prompts.name,
            prompts.hash,
            client.label,
            scored.len(),
            usage.calls,
            usage.prompt_tokens,
            usage.cached_prompt_tokens,
            usage.completion_tokens,
            judge_usage.as_ref().map_or_else(String::new, |u| format!(
                "; judge: {} calls, {} prompt ({} cached) + {} completion tokens",
                u.calls, u.prompt_tokens, u.cached_prompt_tokens, u.completion_tokens
            )),
        ));
        Ok(Entry {
            format: FORMAT,
            date: self.date.to_string(),
            suite: self.suite.to_string(),
            prompts: PromptsId {
                name: prompts.name.clone(),
                versions: prompts.versions.clone(),
                hash: prompts.hash.clone(),
            },
            model: endpoint.model.clone(),
            llm: llm_id(&endpoint),
            settings: RunSettings {
                language: self.s.tuning.language.clone(),
                temperature: opts.temperature,
                seed: opts.seed,
                chunk_tokens: opts.chunk_tokens,
                redact: opts.redact.is_some(),
                correct: opts.correct,
            },
            judge: judge.as_ref().map(|j| JudgeId {
                model: j.client.endpoint.model.clone(),
                url: j.client.endpoint.base_url.clone(),
                rubric: j.rubric.hash.clone(),
                matching: Some(j.matching.hash.clone()),
            }),
            totals: Totals::of(&scored),
            cases: scored,
            usage,
            judge_usage,
            seconds,
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }

    /// One case summarised by `client` and scored (by `judge` too, if any).
    fn case(
        &self,
        case: &Case,
        client: &mut LlmClient,
        judge: Option<&mut Judge>,
        prompts: &PromptSet,
        opts: &Options,
    ) -> Result<CaseScores> {
        let started = Instant::now();
        let doing = format!(
            "summarising {} with prompts {} and {}",
            case.transcript_path.display(),
            prompts.name,
            client.label
        );
        let events = events(&case.name, self.printer);
        let summary = client.block_on(summarize::run_transcript(
            client.llm(),
            prompts,
            opts,
            &case.transcript,
            &events,
        ));
        let summary = client.outcome(summary.map_err(|e| context(e, &doing)), &doing)?;
        let precision = scores::precision(&summary.minutes, &summary.transcript);
        let (facts, judged) = match judge {
            Some(j) => {
                let (means, links) = j.case(case, &summary.minutes)?;
                let facts = scores::recall_linked(&summary.minutes, &case.facts, &links);
                (facts, Some(means))
            }
            None => (scores::recall(&summary.minutes, &case.facts), None),
        };
        let seconds = started.elapsed().as_secs_f64();
        Ok(CaseScores::new(
            case.name.clone(),
            precision,
            facts,
            judged,
            seconds,
        ))
    }
}

/// The judge of a suite: its client, its rubric and its matching prompt.
struct Judge {
    client: LlmClient,
    rubric: Rubric,
    matching: Rubric,
}

impl Judge {
    /// The rubric scores of one case's minutes (one answer, at temperature
    /// 0) and which item states each expected fact, asked at once.
    fn case(&mut self, case: &Case, minutes: &Minutes) -> Result<(JudgeMeans, KindLinks)> {
        let client = &mut self.client;
        let (score_caller, match_caller) = (
            client.caller(scoring::MAX_OUTPUT_TOKENS, 0.0),
            client.caller(matcher::MAX_OUTPUT_TOKENS, 0.0),
        );
        let scorer = Scorer {
            caller: &score_caller,
            rubric: &self.rubric,
            label: client.label.clone(),
            samples: 1,
            redact: client.redact.as_deref(),
        };
        let matcher = Matcher {
            caller: &match_caller,
            prompt: &self.matching,
            label: client.label.clone(),
            redact: client.redact.as_deref(),
        };
        let name = case.transcript_path.display().to_string();
        let text = case.transcript.to_txt();
        let answer = client.block_on(futures::future::try_join(
            scorer.score(&name, &text, minutes),
            matcher.links(&name, minutes, &case.facts),
        ));
        let ((samples, _), (links, _)) = client.outcome(answer, "judging")?;
        let scores = JudgeScores::new(
            client.endpoint.model.clone(),
            client.endpoint.base_url.clone(),
            &samples,
        );
        Ok((JudgeMeans::of(&scores), links))
    }
}

/// How the model was reached, for the history.
fn llm_id(endpoint: &Endpoint) -> LlmId {
    let kind = match (endpoint.local.is_some(), endpoint.is_openai()) {
        (true, _) => "local",
        (false, true) => "openai",
        (false, false) => "url",
    };
    LlmId {
        kind: kind.to_string(),
        url: endpoint.base_url.clone(),
    }
}

/// The pipeline's progress: warnings on stderr, the rest in the log.
fn events(case: &str, printer: &Printer) -> impl Fn(Event) + Send + Sync + use<> {
    let (case, printer) = (case.to_string(), printer.clone());
    move |event| match event {
        Event::Warning(w) => printer.warn(format!("{case}: {w}")),
        other => tracing::info!("{case}: {other:?}"),
    }
}

/// One fault is the error itself; several are each printed, then summed up.
fn faults(errors: Vec<Error>, printer: &Printer) -> Error {
    let n = errors.len();
    super::summed(errors, printer, || {
        format!("{n} faults in the suite's cases")
    })
}

/// An error of the pipeline, saying which case, prompt set and model.
fn context(e: Error, doing: &str) -> Error {
    let wrapped = Error::new(e.kind(), format!("{doing}: {}", e.message()));
    match e.hint() {
        Some(h) => wrapped.with_hint(h),
        None => wrapped,
    }
}
