//! Regression suites (`minutes eval suite`): a folder of cases, each a
//! transcript with the facts its minutes must state, summarised with every
//! prompt set and model asked for and scored as `eval minutes` scores
//! (evidence precision, recall per kind, owners and dues, and a judge's
//! rubric scores when asked), so that a prompt change is judged on the same
//! meetings as its predecessors, by numbers kept in a history ([`history`]).
//!
//! Cases are transcripts, not recordings: a suite measures prompts and
//! models, and a transcript made once keeps whisper's variance (and its
//! minutes of CPU per run) out of the numbers. A recording is transcribed
//! once with `transcribe -f json`.
//!
//! One run of the suite for a prompt set and a model is a row: the mean
//! of each case's rates (a case without items, or without expected facts
//! of a kind, left out of that mean, as a rate over nothing is no rate) and
//! the counts pooled over the cases, from which the pooled rates follow.

pub mod history;
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::facts::{self, Facts};
use super::minutes::judge::{JudgeScores, PerCriterion};
use super::minutes::{FactScores, KindRecall, Precision, Recall, Tally};
use crate::batch::discover::{MEDIA, TRANSCRIPTS};
use crate::error::{Error, ErrorKind};
use crate::transcript::Transcript;

/// The ending of an expected-facts file: `NAME.facts.yaml` beside `NAME.json`.
pub const FACTS_SUFFIX: &str = ".facts.yaml";

/// One meeting of a suite, read.
#[derive(Debug, Clone)]
pub struct Case {
    /// The file stem shared by the transcript and the facts.
    pub name: String,
    pub transcript_path: PathBuf,
    pub transcript: Transcript,
    pub facts: Facts,
}

/// The files of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFiles {
    pub name: String,
    pub transcript: PathBuf,
    pub facts: PathBuf,
}

/// What a folder holds under one stem.
#[derive(Default)]
struct Stem {
    transcripts: Vec<PathBuf>,
    facts: Option<PathBuf>,
    recording: Option<PathBuf>,
}

