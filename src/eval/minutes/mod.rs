//! Scores of minutes against what they were made from, without an LLM:
//!
//! * **precision** (always): the share of decisions, action items and open
//!   questions whose quoted evidence is found in the transcript, by the
//!   same check `summarize` runs ([`crate::summarize::evidence::check`],
//!   here keeping every item and only marking it). An item without any
//!   quote (every item of a markdown file, which does not carry quotes)
//!   counts as unsupported: what cannot be traced to the recording is not
//!   credited. So precision compares JSON minutes with each other; for
//!   markdown it is 0 by construction.
//! * **recall** (with expected facts, [`super::facts`]): for each kind, the
//!   share of expected items that an item of the same kind states
//!   ([`super::matching`]: lexical similarity, one to one), and of the
//!   action items matched, how many have the expected owner and due date
//!   where the facts give them.
//!
//! Both are numbers a script can compare between two runs of `summarize`
//! (another model, prompt set or chunk size). Whether an item says
//! something true but unexpected, or says it well, needs a reader or a
//! judge LLM: that is a separate score ([`judge`], with `--judge-llm`),
//! added next to these in the report, not mixed into them.

pub mod judge;
pub mod read;
pub mod report;

use serde::{Deserialize, Serialize};

use super::facts::Facts;
use super::matching::{pair, same_due, same_owner};
use crate::summarize::evidence;
use crate::summarize::schema::Minutes;
use crate::transcript::Segment;

/// Items of one kind and how many of them are supported by the transcript.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Support {
    pub items: usize,
    pub supported: usize,
}

/// How many items rest on what was said.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Precision {
    pub items: usize,
    pub supported: usize,
    /// `supported / items`; `None` when the minutes have no items.
    pub precision: Option<f64>,
    pub decisions: Support,
    pub action_items: Support,
    pub open_questions: Support,
}

/// Expected items of one kind and how many the minutes state.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct KindRecall {
    pub expected: usize,
    pub matched: usize,
    /// `matched / expected`; `None` when nothing of this kind is expected.
    pub recall: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Recall {
    pub decisions: KindRecall,
    pub action_items: KindRecall,
    pub open_questions: KindRecall,
}

/// Of the matched action items whose expected owner (or due date) is
/// given, how many have it right.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tally {
    pub given: usize,
    pub correct: usize,
}

/// What became of one expected item.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Match {
    /// `decision`, `action_item` or `open_question`.
    pub kind: &'static str,
    pub expected: String,
    /// The item of the minutes that states it; `None`: none does.
    pub found: Option<String>,
    pub similarity: Option<f64>,
    /// Action items with an expected owner: whether the owner is right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_correct: Option<bool>,
    /// Action items with an expected due date: whether it is right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_correct: Option<bool>,
}

/// The scores against expected facts.
#[derive(Debug, Clone, PartialEq)]
pub struct FactScores {
    pub recall: Recall,
    pub owners: Tally,
    pub dues: Tally,
    /// One per expected item, in the facts' order, decisions first.
    pub matches: Vec<Match>,
}

