//! Scores of minutes against what they were made from:
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
//!   share of expected items that an item of the same kind states (one to
//!   one: by lexical similarity, [`super::matching`], or by a judge when
//!   one is given, [`matcher`]), and of the action items matched, how many
//!   have the expected owner and due date where the facts give them.
//!
//! Both are numbers a script can compare between two runs of `summarize`
//! (another model, prompt set or chunk size); without a judge they need no
//! LLM and are the same on every machine. Whether an item says
//! something true but unexpected, or says it well, needs a reader or a
//! judge LLM: that is a separate score ([`judge`], with `--judge-llm`),
//! added next to these in the report, not mixed into them.

pub mod judge;
pub mod matcher;
pub mod read;
pub mod report;

use serde::{Deserialize, Serialize};

use super::facts::Facts;
use super::matching::{pair, same_due, same_owner};
use crate::summarize::evidence;
use crate::summarize::schema::Minutes;
use crate::transcript::Segment;
use matcher::{KindLinks, KindTexts, Link};

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
    /// The lexical similarity, when matched by words.
    pub similarity: Option<f64>,
    /// The judge's reasoning, when matched by a judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
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

/// Which expected facts the minutes state, kind by kind, matched by words.
pub fn recall(minutes: &Minutes, facts: &Facts) -> FactScores {
    recall_linked(minutes, facts, &lexical(minutes, facts))
}

/// The lexical matcher's links ([`super::matching`]).
pub fn lexical(minutes: &Minutes, facts: &Facts) -> KindLinks {
    let [decisions, action_items, open_questions] = matcher::texts(minutes, facts).map(|k| {
        let expected: Vec<&str> = k.expected.iter().map(String::as_str).collect();
        let found: Vec<&str> = k.found.iter().map(String::as_str).collect();
        let pairs = pair(&expected, &found, facts.script);
        (0..expected.len())
            .map(|i| {
                pairs.iter().find(|p| p.expected == i).map(|p| Link {
                    found: p.found,
                    similarity: Some(p.similarity),
                    reasoning: None,
                })
            })
            .collect()
    });
    KindLinks {
        decisions,
        action_items,
        open_questions,
    }
}

/// Which expected facts the minutes state, kind by kind, as `links` (by
/// words or by a judge) say; owners and due dates of the action items
/// linked compared by [`same_owner`] and [`same_due`].
pub fn recall_linked(minutes: &Minutes, facts: &Facts, links: &KindLinks) -> FactScores {
    let [decisions, actions, questions] = matcher::texts(minutes, facts);
    let mut matches = Vec::with_capacity(facts.len());
    let decisions = kind("decision", &decisions, &links.decisions, &mut matches);
    let first_action = matches.len();
    let action_items = kind("action_item", &actions, &links.action_items, &mut matches);
    let (mut owners, mut dues) = (Tally::default(), Tally::default());
    let linked = links.action_items.iter();
    for ((m, expected), link) in matches[first_action..]
        .iter_mut()
        .zip(&facts.action_items)
        .zip(linked)
    {
        let Some(found) = link
            .as_ref()
            .and_then(|l| minutes.action_items.get(l.found))
        else {
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
        &questions,
        &links.open_questions,
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
        matches,
    }
}

/// One kind's expected items and what `links` found for them; one
/// [`Match`] per expected item goes to `out`.
fn kind(
    name: &'static str,
    texts: &KindTexts,
    links: &[Option<Link>],
    out: &mut Vec<Match>,
) -> KindRecall {
    let mut matched = 0;
    for (i, text) in texts.expected.iter().enumerate() {
        let link = links.get(i).and_then(Option::as_ref);
        matched += usize::from(link.is_some());
        out.push(Match {
            kind: name,
            expected: text.clone(),
            found: link.and_then(|l| texts.found.get(l.found).cloned()),
            similarity: link.and_then(|l| l.similarity),
            reasoning: link.and_then(|l| l.reasoning.clone()),
            owner_correct: None,
            due_correct: None,
        });
    }
    KindRecall {
        expected: texts.expected.len(),
        matched,
        recall: rate(matched, texts.expected.len()),
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
            words: Vec::new(),
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
