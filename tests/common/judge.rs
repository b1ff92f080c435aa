//! The fake LLM as a judge: the verdicts of `eval compare` (schema
//! `judgement`), the rubric scores of `eval minutes` (schema `scores`) and
//! its matching of expected facts (schema `matches`).

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

/// The labelled lines (`E1: text`) between `open` and `close`.
fn labelled<'a>(user: &'a str, open: &str, close: &str) -> Vec<(&'a str, &'a str)> {
    between(user, open, close)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .collect()
}

/// Which item states each expected fact, by `Faults::same`, one to one
/// (unless `match_first`).
pub fn matches(f: &Faults, user: &str) -> String {
    let expected = labelled(user, "<expected>", "</expected>");
    let found = labelled(user, "<minutes>", "</minutes>");
    let same = |e: &str, i: &str| {
        e.eq_ignore_ascii_case(i)
            || f.same
                .iter()
                .any(|(a, b)| e.contains(a.as_str()) && i.contains(b.as_str()))
    };
    let mut taken: Vec<&str> = Vec::new();
    let entries: Vec<_> = expected
        .iter()
        .map(|(e, text)| {
            let item = match f.match_first {
                true => found.first().map(|(id, _)| *id),
                false => found
                    .iter()
                    .find(|(id, t)| !taken.contains(id) && same(text, t))
                    .map(|(id, _)| *id),
            };
            taken.extend(item);
            json!({"expected": e, "reasoning": format!("{text} is {}", item.unwrap_or("nowhere")),
                   "found": item.unwrap_or("none")})
        })
        .collect();
    json!({ "matches": entries }).to_string()
}
