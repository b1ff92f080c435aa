//! Pairwise comparison of two minutes by an LLM judge (`minutes eval
//! compare`): which of two ways of making minutes (model, prompt, settings)
//! gives the better minutes of the same meetings.
//!
//! LLM judges prefer whatever they are shown first (or second), so each
//! pair is judged twice, A first and then B first. A side wins a pair only
//! when both orders pick it; any disagreement, or a tie in either order, is
//! a tie. A judge that always answers "first" thus declares every pair a
//! tie, and how often the two orders disagree is reported on its own: it
//! measures the judge's position bias, not the minutes.
//!
//! Over all pairs, A's win rate counts a tie as half a win, and a 95 %
//! Wilson score interval says how far that rate can be trusted with so few
//! pairs (it stays inside 0–1 and is sensible at 0 or n wins, unlike the
//! normal approximation).

pub mod judge;
pub mod pairs;
pub mod report;
pub mod rubric;

use serde::{Deserialize, Serialize};

/// What the judge said of one order: which of the two minutes shown is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    First,
    Second,
    Tie,
}

impl<'de> Deserialize<'de> for Verdict {
    /// `first`, `second` or `tie`, in any case: a model writing `First` has
    /// still answered.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim().to_ascii_lowercase().as_str() {
            "first" => Ok(Verdict::First),
            "second" => Ok(Verdict::Second),
            "tie" => Ok(Verdict::Tie),
            _ => Err(serde::de::Error::custom(format!(
                "better must be first, second or tie, not {text:?}"
            ))),
        }
    }
}

/// The judge's answer to one order: its reasoning, written before the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    pub reasoning: String,
    pub better: Verdict,
}

/// Which minutes of a pair: A's, B's, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    A,
    B,
    Tie,
}

impl Side {
    /// The side a verdict picks, given which side was shown first.
    pub fn picked(verdict: Verdict, first: Side) -> Side {
        let second = match first {
            Side::A => Side::B,
            _ => Side::A,
        };
        match verdict {
            Verdict::First => first,
            Verdict::Second => second,
            Verdict::Tie => Side::Tie,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
            Side::Tie => "tie",
        }
    }
}

/// The result of a pair from its two verdicts (A shown first, then B shown
/// first): a side wins only when both orders pick it.
pub fn outcome(a_first: Verdict, b_first: Verdict) -> Side {
    match (
        Side::picked(a_first, Side::A),
        Side::picked(b_first, Side::B),
    ) {
        (Side::A, Side::A) => Side::A,
        (Side::B, Side::B) => Side::B,
        _ => Side::Tie,
    }
}

/// Whether the two orders picked different sides: the judge contradicted
/// itself when the minutes swapped places (a tie in one order and a side in
/// the other counts too).
pub fn inconsistent(a_first: Verdict, b_first: Verdict) -> bool {
    Side::picked(a_first, Side::A) != Side::picked(b_first, Side::B)
}

/// Wins, ties and losses of A over all pairs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Totals {
    pub pairs: usize,
    pub a_wins: usize,
    pub ties: usize,
    pub b_wins: usize,
    /// Pairs whose two orders picked different sides.
    pub inconsistent: usize,
    /// (wins + ties / 2) / pairs; `None` without pairs.
    pub win_rate: Option<f64>,
    /// The 95 % Wilson score interval of the win rate.
    pub interval: Option<[f64; 2]>,
}

