//! Expected facts matched by a judge (`eval minutes --expected --judge-llm`,
//! and `eval suite` with a judge): the lexical matcher ([`crate::eval::matching`])
//! misses a fact stated in other words (`Postpone the launch` is `The
//! release moves a week later`) and counts one that shares the words but not
//! the meaning (`Ship on Friday` is not `Do not ship on Friday`). A judge
//! reads for meaning.
//!
//! One call per kind (decisions, action items, open questions) that has
//! both expected facts and items: the facts numbered `E1…`, the items `F1…`,
//! and the answer names, for each fact in turn, its reasoning and then the
//! item that states it, or `none`. The schema lists the valid labels, so a
//! server with grammars (the bundled one) cannot invent a label; what a
//! schema cannot say is checked after: every fact exactly once, and no
//! item for two facts (matching stays one to one, as the lexical matcher's
//! is). An answer that breaks this is no matching to count and fails the
//! run, as an out-of-range score does.
//!
//! Action items are matched by their task; owners and due dates are then
//! compared as without a judge (names and dates need no reading between the
//! lines, and a judge does not know the meeting's calendar either).

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::eval::compare::rubric::{Kind, Rubric};
use crate::eval::facts::Facts;
use crate::llm::{Llm, Schema, Stage};
use crate::redact::Redactor;
use crate::summarize::call::{Caller, OnCutOff};
use crate::summarize::schema::Minutes;

/// The prompt of the matching judge.
pub const MATCH: Kind = Kind {
    built_in: include_str!("../../../prompts/judge/match.yaml"),
    placeholders: &["kind", "expected", "minutes"],
};

/// Output tokens asked for one answer (a sentence per fact); doubled once
/// if the answer is cut off.
const MAX_TOKENS: u32 = 1024;
/// The most a cut-off answer may ask for.
pub const MAX_OUTPUT_TOKENS: u32 = 4096;

/// The item of the minutes that states one expected fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Its index among the minutes' items of that kind.
    pub found: usize,
    /// The lexical similarity, when matched by words.
    pub similarity: Option<f64>,
    /// The judge's reasoning, when matched by the judge.
    pub reasoning: Option<String>,
}

/// For each expected fact of one kind, in order, the item stating it.
pub type Links = Vec<Option<Link>>;

/// The links of every kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KindLinks {
    pub decisions: Links,
    pub action_items: Links,
    pub open_questions: Links,
}

/// The texts of one kind: what is expected and what the minutes say.
pub struct KindTexts {
    /// `decisions`, `action items` or `open questions`, as the judge reads it.
    pub kind: &'static str,
    pub expected: Vec<String>,
    pub found: Vec<String>,
}

/// The three kinds of `minutes` and `facts`, in report order.
pub fn texts(minutes: &Minutes, facts: &Facts) -> [KindTexts; 3] {
    [
        KindTexts {
            kind: "decisions",
            expected: facts.decisions.clone(),
            found: minutes
                .decisions
                .iter()
                .map(|d| d.decision.clone())
                .collect(),
        },
        KindTexts {
            kind: "action items",
            expected: facts.action_items.iter().map(|a| a.task.clone()).collect(),
            found: minutes
                .action_items
                .iter()
                .map(|a| a.task.clone())
                .collect(),
        },
        KindTexts {
            kind: "open questions",
            expected: facts.open_questions.clone(),
            found: minutes
                .open_questions
                .iter()
                .map(|q| q.question.clone())
                .collect(),
        },
    ]
}

/// The request's numbered list: `P1: text` a line, each on one line.
fn numbered(prefix: char, items: &[String]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{prefix}{}: {}\n",
                i + 1,
                t.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect()
}

fn labels(prefix: char, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// The schema of an answer for `expected` facts and `found` items: one
/// entry per fact, reasoning before the item, labels from the lists.
pub fn schema(expected: usize, found: usize) -> Schema {
    let mut items = labels('F', found);
    items.push("none".into());
    Schema {
        name: "matches",
        schema: json!({"type": "object",
            "properties": {
                "matches": {"type": "array", "minItems": expected, "maxItems": expected,
                    "items": {"type": "object",
                        "properties": {
                            "expected": {"type": "string", "enum": labels('E', expected)},
                            "reasoning": {"type": "string", "maxLength": 400},
                            "found": {"type": "string", "enum": items}
                        },
                        "required": ["expected", "reasoning", "found"],
                        "additionalProperties": false}}
            },
            "required": ["matches"], "additionalProperties": false}),
    }
}

/// The judge's answer as it came.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    pub matches: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub expected: String,
    #[serde(default)]
    pub reasoning: String,
    pub found: String,
}

