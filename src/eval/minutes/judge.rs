//! Rubric scores of minutes by an LLM judge (`eval minutes --judge-llm`):
//! each file is shown with its transcript and scored 1–5 on five criteria.
//!
//! The judge writes its reasoning before each score, so the number follows
//! from what it noticed rather than the other way round. An answer must
//! give each criterion exactly once with a whole score from 1 to 5; one
//! that is valid JSON but breaks this is not a score to average, so it
//! fails the run (broken JSON already had its one repair in [`Caller`]).
//!
//! One answer of a sampling model is noisy, so `--samples N` asks N times
//! (at a temperature above zero: at zero the answers would be copies) and
//! reports each criterion's mean and sample standard deviation. The
//! overall score of a sample is the mean of its five criteria; the overall
//! spread is that of these per-sample means. The minutes are shown as
//! `eval compare` shows them ([`rubric::show`]: content, no quotes or
//! times), with personal data replaced for a judge beyond this machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::eval::compare::rubric::{self, Kind, Rubric};
use crate::llm::{Llm, Schema, Stage};
use crate::redact::Redactor;
use crate::summarize::call::{Caller, OnCutOff};
use crate::summarize::schema::Minutes;

/// The rubric of `eval minutes --judge-llm`.
pub const SCORE: Kind = Kind {
    built_in: include_str!("../../../prompts/judge/score.yaml"),
    placeholders: &["transcript", "minutes"],
};

/// The criteria, in the order they are reported.
pub const CRITERIA: [&str; 5] = [
    "faithfulness",
    "coverage",
    "owners_and_dates",
    "concision",
    "language",
];

/// Output tokens asked for one answer (five short reasonings); doubled
/// once if the answer is cut off.
const MAX_TOKENS: u32 = 1536;
/// The most a cut-off answer may ask for.
pub const MAX_OUTPUT_TOKENS: u32 = 3072;

/// Sampling temperature when several answers are asked for.
pub const SAMPLING_TEMPERATURE: f32 = 0.7;

/// The schema of an answer: five criteria, each named once (the enum and
/// the item count; uniqueness is checked after), reasoning before score.
pub fn schema() -> Schema {
    Schema {
        name: "scores",
        schema: json!({"type": "object",
            "properties": {
                "criteria": {"type": "array", "minItems": 5, "maxItems": 5,
                    "items": {"type": "object",
                        "properties": {
                            "name": {"type": "string", "enum": CRITERIA},
                            "reasoning": {"type": "string", "maxLength": 600},
                            "score": {"type": "integer", "minimum": 1, "maximum": 5}
                        },
                        "required": ["name", "reasoning", "score"],
                        "additionalProperties": false}}
            },
            "required": ["criteria"], "additionalProperties": false}),
    }
}

/// The judge's answer as it came.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    pub criteria: Vec<Scored>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Scored {
    pub name: String,
    #[serde(default)]
    pub reasoning: String,
    /// Any number, so that a 7 or a 4.5 is reported as such, not as broken JSON.
    pub score: f64,
}

/// One valid answer: a score and reasoning per criterion, in [`CRITERIA`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub scores: [u8; 5],
    pub reasoning: [String; 5],
}

/// Checks an answer against the rubric's rules; `Err` says what is wrong.
pub fn validate(answer: Answer) -> std::result::Result<Sample, String> {
    let mut scores = [0u8; 5];
    let mut reasoning: [String; 5] = Default::default();
    for c in answer.criteria {
        let name = c.name.trim().to_ascii_lowercase();
        let Some(i) = CRITERIA.iter().position(|k| *k == name) else {
            return Err(format!("unknown criterion {:?}", c.name));
        };
        if scores[i] != 0 {
            return Err(format!("criterion {name} is given twice"));
        }
        if c.score.fract() != 0.0 || !(1.0..=5.0).contains(&c.score) {
            return Err(format!(
                "criterion {name} has score {}, not a whole number from 1 to 5",
                c.score
            ));
        }
        scores[i] = c.score as u8;
        reasoning[i] = c.reasoning;
    }
    if let Some(i) = scores.iter().position(|s| *s == 0) {
        return Err(format!("criterion {} is missing", CRITERIA[i]));
    }
    Ok(Sample { scores, reasoning })
}

/// Mean and sample standard deviation (0 for one value).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub spread: f64,
}

impl Stat {
    pub fn of(values: &[f64]) -> Stat {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let spread = match values.len() {
            0 | 1 => 0.0,
            _ => (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
        };
        Stat { mean, spread }
    }
}

/// One criterion over all samples.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CriterionScores {
    pub mean: f64,
    pub spread: f64,
    pub scores: Vec<u8>,
}