impl Totals {
    /// The totals of pairs given as their two verdicts (A first, B first).
    pub fn of(verdicts: &[(Verdict, Verdict)]) -> Totals {
        let mut t = Totals {
            pairs: verdicts.len(),
            a_wins: 0,
            ties: 0,
            b_wins: 0,
            inconsistent: 0,
            win_rate: None,
            interval: None,
        };
        for &(a_first, b_first) in verdicts {
            match outcome(a_first, b_first) {
                Side::A => t.a_wins += 1,
                Side::B => t.b_wins += 1,
                Side::Tie => t.ties += 1,
            }
            t.inconsistent += usize::from(inconsistent(a_first, b_first));
        }
        let wins = t.a_wins as f64 + t.ties as f64 / 2.0;
        t.win_rate = (t.pairs > 0).then(|| wins / t.pairs as f64);
        t.interval = wilson(wins, t.pairs, Z95);
        t
    }
}

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `successes` out of `n` (ties counted as
/// half a success may make `successes` fractional); `None` for `n = 0`.
pub fn wilson(successes: f64, n: usize, z: f64) -> Option<[f64; 2]> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = successes / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some([(centre - half).max(0.0), (centre + half).min(1.0)])
}

#[cfg(test)]
mod tests {
    use super::Verdict::{First, Second, Tie};
    use super::*;

    #[test]
    fn wilson_interval_matches_a_hand_computed_one() {
        // 8 of 10: p = 0.8, z² / n = 0.384146, centre 0.716747, half 0.226583.
        let [lo, hi] = wilson(8.0, 10, Z95).unwrap();
        assert!((lo - 0.4902).abs() < 5e-5, "{lo}");
        assert!((hi - 0.9433).abs() < 5e-5, "{hi}");
        // All and nothing stay inside 0–1 and away from the bound at the other end.
        let [lo, hi] = wilson(5.0, 5, Z95).unwrap();
        assert!(
            (hi - 1.0).abs() < 1e-12 && (lo - 0.5655).abs() < 5e-5,
            "{lo}"
        );
        let [lo, hi] = wilson(0.0, 5, Z95).unwrap();
        assert!(lo.abs() < 1e-12 && (hi - 0.4345).abs() < 5e-5, "{hi}");
        assert_eq!(wilson(0.0, 0, Z95), None);
    }

    #[test]
    fn a_side_wins_only_when_both_orders_agree() {
        assert_eq!(outcome(First, Second), Side::A);
        assert_eq!(outcome(Second, First), Side::B);
        // Position bias: whatever is shown first (or second) wins each time.
        assert_eq!(outcome(First, First), Side::Tie);
        assert_eq!(outcome(Second, Second), Side::Tie);
        assert_eq!(outcome(First, Tie), Side::Tie);
        assert_eq!(outcome(Tie, First), Side::Tie);
        assert_eq!(outcome(Tie, Tie), Side::Tie);
        assert!(!inconsistent(First, Second));
        assert!(!inconsistent(Second, First));
        assert!(!inconsistent(Tie, Tie));
        assert!(inconsistent(First, First));
        assert!(inconsistent(Second, Second));
        assert!(inconsistent(Tie, Second));
    }

    #[test]
    fn totals_count_ties_as_half_a_win() {
        let t = Totals::of(&[(First, Second), (First, First), (Second, First), (Tie, Tie)]);
        assert_eq!(
            (t.pairs, t.a_wins, t.ties, t.b_wins, t.inconsistent),
            (4, 1, 2, 1, 1)
        );
        assert_eq!(t.win_rate, Some(0.5));
        let [lo, hi] = t.interval.unwrap();
        assert!(
            (lo + hi - 1.0).abs() < 1e-12 && lo > 0.1 && lo < 0.2,
            "{lo}"
        );
        let biased = Totals::of(&[(First, First); 3]);
        assert_eq!((biased.ties, biased.inconsistent), (3, 3));
        assert_eq!(Totals::of(&[]).win_rate, None);
    }

    #[test]
    fn verdicts_are_read_in_any_case() {
        let j: Judgement =
            serde_json::from_str(r#"{"reasoning": "r", "better": " First"}"#).unwrap();
        assert_eq!(j.better, First);
        assert!(serde_json::from_str::<Judgement>(r#"{"reasoning": "r", "better": "A"}"#).is_err());
        assert_eq!(serde_json::to_string(&Second).unwrap(), "\"second\"");
    }
}