/// The index of label `P<n>` (case and spaces aside) among `n` labels.
fn index(label: &str, prefix: char, n: usize) -> Option<usize> {
    let label = label.trim();
    let rest = label
        .strip_prefix(prefix)
        .or_else(|| label.strip_prefix(prefix.to_ascii_lowercase()))?;
    let i: usize = rest.trim().parse().ok()?;
    (1..=n).contains(&i).then(|| i - 1)
}

/// Checks an answer for `expected` facts and `found` items; `Err` says
/// what is wrong.
pub fn validate(
    answer: Answer,
    expected: usize,
    found: usize,
) -> std::result::Result<Links, String> {
    let mut links: Vec<Option<Option<Link>>> = vec![None; expected];
    let mut taken: HashMap<usize, usize> = HashMap::new();
    for e in answer.matches {
        let Some(i) = index(&e.expected, 'E', expected) else {
            return Err(format!("unknown expected fact {:?}", e.expected));
        };
        if links[i].is_some() {
            return Err(format!("expected fact E{} is given twice", i + 1));
        }
        let link = match e.found.trim().to_ascii_lowercase().as_str() {
            "none" | "" => None,
            label => {
                let Some(f) = index(label, 'F', found) else {
                    return Err(format!("unknown item {:?} for E{}", e.found, i + 1));
                };
                if let Some(other) = taken.insert(f, i) {
                    return Err(format!(
                        "item F{} is given for both E{} and E{}: one item states one fact",
                        f + 1,
                        other + 1,
                        i + 1
                    ));
                }
                Some(Link {
                    found: f,
                    similarity: None,
                    reasoning: Some(e.reasoning.trim().to_string()),
                })
            }
        };
        links[i] = Some(link);
    }
    links
        .into_iter()
        .enumerate()
        .map(|(i, l)| l.ok_or_else(|| format!("expected fact E{} is missing", i + 1)))
        .collect()
}

/// A judge that matches facts: a model behind the shared caller, its
/// prompt, and how errors name it.
pub struct Matcher<'a, 'c, L: Llm> {
    pub caller: &'a Caller<'c, L>,
    pub prompt: &'a Rubric,
    /// `MODEL at URL`.
    pub label: String,
    /// The terms to hide besides the patterns, when personal data is
    /// replaced; `None`: it is not.
    pub redact: Option<&'a [String]>,
}

impl<L: Llm> Matcher<'_, '_, L> {
    /// The links of every kind of the minutes of file `name`, asked at once
    /// (the caller's permits bound how many are in flight), and how many
    /// values of each kind were kept off the judge. A kind without facts or
    /// without items needs no call.
    pub async fn links(
        &self,
        name: &str,
        minutes: &Minutes,
        facts: &Facts,
    ) -> Result<(KindLinks, BTreeMap<String, usize>)> {
        let kinds = texts(minutes, facts);
        let mut redactor = self.redact.map(Redactor::new);
        let requests: Vec<_> = kinds
            .iter()
            .map(|k| {
                let (mut expected, mut found) =
                    (numbered('E', &k.expected), numbered('F', &k.found));
                if let Some(r) = redactor.as_mut() {
                    expected = r.redact(&expected);
                    found = r.redact(&found);
                }
                self.prompt.fill(&[
                    ("kind", k.kind),
                    ("expected", &expected),
                    ("minutes", &found),
                ])
            })
            .collect();
        let answers = futures::future::try_join_all(kinds.iter().zip(requests).map(
            |(k, messages)| async move {
                match k.expected.is_empty() || k.found.is_empty() {
                    true => Ok(vec![None; k.expected.len()]),
                    false => self.once(name, k, messages).await,
                }
            },
        ))
        .await?;
        let mut answers = answers.into_iter().map(|links| {
            links
                .into_iter()
                .map(|l| {
                    l.map(|mut l| {
                        if let (Some(r), Some(t)) = (&redactor, &l.reasoning) {
                            l.reasoning = Some(r.restore(t));
                        }
                        l
                    })
                })
                .collect()
        });
        let links = KindLinks {
            decisions: answers.next().unwrap_or_default(),
            action_items: answers.next().unwrap_or_default(),
            open_questions: answers.next().unwrap_or_default(),
        };
        let counts = redactor.as_ref().map(Redactor::counts).unwrap_or_default();
        Ok((links, counts))
    }

