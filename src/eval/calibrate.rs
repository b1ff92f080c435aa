//! Calibrating a judge (`minutes eval calibrate`): before its verdicts on
//! two prompt sets are believed, a judge should at least tell good minutes
//! from copies of them with one fault planted. The cases ship with the
//! program (`eval/calibration/`, embedded): a transcript of a release
//! meeting, minutes that state it faithfully, and three copies each with
//! one fault that evidence precision cannot see (every quote is still in
//! the transcript): an action item given to the wrong person, a decision
//! dropped, a due date nobody said.
//!
//! Each copy is judged against the good minutes in both orders, as `eval
//! compare` judges a pair ([`super::compare`]); the judge passes a copy
//! only when both orders prefer the good minutes. A judge that picks by
//! position, or cannot see the fault, passes nothing.

use serde::Serialize;

use super::compare::report::{JudgeInfo, RubricInfo};
use super::compare::{Judgement, Side, inconsistent, outcome};
use super::minutes::read;
use crate::error::{Error, Result};
use crate::eval::report::aligned;
use crate::llm::Usage;
use crate::summarize::schema::Minutes;
use crate::transcript::Transcript;

const TRANSCRIPT: &str = include_str!("../../eval/calibration/transcript.json");
const GOOD: &str = include_str!("../../eval/calibration/good.json");

/// The corrupted copies: name, the fault planted, the file.
const CORRUPTED: [(&str, &str, &str); 3] = [
    (
        "wrong-owner",
        "the changelog is given to Mina, not Jin",
        include_str!("../../eval/calibration/wrong-owner.json"),
    ),
    (
        "dropped-decision",
        "the decision to drop Python 3.8 is missing",
        include_str!("../../eval/calibration/dropped-decision.json"),
    ),
    (
        "invented-date",
        "asking legal is due March 7, a date nobody said",
        include_str!("../../eval/calibration/invented-date.json"),
    ),
];

/// The shipped cases, read.
pub struct Calibration {
    pub transcript: Transcript,
    pub good: Minutes,
    pub corrupted: Vec<Corrupted>,
}

/// A copy of the good minutes with one fault planted.
pub struct Corrupted {
    pub name: &'static str,
    pub planted: &'static str,
    pub minutes: Minutes,
}

impl Calibration {
    /// The embedded cases; a fault in them is a bug of this program.
    pub fn shipped() -> Result<Calibration> {
        let bug = |file: &str, why: String| Error::internal(format!("calibration {file}: {why}"));
        let transcript =
            serde_json::from_str(TRANSCRIPT).map_err(|e| bug("transcript.json", e.to_string()))?;
        let good = read::json(GOOD).map_err(|why| bug("good.json", why))?;
        let corrupted = CORRUPTED
            .iter()
            .map(|(name, planted, text)| {
                Ok(Corrupted {
                    name,
                    planted,
                    minutes: read::json(text).map_err(|why| bug(name, why))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Calibration {
            transcript,
            good,
            corrupted,
        })
    }
}

/// Which minutes of a calibration pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    Good,
    Corrupted,
    Tie,
}

impl Which {
    /// The good minutes are side A of the pair, the copy side B.
    fn of(side: Side) -> Which {
        match side {
            Side::A => Which::Good,
            Side::B => Which::Corrupted,
            Side::Tie => Which::Tie,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Which::Good => "good",
            Which::Corrupted => "corrupted",
            Which::Tie => "tie",
        }
    }
}

/// One order of a pair: which was shown first, which the judge preferred.
#[derive(Debug, Serialize)]
pub struct Order {
    pub first: Which,
    pub preferred: Which,
    pub reasoning: String,
}

/// The judge's verdicts on one corrupted copy.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    pub planted: String,
    /// Good shown first, then the copy shown first.
    pub orders: [Order; 2],
    /// Both orders preferred the good minutes.
    pub passed: bool,
    /// The two orders preferred different minutes.
    pub inconsistent: bool,
}

impl Outcome {
    pub fn new(c: &Corrupted, [good_first, copy_first]: [Judgement; 2]) -> Outcome {
        let (a, b) = (good_first.better, copy_first.better);
        let order = |first: Side, j: Judgement| Order {
            first: Which::of(first),
            preferred: Which::of(Side::picked(j.better, first)),
            reasoning: j.reasoning,
        };
        Outcome {
            name: c.name.to_string(),
            planted: c.planted.to_string(),
            passed: outcome(a, b) == Side::A,
            inconsistent: inconsistent(a, b),
            orders: [order(Side::A, good_first), order(Side::B, copy_first)],
        }
    }
}

/// The report of `eval calibrate`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub judge: JudgeInfo,
    pub rubric: RubricInfo,
    pub corruptions: Vec<Outcome>,
    /// Copies on which both orders preferred the good minutes.
    pub passed: usize,
    /// Copies on which the two orders disagreed.
    pub inconsistent: usize,
    pub usage: Usage,
    pub seconds: f64,
}