fn rate(n: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// Checks each item's evidence against `segments` (a copy of the minutes
/// is checked; nothing is dropped) and counts those found.
pub fn precision(minutes: &Minutes, segments: &[Segment]) -> Precision {
    let mut checked = minutes.clone();
    evidence::check(&mut checked, segments, true);
    let decisions = support(checked.decisions.iter().map(|d| d.verified));
    let action_items = support(checked.action_items.iter().map(|a| a.verified));
    let open_questions = support(checked.open_questions.iter().map(|q| q.verified));
    let items = decisions.items + action_items.items + open_questions.items;
    let supported = decisions.supported + action_items.supported + open_questions.supported;
    Precision {
        items,
        supported,
        precision: rate(supported, items),
        decisions,
        action_items,
        open_questions,
    }
}

/// Items, and those the check found their evidence for.
fn support(verified: impl Iterator<Item = Option<bool>>) -> Support {
    verified.fold(Support::default(), |s, v| Support {
        items: s.items + 1,
        supported: s.supported + usize::from(v == Some(true)),
    })
}

/// Which expected facts the minutes state, kind by kind.
pub fn recall(minutes: &Minutes, facts: &Facts) -> FactScores {
    let mut matches = Vec::with_capacity(facts.len());
    let decisions = kind(
        "decision",
        &facts
            .decisions
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &minutes
            .decisions
            .iter()
            .map(|d| d.decision.as_str())
            .collect::<Vec<_>>(),
        facts,
        &mut matches,
    );
    let first_action = matches.len();
    let action_items = kind(
        "action_item",
        &facts
            .action_items
            .iter()
            .map(|a| a.task.as_str())
            .collect::<Vec<_>>(),
        &minutes
            .action_items
            .iter()
            .map(|a| a.task.as_str())
            .collect::<Vec<_>>(),
        facts,
        &mut matches,
    );
    let (mut owners, mut dues) = (Tally::default(), Tally::default());
    for (m, expected) in matches[first_action..].iter_mut().zip(&facts.action_items) {
        let Some(found) = m.found_index.and_then(|i| minutes.action_items.get(i)) else {
            continue;
        };
        if let Some(owner) = &expected.owner {
            let ok = found.owner.as_deref().is_some_and(|o| same_owner(owner, o));
            m.owner_correct = Some(ok);
            owners.given += 1;
            owners.correct += usize::from(ok);
        }
        if let Some(due) = &expected.due {
            let ok = found.due.as_deref().is_some_and(|d| same_due(due, d));
            m.due_correct = Some(ok);
            dues.given += 1;
            dues.correct += usize::from(ok);
        }
    }
    let open_questions = kind(
        "open_question",
        &facts
            .open_questions
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &minutes
            .open_questions
            .iter()
            .map(|q| q.question.as_str())
            .collect::<Vec<_>>(),
        facts,
        &mut matches,
    );
    FactScores {
        recall: Recall {
            decisions,
            action_items,
            open_questions,
        },
        owners,
        dues,
        matches: matches.into_iter().map(|m| m.into_match()).collect(),
    }
}

/// A [`Match`] that still knows which produced item it is.
struct Pending {
    kind: &'static str,
    expected: String,
    found_index: Option<usize>,
    found: Option<String>,
    similarity: Option<f64>,
    owner_correct: Option<bool>,
    due_correct: Option<bool>,
}

impl Pending {
    fn into_match(self) -> Match {
        Match {
            kind: self.kind,
            expected: self.expected,
            found: self.found,
            similarity: self.similarity,
            owner_correct: self.owner_correct,
            due_correct: self.due_correct,
        }
    }
}

/// Pairs one kind's expected and produced items; one [`Pending`] per
/// expected item goes to `out`.
fn kind(
    name: &'static str,
    expected: &[&str],
    found: &[&str],
    facts: &Facts,
    out: &mut Vec<Pending>,
) -> KindRecall {
    let pairs = pair(expected, found, facts.script);
    for (i, text) in expected.iter().enumerate() {
        let p = pairs.iter().find(|p| p.expected == i);
        out.push(Pending {
            kind: name,
            expected: text.to_string(),
            found_index: p.map(|p| p.found),
            found: p.map(|p| found[p.found].to_string()),
            similarity: p.map(|p| p.similarity),
            owner_correct: None,
            due_correct: None,
        });
    }
    KindRecall {
        expected: expected.len(),
        matched: pairs.len(),
        recall: rate(pairs.len(), expected.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::facts::ExpectedAction;
    use crate::summarize::schema::{ActionItem, Decision, Evidence, Question};

    fn seg(start: f64, text: &str) -> Segment {
        Segment {
            start,
            end: start + 5.0,
            text: text.into(),
            speaker: None,
        }
    }

    fn quoted(quote: &str) -> Vec<Evidence> {
        vec![Evidence {
            quote: quote.into(),
            ..Evidence::default()
        }]
    }

    fn minutes() -> Minutes {
        Minutes {
            decisions: vec![Decision {
                decision: "Version 2.4 ships on March 14".into(),
                evidence: quoted("we ship version 2.4 on March 14"),
                ..Decision::default()
            }],
            action_items: vec![
                ActionItem {
                    task: "Update the changelog".into(),
                    owner: Some("Jin Park".into()),
                    due: Some("Friday".into()),
                    evidence: quoted("Jin will update the changelog"),
                    ..ActionItem::default()
                },
                ActionItem {
                    task: "Order the cake".into(),
                    evidence: quoted("somebody orders a cake"),
                    ..ActionItem::default()
                },
            ],
            open_questions: vec![Question::from("Is legal sign-off still needed?")],
            ..Minutes::default()
        }
    }

    #[test]
    fn precision_counts_items_whose_quotes_are_found() {
        let segments = [
            seg(0.0, "So we ship version 2.4 on March 14."),
            seg(5.0, "Jin will update the changelog by Wednesday."),
        ];
        let p = precision(&minutes(), &segments);
        // The cake was never mentioned; the question has no quote at all.
        assert_eq!((p.items, p.supported), (4, 2));
        assert_eq!(p.precision, Some(0.5));
        assert_eq!(
            p.decisions,
            Support {
                items: 1,
                supported: 1
            }
        );
        assert_eq!(
            p.action_items,
            Support {
                items: 2,
                supported: 1
            }
        );
        assert_eq!(
            p.open_questions,
            Support {
                items: 1,
                supported: 0
            }
        );
        assert_eq!(precision(&Minutes::default(), &segments).precision, None);
    }

    #[test]
    fn recall_pairs_each_kind_and_checks_owners_and_dues() {
        let facts = Facts {
            decisions: vec!["Version 2.4 is released on March 14".into()],
            action_items: vec![
                ExpectedAction {
                    task: "Update the changelog".into(),
                    owner: Some("Jin".into()),
                    due: Some("Wednesday".into()),
                },
                ExpectedAction {
                    task: "Book a room for the retro".into(),
                    owner: Some("Mina".into()),
                    due: None,
                },
            ],
            ..Facts::default()
        };
        let s = recall(&minutes(), &facts);
        assert_eq!(s.recall.decisions.matched, 1);
        assert_eq!(s.recall.decisions.recall, Some(1.0));
        assert_eq!(
            (
                s.recall.action_items.expected,
                s.recall.action_items.matched
            ),
            (2, 1)
        );
        assert_eq!(s.recall.action_items.recall, Some(0.5));
        // Nothing expected: no rate, though the minutes have a question.
        assert_eq!(s.recall.open_questions.recall, None);
        // Jin is Jin Park; Friday is not Wednesday; Mina's item is missing,
        // so her owner is not counted.
        assert_eq!(
            s.owners,
            Tally {
                given: 1,
                correct: 1
            }
        );
        assert_eq!(
            s.dues,
            Tally {
                given: 1,
                correct: 0
            }
        );
        assert_eq!(s.matches.len(), 3);
        let m = &s.matches[1];
        assert_eq!(m.kind, "action_item");
        assert_eq!(m.found.as_deref(), Some("Update the changelog"));
        assert_eq!(
            (m.similarity, m.owner_correct, m.due_correct),
            (Some(1.0), Some(true), Some(false))
        );
        // {version, 24, is, released, on, march, 14} against {version, 24,
        // ships, on, march, 14}: 5 shared → 10/13.
        assert_eq!(s.matches[0].similarity, Some(10.0 / 13.0));
        assert_eq!(
            (s.matches[2].found.as_deref(), s.matches[2].similarity),
            (None, None)
        );
    }
}