/// One value per criterion, in [`CRITERIA`] order (as JSON: an object
/// keyed by criterion name, in that order).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PerCriterion<T> {
    pub faithfulness: T,
    pub coverage: T,
    pub owners_and_dates: T,
    pub concision: T,
    pub language: T,
}

impl<T> PerCriterion<T> {
    /// The value of criterion `i` of [`CRITERIA`] from `f(i)`.
    fn from_fn(mut f: impl FnMut(usize) -> T) -> PerCriterion<T> {
        PerCriterion {
            faithfulness: f(0),
            coverage: f(1),
            owners_and_dates: f(2),
            concision: f(3),
            language: f(4),
        }
    }

    /// Each value through `f`.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> PerCriterion<U> {
        PerCriterion {
            faithfulness: f(&self.faithfulness),
            coverage: f(&self.coverage),
            owners_and_dates: f(&self.owners_and_dates),
            concision: f(&self.concision),
            language: f(&self.language),
        }
    }

    /// The values in [`CRITERIA`] order.
    pub fn values(&self) -> [&T; 5] {
        [
            &self.faithfulness,
            &self.coverage,
            &self.owners_and_dates,
            &self.concision,
            &self.language,
        ]
    }
}

/// The judge's scores of one minutes file, as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JudgeScores {
    pub model: String,
    pub url: String,
    pub samples: usize,
    pub criteria: PerCriterion<CriterionScores>,
    /// Of each sample's mean over the criteria.
    pub overall: Stat,
    /// The first sample's reasoning.
    pub reasoning: PerCriterion<String>,
}

impl JudgeScores {
    /// The summary of `samples` (at least one) from the judge `model` at `url`.
    pub fn new(model: String, url: String, samples: &[Sample]) -> JudgeScores {
        let criteria = PerCriterion::from_fn(|i| {
            let scores: Vec<u8> = samples.iter().map(|s| s.scores[i]).collect();
            let stat = Stat::of(&scores.iter().map(|&s| f64::from(s)).collect::<Vec<_>>());
            CriterionScores {
                mean: stat.mean,
                spread: stat.spread,
                scores,
            }
        });
        let per_sample: Vec<f64> = samples
            .iter()
            .map(|s| s.scores.iter().map(|&v| f64::from(v)).sum::<f64>() / CRITERIA.len() as f64)
            .collect();
        let first = samples.first();
        JudgeScores {
            model,
            url,
            samples: samples.len(),
            criteria,
            overall: Stat::of(&per_sample),
            reasoning: PerCriterion::from_fn(|i| {
                first.map(|s| s.reasoning[i].clone()).unwrap_or_default()
            }),
        }
    }
}

/// A judge of minutes: a model behind the shared caller, a rubric, and how
/// errors name it.
pub struct Scorer<'a, 'c, L: Llm> {
    pub caller: &'a Caller<'c, L>,
    pub rubric: &'a Rubric,
    /// `MODEL at URL`.
    pub label: String,
    pub samples: usize,
    /// The terms to hide besides the patterns, when personal data is
    /// replaced; `None`: it is not.
    pub redact: Option<&'a [String]>,
}

impl<L: Llm> Scorer<'_, '_, L> {
    /// `samples` answers for the minutes of file `name`, asked at once (the
    /// caller's permits bound how many are in flight), and how many values
    /// of each kind were kept off the judge. Reasoning has the real values back.
    pub async fn score(
        &self,
        name: &str,
        transcript: &str,
        minutes: &Minutes,
    ) -> Result<(Vec<Sample>, BTreeMap<String, usize>)> {
        let shown = rubric::show(minutes);
        let mut redactor = self.redact.map(Redactor::new);
        let (transcript, shown) = match redactor.as_mut() {
            Some(r) => (r.redact(transcript), r.redact(&shown)),
            None => (transcript.to_string(), shown),
        };
        let messages = self
            .rubric
            .fill(&[("transcript", &transcript), ("minutes", &shown)]);
        let samples = futures::future::try_join_all(
            (1..=self.samples).map(|n| self.once(name, n, messages.clone())),
        )
        .await?;
        let samples = samples
            .into_iter()
            .map(|mut s| {
                if let Some(r) = &redactor {
                    s.reasoning = s.reasoning.map(|t| r.restore(&t));
                }
                s
            })
            .collect();
        let counts = redactor.as_ref().map(Redactor::counts).unwrap_or_default();
        Ok((samples, counts))
    }

