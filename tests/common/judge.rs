//! The fake LLM as a judge: the verdicts of `eval compare` (schema
//! `judgement`) and the rubric scores of `eval minutes` (schema `scores`).

use serde_json::json;

use super::{Faults, between};

/// A judge's way of answering, from the minutes shown `<first>` and `<second>`.
#[derive(Debug, Clone)]
pub enum Judge {
    /// Picks the minutes that contain this text, in whichever place they
    /// are shown: consistent across orders.
    Prefers(String),
    /// Always "first": pure position bias.
    AlwaysFirst,
    /// Knows the truth: picks the minutes that contain every text of `has`
    /// and none of `lacks`; a tie when both or neither do.
    Knows {
        has: Vec<String>,
        lacks: Vec<String>,
    },
}

/// The criteria of the scoring rubric, in its order.
pub const CRITERIA: [&str; 5] = [
    "faithfulness",
    "coverage",
    "owners_and_dates",
    "concision",
    "language",
];

/// A verdict on the two minutes of a comparison.
pub fn verdict(f: &Faults, user: &str) -> String {
    let first = between(user, "<first>", "</first>");
    let second = between(user, "<second>", "</second>");
    let better = match &f.judge {
        Some(Judge::AlwaysFirst) => "first",
        Some(Judge::Prefers(m)) if first.contains(m.as_str()) => "first",
        Some(Judge::Prefers(m)) if second.contains(m.as_str()) => "second",
        Some(Judge::Knows { has, lacks }) => {
            let right = |text: &str| {
                has.iter().all(|h| text.contains(h.as_str()))
                    && !lacks.iter().any(|l| text.contains(l.as_str()))
            };
            match (right(first), right(second)) {
                (true, false) => "first",
                (false, true) => "second",
                _ => "tie",
            }
        }
        _ => "tie",
    };
    let reasoning = format!("Both were read against the transcript; {better}.");
    json!({"reasoning": reasoning, "better": better}).to_string()
}

/// The `n`-th scoring answer (counting from 0).
pub fn scores(f: &Faults, n: usize) -> String {
    let three = vec![3; CRITERIA.len()];
    let scores = match f.scores.is_empty() {
        true => &three,
        false => &f.scores[n % f.scores.len()],
    };
    let criteria: Vec<_> = CRITERIA
        .iter()
        .zip(scores)
        .map(|(name, score)| json!({"name": name, "reasoning": "ok", "score": score}))
        .collect();
    json!({ "criteria": criteria }).to_string()
}