impl Report {
    pub fn new(
        judge: JudgeInfo,
        rubric: RubricInfo,
        corruptions: Vec<Outcome>,
        usage: Usage,
        seconds: f64,
    ) -> Report {
        Report {
            judge,
            rubric,
            passed: corruptions.iter().filter(|c| c.passed).count(),
            inconsistent: corruptions.iter().filter(|c| c.inconsistent).count(),
            corruptions,
            usage,
            seconds,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// One row per corrupted copy, then a line of totals.
    pub fn to_table(&self) -> String {
        let mut rows = vec![
            [
                "corruption",
                "good shown first",
                "copy shown first",
                "result",
            ]
            .map(str::to_string),
        ];
        for c in &self.corruptions {
            rows.push([
                c.name.clone(),
                c.orders[0].preferred.name().to_string(),
                c.orders[1].preferred.name().to_string(),
                if c.passed { "passed" } else { "failed" }.to_string(),
            ]);
        }
        let mut out = aligned(&rows);
        out.push_str(&format!(
            "the judge preferred the good minutes in both orders on {} of {} corrupted copies; the orders disagreed on {} of {}\n",
            self.passed,
            self.corruptions.len(),
            self.inconsistent,
            self.corruptions.len(),
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::compare::Verdict;

    fn says(better: Verdict) -> Judgement {
        Judgement {
            reasoning: "r".into(),
            better,
        }
    }

    #[test]
    fn the_shipped_copies_differ_from_the_good_minutes_by_one_fault() {
        let c = Calibration::shipped().unwrap();
        assert_eq!(c.transcript.segments.len(), 8);
        let [owner, dropped, date] = [0, 1, 2].map(|i| &c.corrupted[i].minutes);
        assert_eq!(c.good.action_items[0].owner.as_deref(), Some("Jin"));
        assert_eq!(owner.action_items[0].owner.as_deref(), Some("Mina"));
        assert_eq!(owner.decisions, c.good.decisions);
        assert_eq!(dropped.decisions.len() + 1, c.good.decisions.len());
        assert_eq!(dropped.action_items, c.good.action_items);
        assert_eq!(c.good.action_items[2].due, None);
        assert_eq!(date.action_items[2].due.as_deref(), Some("March 7"));
        assert_eq!(date.decisions, c.good.decisions);
    }

    #[test]
    fn a_copy_passes_only_when_both_orders_prefer_the_good_minutes() {
        let c = &Calibration::shipped().unwrap().corrupted[0];
        // Good first: "first"; copy first: "second" — the good one both times.
        let o = Outcome::new(c, [says(Verdict::First), says(Verdict::Second)]);
        assert!(o.passed && !o.inconsistent);
        assert_eq!(o.orders[1].first, Which::Corrupted);
        assert_eq!(o.orders[1].preferred, Which::Good);
        // Always "first": position, not content.
        let o = Outcome::new(c, [says(Verdict::First), says(Verdict::First)]);
        assert!(!o.passed && o.inconsistent);
        assert_eq!(o.orders[1].preferred, Which::Corrupted);
        let o = Outcome::new(c, [says(Verdict::Tie), says(Verdict::Second)]);
        assert!(!o.passed);
    }
}
