//! The report of `minutes eval minutes`: an aligned table for people, one
//! row per minutes file, or one JSON document with every count and each
//! expected item's match for scripts. Rates are fractions; a rate over
//! nothing (no items, nothing of a kind expected) is `null` in JSON and `-`
//! in the table, never 0 or 1.
//!
//! With a judge (`--judge-llm`) each row also has the rubric scores: the
//! overall mean ± spread and each criterion's mean in the table, every
//! sample's scores and the first sample's reasoning in JSON, and the
//! document says which rubric was used, what it cost and how long it took.
//! Without one, a row's `judge` is `null` and those top-level fields are absent.

use serde::Serialize;

use super::judge::{CRITERIA, JudgeScores};
use super::{FactScores, Match, Precision, Recall, Tally};
use crate::eval::compare::report::RubricInfo;
use crate::eval::matching::MATCH_THRESHOLD;
use crate::eval::report::aligned;
use crate::llm::Usage;

/// One JSON document for a transcript, its facts and the minutes scored.
#[derive(Debug, Serialize)]
pub struct Report {
    pub transcript: String,
    /// The expected-facts file; `None` without `--expected`.
    pub expected: Option<String>,
    /// How expected facts were matched: `words` or `judge`.
    pub matching: &'static str,
    /// The least similarity at which an item states an expected fact;
    /// `None` when the judge matched.
    pub threshold: Option<f64>,
    /// The judge's rubric; only with a judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubric: Option<RubricInfo>,
    /// The prompt by which the judge matched expected facts; only with a
    /// judge and expected facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<RubricInfo>,
    pub results: Vec<Row>,
    /// Tokens the judge spent; only with a judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Wall time of the evaluation; only with a judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// The scores of one minutes file.
#[derive(Debug, Serialize)]
pub struct Row {
    pub file: String,
    pub precision: Precision,
    pub recall: Option<Recall>,
    pub owners: Option<Tally>,
    pub dues: Option<Tally>,
    pub matches: Vec<Match>,
    /// The judge's rubric scores; `None` without `--judge-llm`.
    pub judge: Option<JudgeScores>,
}

impl Report {
    /// The report of `transcript` against `expected` facts, matched by
    /// the judge when `judged`, else by words.
    pub fn new(transcript: String, expected: Option<String>, judged: bool) -> Report {
        Report {
            transcript,
            expected,
            matching: if judged { "judge" } else { "words" },
            threshold: (!judged).then_some(MATCH_THRESHOLD),
            rubric: None,
            matcher: None,
            results: Vec::new(),
            usage: None,
            seconds: None,
        }
    }

    pub fn push(
        &mut self,
        file: String,
        precision: Precision,
        facts: Option<FactScores>,
        judge: Option<JudgeScores>,
    ) {
        let (recall, owners, dues, matches) = match facts {
            Some(f) => (Some(f.recall), Some(f.owners), Some(f.dues), f.matches),
            None => (None, None, None, Vec::new()),
        };
        self.results.push(Row {
            file,
            precision,
            recall,
            owners,
            dues,
            matches,
            judge,
        });
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// One line per minutes file under a header; rates to 4 places, owners
    /// and dues as `correct/given`. The recall columns only with facts;
    /// the judge's (scores to 2 places) only with a judge.
    pub fn to_table(&self) -> String {
        let facts = self.expected.is_some();
        let judged = self.results.iter().any(|r| r.judge.is_some());
        let mut header = vec!["file", "items", "supported", "precision"];
        if facts {
            header.extend(["decisions", "actions", "questions", "owners", "dues"]);
        }
        if judged {
            header.push("judge");
            header.extend(CRITERIA);
        }
        let mut rows = vec![header.into_iter().map(str::to_string).collect::<Vec<_>>()];
        for r in &self.results {
            let p = &r.precision;
            let mut row = vec![
                r.file.clone(),
                p.items.to_string(),
                p.supported.to_string(),
                fraction(p.precision),
            ];
            if facts {
                let recall = r.recall.as_ref();
                row.extend([
                    fraction(recall.and_then(|c| c.decisions.recall)),
                    fraction(recall.and_then(|c| c.action_items.recall)),
                    fraction(recall.and_then(|c| c.open_questions.recall)),
                    tally(r.owners),
                    tally(r.dues),
                ]);
            }
            if judged {
                match &r.judge {
                    Some(j) => {
                        row.push(format!("{:.2}±{:.2}", j.overall.mean, j.overall.spread));
                        row.extend(j.criteria.values().map(|c| format!("{:.2}", c.mean)));
                    }
                    None => row.extend(std::iter::repeat_n("-".to_string(), 1 + CRITERIA.len())),
                }
            }
            rows.push(row);
        }
        aligned(&rows)
    }
}

fn fraction(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".into(), |r| format!("{r:.4}"))
}

fn tally(t: Option<Tally>) -> String {
    match t {
        Some(t) if t.given > 0 => format!("{}/{}", t.correct, t.given),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::minutes::{KindRecall, Support};

    fn precision(items: usize, supported: usize) -> Precision {
        Precision {
            items,
            supported,
            precision: (items > 0).then(|| supported as f64 / items as f64),
            decisions: Support { items, supported },
            action_items: Support::default(),
            open_questions: Support::default(),
        }
    }

    fn kind(expected: usize, matched: usize) -> KindRecall {
        KindRecall {
            expected,
            matched,
            recall: (expected > 0).then(|| matched as f64 / expected as f64),
        }
    }

    #[test]
    fn empty_denominators_are_dashes_and_nulls() {
        let mut r = Report::new("t.json".into(), Some("facts.yaml".into()), false);
        let facts = FactScores {
            recall: Recall {
                decisions: kind(2, 1),
                action_items: kind(3, 3),
                open_questions: kind(0, 0),
            },
            owners: Tally {
                given: 2,
                correct: 1,
            },
            dues: Tally::default(),
            matches: Vec::new(),
        };
        r.push("a.json".into(), precision(3, 2), Some(facts), None);
        r.push("empty.md".into(), precision(0, 0), None, None);
        assert_eq!(
            r.to_table(),
            "file      items  supported  precision  decisions  actions  questions  owners  dues\n\
             a.json        3          2     0.6667     0.5000   1.0000          -     1/2     -\n\
             empty.md      0          0          -          -        -          -       -     -\n"
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["threshold"], 0.5);
        assert_eq!(v["matching"], "words");
        assert_eq!(
            v["results"][0]["recall"]["open_questions"]["recall"],
            serde_json::Value::Null
        );
        assert_eq!(v["results"][0]["owners"]["correct"], 1);
        assert_eq!(
            v["results"][1]["precision"]["precision"],
            serde_json::Value::Null
        );
        assert_eq!(v["results"][1]["recall"], serde_json::Value::Null);
        assert_eq!(v["results"][1]["judge"], serde_json::Value::Null);
        assert!(v.get("usage").is_none() && v.get("rubric").is_none());
        assert!(v.get("matcher").is_none());
        let plain = Report::new("t.json".into(), None, false);
        assert_eq!(plain.to_table(), "file  items  supported  precision\n");
    }
}