    async fn once(
        &self,
        name: &str,
        k: &KindTexts,
        messages: crate::summarize::prompts::Messages,
    ) -> Result<Links> {
        let unusable = |why: String| {
            Error::new(
                ErrorKind::Unavailable,
                format!(
                    "the judge {} gave no usable matching of the {} of {name}: {why}",
                    self.label, k.kind
                ),
            )
            .with_hint("try another judge model, or leave out --judge-llm to match by words")
        };
        let (expected, found) = (k.expected.len(), k.found.len());
        match self
            .caller
            .json::<Answer>(
                Stage::Judge,
                messages,
                schema(expected, found),
                MAX_TOKENS,
                OnCutOff::AskLonger,
            )
            .await
        {
            Ok(Ok(answer)) => validate(answer, expected, found).map_err(unusable),
            Ok(Err(failure)) => Err(unusable(failure.to_string())),
            Err(e) => {
                let wrapped = Error::new(
                    e.kind(),
                    format!(
                        "matching the {} of {name} with {}: {}",
                        k.kind,
                        self.label,
                        e.message()
                    ),
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

    fn answer(entries: &[(&str, &str)]) -> Answer {
        Answer {
            matches: entries
                .iter()
                .map(|(e, f)| Entry {
                    expected: e.to_string(),
                    reasoning: format!("why {e}"),
                    found: f.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn answers_link_each_fact_once_and_each_item_at_most_once() {
        let links = validate(answer(&[("E2", "none"), ("e1", " F3 ")]), 2, 3).unwrap();
        assert_eq!(
            links,
            vec![
                Some(Link {
                    found: 2,
                    similarity: None,
                    reasoning: Some("why e1".into())
                }),
                None
            ]
        );
        let e = validate(answer(&[("E1", "F1"), ("E2", "F1")]), 2, 3).unwrap_err();
        assert_eq!(
            e,
            "item F1 is given for both E1 and E2: one item states one fact"
        );
        assert_eq!(
            validate(answer(&[("E1", "F1")]), 2, 3).unwrap_err(),
            "expected fact E2 is missing"
        );
        assert!(
            validate(answer(&[("E1", "F1"), ("E1", "F2")]), 2, 3)
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            validate(answer(&[("E3", "F1")]), 2, 3)
                .unwrap_err()
                .contains("unknown expected")
        );
        assert!(
            validate(answer(&[("E1", "F4")]), 1, 3)
                .unwrap_err()
                .contains("unknown item")
        );
        assert!(validate(answer(&[("E1", "F0")]), 1, 3).is_err());
        assert_eq!(
            validate(answer(&[]), 0, 3).unwrap(),
            Vec::<Option<Link>>::new()
        );
    }

    #[test]
    fn the_schema_offers_only_the_labels_shown() {
        let s = schema(2, 3).schema;
        let item = &s["properties"]["matches"]["items"]["properties"];
        assert_eq!(item["expected"]["enum"], json!(["E1", "E2"]));
        assert_eq!(item["found"]["enum"], json!(["F1", "F2", "F3", "none"]));
        assert_eq!(s["properties"]["matches"]["minItems"], 2);
        let order: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(order, ["expected", "reasoning", "found"]);
    }

    #[test]
    fn the_prompt_numbers_facts_and_items_on_one_line_each() {
        let p = Rubric::load_kind(None, &MATCH).unwrap();
        let expected = numbered('E', &["Ship 2.4\non March 14".into(), "Drop 3.8".into()]);
        assert_eq!(expected, "E1: Ship 2.4 on March 14\nE2: Drop 3.8\n");
        let m = p.fill(&[
            ("kind", "decisions"),
            ("expected", &expected),
            ("minutes", "F1: x\n"),
        ]);
        assert!(m.user.contains("Kind: decisions"), "{}", m.user);
        assert!(
            m.user
                .contains("<expected>\nE1: Ship 2.4 on March 14\nE2: Drop 3.8\n</expected>"),
            "{}",
            m.user
        );
        assert!(m.user.contains("<minutes>\nF1: x\n</minutes>"));
    }
}