    async fn once(
        &self,
        name: &str,
        n: usize,
        messages: crate::summarize::prompts::Messages,
    ) -> Result<Sample> {
        let which = format!("{name} (sample {n} of {})", self.samples);
        let unusable = |why: String| {
            Error::new(
                ErrorKind::Unavailable,
                format!(
                    "the judge {} gave no usable scores of {which}: {why}",
                    self.label
                ),
            )
            .with_hint("try another judge model, or a rubric that asks more plainly for the JSON")
        };
        match self
            .caller
            .json::<Answer>(
                Stage::Judge,
                messages,
                schema(),
                MAX_TOKENS,
                OnCutOff::AskLonger,
            )
            .await
        {
            Ok(Ok(answer)) => validate(answer).map_err(unusable),
            Ok(Err(failure)) => Err(unusable(failure.to_string())),
            Err(e) => {
                let wrapped = Error::new(
                    e.kind(),
                    format!("scoring {which} with {}: {}", self.label, e.message()),
                );
                Err(match e.hint() {
                    Some(h) => wrapped.with_hint(h),
                    None => wrapped,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(scores: &[(&str, f64)]) -> Answer {
        Answer {
            criteria: scores
                .iter()
                .map(|(name, score)| Scored {
                    name: name.to_string(),
                    reasoning: format!("why {name}"),
                    score: *score,
                })
                .collect(),
        }
    }

    fn all(scores: [f64; 5]) -> Answer {
        answer(&CRITERIA.iter().copied().zip(scores).collect::<Vec<_>>())
    }

    #[test]
    fn answers_must_give_each_criterion_once_within_1_to_5() {
        // Any order, any case: put back in the rubric's order.
        let mut a = all([5.0, 4.0, 3.0, 2.0, 1.0]);
        a.criteria.reverse();
        a.criteria[0].name = "Language".into();
        let s = validate(a).unwrap();
        assert_eq!(s.scores, [5, 4, 3, 2, 1]);
        assert_eq!(s.reasoning[2], "why owners_and_dates");
        let e = validate(all([5.0, 7.0, 3.0, 2.0, 1.0])).unwrap_err();
        assert!(e.contains("coverage has score 7"), "{e}");
        assert!(validate(all([5.0, 0.0, 3.0, 2.0, 1.0])).is_err());
        assert!(validate(all([5.0, 4.5, 3.0, 2.0, 1.0])).is_err());
        let mut missing = all([5.0; 5]);
        missing.criteria.remove(3);
        assert_eq!(
            validate(missing).unwrap_err(),
            "criterion concision is missing"
        );
        let mut twice = all([5.0; 5]);
        twice.criteria[4].name = "faithfulness".into();
        assert!(validate(twice).unwrap_err().contains("twice"));
        let mut unknown = all([5.0; 5]);
        unknown.criteria[0].name = "style".into();
        assert!(validate(unknown).unwrap_err().contains("unknown"));
    }

    #[test]
    fn means_and_sample_spreads() {
        let sample = |scores: [u8; 5]| Sample {
            scores,
            reasoning: Default::default(),
        };
        let one = JudgeScores::new("m".into(), "u".into(), &[sample([5, 4, 3, 2, 1])]);
        assert_eq!(one.criteria.faithfulness.mean, 5.0);
        assert_eq!(one.criteria.faithfulness.spread, 0.0);
        assert_eq!(
            one.overall,
            Stat {
                mean: 3.0,
                spread: 0.0
            }
        );
        let three = JudgeScores::new(
            "m".into(),
            "u".into(),
            &[
                sample([5, 5, 5, 5, 5]),
                sample([3, 5, 5, 5, 5]),
                sample([4, 5, 5, 5, 5]),
            ],
        );
        let f = &three.criteria.faithfulness;
        assert_eq!(
            (f.mean, f.spread, f.scores.clone()),
            (4.0, 1.0, vec![5, 3, 4])
        );
        assert_eq!(three.criteria.coverage.spread, 0.0);
        // Per sample: 5.0, 4.6, 4.8 → mean 4.8, sample deviation 0.2.
        assert!((three.overall.mean - 4.8).abs() < 1e-12);
        assert!((three.overall.spread - 0.2).abs() < 1e-12);
        let v = serde_json::to_value(&three).unwrap();
        let keys: Vec<&String> = v["criteria"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 5);
        assert_eq!(
            v["criteria"]["owners_and_dates"]["scores"],
            serde_json::json!([5, 5, 5])
        );
    }

    #[test]
    fn the_built_in_rubric_shows_transcript_and_minutes() {
        let r = Rubric::load_kind(None, &SCORE).unwrap();
        let m = r.fill(&[("transcript", "T said\n"), ("minutes", "MIN")]);
        assert!(m.user.contains("<minutes>\nMIN\n</minutes>"), "{}", m.user);
        assert!(m.user.contains("T said"));
        let names = &schema().schema["properties"]["criteria"]["items"]["properties"];
        let order: Vec<&String> = names.as_object().unwrap().keys().collect();
        assert_eq!(order, ["name", "reasoning", "score"]);
    }
}