/// The cases of `dir`, by name; every fault found (a transcript without
/// facts, facts without a transcript, two transcripts of one case), or one
/// error when the folder is missing or holds no case at all. Other files
/// are not looked at, nor are subfolders.
pub fn find(dir: &Path) -> std::result::Result<Vec<CaseFiles>, Vec<Error>> {
    if dir.is_file() {
        return Err(vec![Error::file(
            ErrorKind::BadInput,
            dir,
            "not a directory of cases",
        )]);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| vec![Error::read(dir, &e)])?;
    let mut stems: BTreeMap<String, Stem> = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(|e| vec![Error::read(dir, &e)])?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        if let Some(stem) = name.strip_suffix(FACTS_SUFFIX) {
            stems.entry(stem.to_string()).or_default().facts = Some(path);
            continue;
        }
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
            continue;
        };
        let (stem, ext) = (
            stem.to_string_lossy().into_owned(),
            ext.to_string_lossy().to_lowercase(),
        );
        if TRANSCRIPTS.contains(&ext.as_str()) {
            stems.entry(stem).or_default().transcripts.push(path);
        } else if MEDIA.contains(&ext.as_str()) {
            stems.entry(stem).or_default().recording = Some(path);
        }
    }
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for (name, mut stem) in stems {
        stem.transcripts.sort();
        match (stem.transcripts.as_slice(), stem.facts) {
            ([], None) => {}
            ([transcript], Some(facts)) => cases.push(CaseFiles {
                name,
                transcript: transcript.clone(),
                facts,
            }),
            ([], Some(facts)) => errors.push(no_transcript(&name, &facts, stem.recording)),
            ([transcript], None) => errors.push(
                Error::file(
                    ErrorKind::BadInput,
                    transcript,
                    format!("no expected facts beside it ({name}{FACTS_SUFFIX})"),
                )
                .with_hint(
                    "write the facts its minutes must state (see `eval minutes --expected`)",
                ),
            ),
            ([first, second, ..], _) => errors.push(Error::file(
                ErrorKind::BadInput,
                first,
                format!(
                    "case {name} has two transcripts (also {}); keep one",
                    second.display()
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if cases.is_empty() {
        return Err(vec![
            Error::file(ErrorKind::BadInput, dir, "no cases in this directory").with_hint(
                format!(
                    "a case is a transcript (NAME.json, .txt, .srt or .vtt) with NAME{FACTS_SUFFIX} beside it"
                ),
            ),
        ]);
    }
    Ok(cases)
}

fn no_transcript(name: &str, facts: &Path, recording: Option<PathBuf>) -> Error {
    let e = Error::file(
        ErrorKind::BadInput,
        facts,
        format!("no transcript of case {name} beside it ({name}.json, .txt, .srt or .vtt)"),
    );
    match recording {
        Some(r) => e.with_hint(format!(
            "cases are transcripts; transcribe the recording once: minutes transcribe -f json -o {name}.json {}",
            r.display()
        )),
        None => e,
    }
}

/// Reads every case's transcript and facts; every file that cannot be
/// used is reported.
pub fn read(files: &[CaseFiles]) -> std::result::Result<Vec<Case>, Vec<Error>> {
    let mut cases = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for f in files {
        let transcript = super::read::transcript(&f.transcript);
        let facts = facts::read(&f.facts);
        match (transcript, facts) {
            (Ok(transcript), Ok(facts)) => cases.push(Case {
                name: f.name.clone(),
                transcript_path: f.transcript.clone(),
                transcript,
                facts,
            }),
            (t, f) => errors.extend([t.err(), f.err()].into_iter().flatten()),
        }
    }
    match errors.is_empty() {
        true => Ok(cases),
        false => Err(errors),
    }
}

/// The judge's scores of one case's minutes, as the history keeps them:
/// means only (the reasoning is in `eval minutes --judge-llm`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JudgeMeans {
    pub overall: f64,
    pub criteria: PerCriterion<f64>,
}

impl JudgeMeans {
    pub fn of(j: &JudgeScores) -> JudgeMeans {
        JudgeMeans {
            overall: j.overall.mean,
            criteria: j.criteria.map(|c| c.mean),
        }
    }
}

/// The scores of one case's minutes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseScores {
    pub name: String,
    pub precision: Precision,
    pub recall: Recall,
    pub owners: Tally,
    pub dues: Tally,
    /// `None` without a judge.
    pub judge: Option<JudgeMeans>,
    /// Wall time of making (and judging) these minutes.
    pub seconds: f64,
}

impl CaseScores {
    pub fn new(
        name: String,
        precision: Precision,
        facts: FactScores,
        judge: Option<JudgeMeans>,
        seconds: f64,
    ) -> CaseScores {
        CaseScores {
            name,
            precision,
            recall: facts.recall,
            owners: facts.owners,
            dues: facts.dues,
            judge,
            seconds: round_ms(seconds),
        }
    }
}

/// Seconds to the millisecond: finer is noise.
pub fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// One kind's recall over the cases.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct KindTotals {
    pub expected: usize,
    pub matched: usize,
    /// The mean of the cases' recall of this kind (cases expecting none left out).
    pub mean: Option<f64>,
    /// `matched / expected` over all cases.
    pub pooled: Option<f64>,
}

/// A row: the cases of one prompt set and model, taken together.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub cases: usize,
    pub items: usize,
    pub supported: usize,
    /// The mean of the cases' precision (cases without items left out).
    pub precision: Option<f64>,
    /// `supported / items` over all cases.
    pub pooled_precision: Option<f64>,
    pub decisions: KindTotals,
    pub action_items: KindTotals,
    pub open_questions: KindTotals,
    pub owners: Tally,
    pub dues: Tally,
    /// The mean of the judge's overall scores; `None` without a judge.
    pub judge: Option<f64>,
}

impl Totals {
    pub fn of(cases: &[CaseScores]) -> Totals {
        let items = cases.iter().map(|c| c.precision.items).sum();
        let supported = cases.iter().map(|c| c.precision.supported).sum();
        let sum = |f: fn(&CaseScores) -> Tally| {
            cases.iter().map(f).fold(Tally::default(), |a, t| Tally {
                given: a.given + t.given,
                correct: a.correct + t.correct,
            })
        };
        let judged: Vec<f64> = cases
            .iter()
            .filter_map(|c| c.judge.as_ref().map(|j| j.overall))
            .collect();
        Totals {
            cases: cases.len(),
            items,
            supported,
            precision: mean(cases.iter().filter_map(|c| c.precision.precision)),
            pooled_precision: rate(supported, items),
            decisions: kind(cases.iter().map(|c| c.recall.decisions)),
            action_items: kind(cases.iter().map(|c| c.recall.action_items)),
            open_questions: kind(cases.iter().map(|c| c.recall.open_questions)),
            owners: sum(|c| c.owners),
            dues: sum(|c| c.dues),
            judge: (judged.len() == cases.len() && !judged.is_empty())
                .then(|| judged.iter().sum::<f64>() / judged.len() as f64),
        }
    }
}

fn kind(recalls: impl Iterator<Item = KindRecall> + Clone) -> KindTotals {
    let expected = recalls.clone().map(|r| r.expected).sum();
    let matched = recalls.clone().map(|r| r.matched).sum();
    KindTotals {
        expected,
        matched,
        mean: mean(recalls.filter_map(|r| r.recall)),
        pooled: rate(matched, expected),
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn rate(n: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

#[cfg(test)]
mod tests;
