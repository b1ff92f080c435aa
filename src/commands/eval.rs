//! `minutes eval`: measures results against references. `eval transcript`
//! prints the word and character error rates of transcripts; `eval minutes`
//! the evidence precision of minutes and their recall of expected facts,
//! and with `--judge-llm` a judge's rubric scores of them; `eval compare`
//! (in [`compare`]) two minutes of the same meetings by a judge; `eval
//! suite` (in [`suite`]) prompt sets and models over a folder of cases,
//! appending to the history that `eval history` ([`history`]) lists; `eval
//! calibrate` ([`calibrate`]) a judge on shipped cases. All reach their
//! LLMs through [`client`].
//!
//! Every file is read before anything is scored. A bad file (missing,
//! unreadable, of an unknown type, or a reference without words) is
//! reported on its own line, each in its turn; then nothing goes to stdout
//! and the exit code is that of the first failure, so a script never takes
//! a table with a row missing for a complete one.

mod calibrate;
mod client;
mod compare;
mod history;
mod suite;

use crate::cli::EvalFormat;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::compare::rubric::Rubric;
use crate::eval::facts::Facts;
use crate::eval::minutes::judge::{self as scoring, JudgeScores, Scorer};
use crate::eval::minutes::matcher::{self, KindLinks, Matcher};
use crate::eval::minutes::{self, report::Report as MinutesReport};
use crate::eval::report::Report;
use crate::eval::{Reference, Script, facts, read};
use crate::settings::{EvalSettings, MinutesEvalSettings, TranscriptEvalSettings};
use crate::summarize::schema::Minutes;
use crate::transcript::Transcript;
use crate::ui::Printer;

pub fn run(settings: &EvalSettings, printer: &Printer) -> Result<()> {
    match settings {
        EvalSettings::Transcript(s) => transcript(s, printer),
        EvalSettings::Minutes(s) => minutes_eval(s, printer),
        EvalSettings::Compare(s) => compare::run(s, printer),
        EvalSettings::Suite(s) => suite::run(s, printer),
        EvalSettings::History(s) => history::run(s, printer),
        EvalSettings::Calibrate(s) => calibrate::run(s, printer),
    }
}

