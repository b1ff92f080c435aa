//! The reports of `eval suite` and `eval history`: an aligned table for
//! people, one row per prompt set and model (per run of them, for the
//! history), or JSON for scripts whose runs are the very entries the
//! history keeps. Rates are fractions to 4 places; a rate over nothing is
//! `-` in the table and `null` in JSON, never 0 or 1.

use serde::Serialize;

use super::history::Entry;
use super::{KindTotals, Totals};
use crate::eval::matching::MATCH_THRESHOLD;
use crate::eval::report::aligned;
use crate::llm::Usage;

/// The JSON document of one suite run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The suite's folder.
    pub suite: String,
    /// Where the runs were appended; `None` with `--no-history`.
    pub history: Option<String>,
    /// How expected facts were matched: `words`, or `judge` with a judge.
    pub matching: &'static str,
    /// The least similarity at which an item states an expected fact;
    /// `None` when the judge matched.
    pub threshold: Option<f64>,
    /// The cases, by name.
    pub cases: Vec<String>,
    /// One per prompt set and model, in the order run.
    pub runs: Vec<Entry>,
    /// Tokens spent, summariser and judge together.
    pub usage: Usage,
    pub seconds: f64,
}

impl Report {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        json(self)
    }

    /// One line per prompt set and model.
    pub fn to_table(&self) -> String {
        table(&self.runs, &["prompts", "hash", "model"], |r| {
            vec![
                r.prompts.name.clone(),
                r.prompts.hash.clone(),
                r.model.clone(),
            ]
        })
    }
}

/// One line per entry under a header: the `lead` columns (`first` gives
/// their values), the scores, and the judge's mean when any entry has one.
fn table(runs: &[Entry], lead: &[&str], first: impl Fn(&Entry) -> Vec<String>) -> String {
    let judged = runs.iter().any(|r| r.judge.is_some());
    let mut header = lead.to_vec();
    header.extend(SCORES);
    if judged {
        header.push("judge");
    }
    header.extend(COST);
    let mut rows = vec![header.into_iter().map(str::to_string).collect::<Vec<_>>()];
    for r in runs {
        let mut row = first(r);
        row.extend(scores(&r.totals));
        if judged {
            row.push(fraction2(r.totals.judge));
        }
        row.extend([
            r.usage.prompt_tokens.to_string(),
            r.usage.completion_tokens.to_string(),
            format!("{:.0}", r.seconds),
        ]);
        rows.push(row);
    }
    aligned(&rows)
}

/// What a row cost, after its scores: the summariser's prompt and
/// completion tokens and the row's wall time in seconds.
const COST: [&str; 3] = ["prompt", "completion", "seconds"];

/// The columns every row has.
const SCORES: [&str; 9] = [
    "cases",
    "items",
    "supported",
    "precision",
    "decisions",
    "actions",
    "questions",
    "owners",
    "dues",
];

fn scores(t: &Totals) -> Vec<String> {
    vec![
        t.cases.to_string(),
        t.items.to_string(),
        t.supported.to_string(),
        fraction(t.precision),
        recall(&t.decisions),
        recall(&t.action_items),
        recall(&t.open_questions),
        tally(t.owners.correct, t.owners.given),
        tally(t.dues.correct, t.dues.given),
    ]
}

/// The history as listed by `eval history`.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub history: String,
    pub runs: Vec<Entry>,
}

impl Listing {
    pub fn to_json(&self) -> String {
        json(self)
    }

    /// One line per entry, oldest first.
    pub fn to_table(&self) -> String {
        table(
            &self.runs,
            &["date", "suite", "prompts", "hash", "model"],
            |r| {
                let suite = std::path::Path::new(&r.suite)
                    .file_name()
                    .map_or_else(|| r.suite.clone(), |n| n.to_string_lossy().into_owned());
                vec![
                    r.date.clone(),
                    suite,
                    r.prompts.name.clone(),
                    r.prompts.hash.clone(),
                    r.model.clone(),
                ]
            },
        )
    }
}

impl Report {
    /// The report of a run over `cases`, matched by the judge when `judged`.
    pub fn new(suite: String, history: Option<String>, cases: Vec<String>, judged: bool) -> Report {
        Report {
            suite,
            history,
            matching: if judged { "judge" } else { "words" },
            threshold: (!judged).then_some(MATCH_THRESHOLD),
            cases,
            runs: Vec::new(),
            usage: Usage::default(),
            seconds: 0.0,
        }
    }
}

fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn recall(k: &KindTotals) -> String {
    fraction(k.mean)
}

fn fraction(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".into(), |r| format!("{r:.4}"))
}

fn fraction2(score: Option<f64>) -> String {
    score.map_or_else(|| "-".into(), |r| format!("{r:.2}"))
}

fn tally(correct: usize, given: usize) -> String {
    match given {
        0 => "-".into(),
        _ => format!("{correct}/{given}"),
    }
}