fn transcript(s: &TranscriptEvalSettings, printer: &Printer) -> Result<()> {
    let mut errors = Vec::new();
    let reference = read::text(&s.reference).and_then(|text| {
        Reference::new(&text, s.normalize, s.script)
            .map_err(|e| Error::file(ErrorKind::BadInput, &s.reference, e))
    });
    let reference = reference.map_err(|e| errors.push(e)).ok();
    let mut hypotheses = Vec::with_capacity(s.hypotheses.len());
    for path in &s.hypotheses {
        match read::text(path) {
            Ok(text) => hypotheses.push((path, text)),
            Err(e) => errors.push(e),
        }
    }
    let Some(reference) = reference.filter(|_| errors.is_empty()) else {
        return Err(unread(errors, 1 + s.hypotheses.len(), printer));
    };
    printer.status(format!(
        "reference {}: {} words, {} characters ({}, normalize {})",
        s.reference.display(),
        reference.words(),
        reference.chars(),
        match reference.script() {
            Script::Cjk => "CJK: spaces not counted",
            Script::Spaced => "spaces counted",
        },
        s.normalize.name(),
    ));
    let mut report = Report::new(s.reference.display().to_string(), &reference);
    for (path, text) in &hypotheses {
        report.push(path.display().to_string(), &reference.score(text));
    }
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

fn minutes_eval(s: &MinutesEvalSettings, printer: &Printer) -> Result<()> {
    let started = std::time::Instant::now();
    let mut errors = Vec::new();
    let transcript = read::transcript(&s.transcript)
        .map_err(|e| errors.push(e))
        .ok();
    let facts = match &s.expected {
        Some(path) => facts::read(path).map(Some).map_err(|e| errors.push(e)).ok(),
        None => Some(None),
    };
    let mut documents = Vec::with_capacity(s.minutes.len());
    for path in &s.minutes {
        match minutes::read::file(path) {
            Ok(m) => documents.push((path, m)),
            Err(e) => errors.push(e),
        }
    }
    let (Some(transcript), Some(facts), true) = (transcript, facts, errors.is_empty()) else {
        return Err(unread(errors, total_files(s), printer));
    };
    printer.status(format!(
        "transcript {}: {} segments",
        s.transcript.display(),
        transcript.segments.len()
    ));
    if let (Some(path), Some(f)) = (&s.expected, &facts) {
        printer.status(format!(
            "expected {}: decisions {}, action items {}, open questions {} ({})",
            path.display(),
            f.decisions.len(),
            f.action_items.len(),
            f.open_questions.len(),
            match s.judge {
                Some(_) => "matched by the judge".to_string(),
                None => format!(
                    "matched at similarity {} or more",
                    crate::eval::matching::MATCH_THRESHOLD
                ),
            },
        ));
    }
    let mut report = MinutesReport::new(
        s.transcript.display().to_string(),
        s.expected.as_ref().map(|p| p.display().to_string()),
        s.judge.is_some(),
    );
    let judged: Vec<Option<Judged>> = match &s.judge {
        Some(j) => judge_all(
            s,
            j,
            &transcript,
            facts.as_ref(),
            &documents,
            &mut report,
            printer,
        )?
        .into_iter()
        .map(Some)
        .collect(),
        None => vec![None; documents.len()],
    };
    for ((path, m), judged) in documents.iter().zip(judged) {
        let precision = minutes::precision(m, &transcript.segments);
        let (scores, links) = judged.map_or((None, None), |j| (Some(j.scores), j.links));
        let recall = facts.as_ref().map(|f| match &links {
            Some(links) => minutes::recall_linked(m, f, links),
            None => minutes::recall(m, f),
        });
        report.push(path.display().to_string(), precision, recall, scores);
    }
    if s.judge.is_some() {
        report.seconds = Some(started.elapsed().as_secs_f64());
    }
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

/// What the judge made of one minutes file.
#[derive(Clone)]
struct Judged {
    scores: JudgeScores,
    /// Which item states each expected fact; `None` without expected facts.
    links: Option<KindLinks>,
}

/// The judge's scores of every minutes file, and with `facts` its matching
/// of them, in the files' order; the rubric and the tokens spent go into
/// `report`. Any file the judge cannot score or match fails the run: a mean
/// over the files that happened to succeed is not the one asked for.
fn judge_all(
    s: &MinutesEvalSettings,
    judge: &crate::settings::LlmSettings,
    transcript: &Transcript,
    facts: Option<&Facts>,
    documents: &[(&std::path::PathBuf, Minutes)],
    report: &mut MinutesReport,
    printer: &Printer,
) -> Result<Vec<Judged>> {
    let rubric = Rubric::load_kind(s.rubric.as_deref(), &scoring::SCORE)?;
    let match_prompt = Rubric::load_kind(None, &matcher::MATCH)?;
    let mut client = client::LlmClient::judge(judge, printer)?;
    let temperature = match s.samples {
        1 => 0.0,
        _ => scoring::SAMPLING_TEMPERATURE,
    };
    let caller = client.caller(scoring::MAX_OUTPUT_TOKENS, temperature);
    let scorer = Scorer {
        caller: &caller,
        rubric: &rubric,
        label: client.label.clone(),
        samples: s.samples,
        redact: client.redact.as_deref(),
    };
    let match_caller = client.caller(matcher::MAX_OUTPUT_TOKENS, 0.0);
    let matcher = Matcher {
        caller: &match_caller,
        prompt: &match_prompt,
        label: client.label.clone(),
        redact: client.redact.as_deref(),
    };
    printer.status(format!(
        "scoring {} file(s), {} sample(s) each{}, with {}{}",
        documents.len(),
        s.samples,
        if facts.is_some() {
            ", and matching their items to the expected facts"
        } else {
            ""
        },
        scorer.label,
        if scorer.redact.is_some() {
            ", personal data replaced"
        } else {
            ""
        }
    ));
    let text = transcript.to_txt();
    let names: Vec<String> = documents
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    let work = documents.iter().zip(&names).map(|((_, m), name)| {
        let (scorer, matcher, text) = (&scorer, &matcher, &text);
        async move {
            let links = async {
                match facts {
                    Some(f) => matcher.links(name, m, f).await.map(Some),
                    None => Ok(None),
                }
            };
            futures::future::try_join(scorer.score(name, text, m), links).await
        }
    });
    let answers = client.block_on(futures::future::try_join_all(work));
    let answers = client.finish(answers)?;
    let mut replaced = std::collections::BTreeMap::<String, usize>::new();
    let judged = answers
        .into_iter()
        .map(|((samples, counts), links)| {
            let more = links.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
            for (kind, n) in counts.into_iter().chain(more) {
                *replaced.entry(kind).or_default() += n;
            }
            let (model, url) = (&client.endpoint.model, &client.endpoint.base_url);
            Judged {
                scores: JudgeScores::new(model.clone(), url.clone(), &samples),
                links: links.map(|(l, _)| l),
            }
        })
        .collect();
    if !replaced.is_empty() {
        let kinds: Vec<String> = replaced.iter().map(|(k, n)| format!("{k} {n}")).collect();
        printer.status(format!(
            "kept personal data off the judge, restored in its reasoning: {}",
            kinds.join(", ")
        ));
    }
    let usage = client.usage();
    printer.status(format!(
        "{} judge calls, {} prompt ({} cached) + {} completion tokens",
        usage.calls, usage.prompt_tokens, usage.cached_prompt_tokens, usage.completion_tokens,
    ));
    report.rubric = Some(rubric.info());
    report.matcher = facts.map(|_| match_prompt.info());
    report.usage = Some(usage);
    Ok(judged)
}

fn total_files(s: &MinutesEvalSettings) -> usize {
    1 + usize::from(s.expected.is_some()) + s.minutes.len()
}

/// One bad file is the error itself; several are each printed, and then
/// summed up, the first one's class deciding the exit code.
fn unread(errors: Vec<Error>, total: usize, printer: &Printer) -> Error {
    let n = errors.len();
    summed(errors, printer, || {
        format!("{n} of {total} files could not be used")
    })
}

/// One error is itself; several are each printed, then summed up by
/// `summary`, the first one's class deciding the exit code.
fn summed(mut errors: Vec<Error>, printer: &Printer, summary: impl FnOnce() -> String) -> Error {
    if errors.len() == 1 {
        return errors.remove(0);
    }
    for e in &errors {
        printer.error(e.message(), e.hint());
    }
    let kind = errors.first().map_or(ErrorKind::Internal, Error::kind);
    Error::new(kind, summary())
}
