//! What minutes contain, as typed values and as the JSON schema the model
//! fills. The same shape serves chunk notes (map), merged notes (collapse)
//! and the final minutes (reduce), so results can be merged at any level.
//!
//! Timestamps travel as `mm:ss` / `h:mm:ss` strings (what the model sees in
//! the transcript) and are checked against the recording's length: a time
//! outside it is dropped and counted, never printed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::json;

pub mod budget;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Minutes {
    pub title: String,
    pub summary: Vec<String>,
    pub decisions: Vec<Decision>,
    pub action_items: Vec<ActionItem>,
    pub open_questions: Vec<Question>,
    pub topics: Vec<Topic>,
    pub participants: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Decision {
    pub decision: String,
    /// `mm:ss` of its evidence (set by the evidence check, not the model).
    pub time: Option<String>,
    pub evidence: Vec<Evidence>,
    /// Whether its evidence was found in the transcript; unset until checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ActionItem {
    pub task: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub time: Option<String>,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// A question raised and not answered. Read from a bare string too (the
/// shape of earlier versions, and what a model without the schema writes).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, from = "QuestionIn")]
pub struct Question {
    pub question: String,
    pub time: Option<String>,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum QuestionIn {
    Text(String),
    Item {
        #[serde(default)]
        question: String,
        #[serde(default)]
        time: Option<String>,
        #[serde(default)]
        evidence: Vec<Evidence>,
        #[serde(default)]
        verified: Option<bool>,
    },
}

impl From<QuestionIn> for Question {
    fn from(q: QuestionIn) -> Question {
        match q {
            QuestionIn::Text(question) => Question {
                question,
                ..Question::default()
            },
            QuestionIn::Item {
                question,
                time,
                evidence,
                verified,
            } => Question {
                question,
                time,
                evidence,
                verified,
            },
        }
    }
}

impl From<&str> for Question {
    fn from(question: &str) -> Question {
        Question {
            question: question.to_string(),
            ..Question::default()
        }
    }
}

/// What an item rests on: words from the transcript, as the model quoted
/// them, and where the check found them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, from = "EvidenceIn")]
pub struct Evidence {
    /// The segment the quote was found in (its index in the transcript).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<usize>,
    /// That segment's start, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    /// `mm:ss` of the line quoted: the model's claim until checked, then the
    /// segment's start.
    pub time: Option<String>,
    pub quote: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EvidenceIn {
    Quote(String),
    Item {
        #[serde(default)]
        segment: Option<usize>,
        #[serde(default)]
        start: Option<f64>,
        #[serde(default)]
        time: Option<String>,
        #[serde(default)]
        quote: String,
    },
}

impl From<EvidenceIn> for Evidence {
    fn from(e: EvidenceIn) -> Evidence {
        match e {
            EvidenceIn::Quote(quote) => Evidence {
                quote,
                ..Evidence::default()
            },
            EvidenceIn::Item {
                segment,
                start,
                time,
                quote,
            } => Evidence {
                segment,
                start,
                time,
                quote,
            },
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Topic {
    pub title: String,
    pub start: Option<String>,
}

/// What was said in a recording (its transcript and glossary), to check the
/// minutes against.
///
/// A name counts as said when one of its words is: a Latin-script word of 3+
/// letters as a whole word; a word in another script of 2+ characters
/// anywhere (Korean names take particles: 민수가), or its last two
/// characters (the given name of 김민수, said as 민수 씨). A date counts when
/// one of its numbers was said (18 in "the 18th") or one of its words of 4+
/// letters ("Friday", "next week", "금요일").
pub struct Said {
    text: String,
    words: HashSet<String>,
    numbers: HashSet<String>,
}

impl Said {
    pub fn new(text: &str) -> Said {
        let text = text.to_lowercase();
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let numbers = digit_runs(&text).collect();
        Said {
            text,
            words,
            numbers,
        }
    }

    fn word(&self, w: &str, min_latin: usize) -> bool {
        if w.is_ascii() {
            return w.len() >= min_latin && self.words.contains(w);
        }
        let n = w.chars().count();
        let given: String = w.chars().skip(n.saturating_sub(2)).collect();
        n >= 2 && (self.text.contains(w) || self.text.contains(&given))
    }

    pub fn name(&self, name: &str) -> bool {
        name.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| !w.is_empty() && self.word(w, 3))
    }

    pub fn date(&self, due: &str) -> bool {
        let due = due.to_lowercase();
        digit_runs(&due).any(|n| self.numbers.contains(&n))
            || due
                .split(|c: char| !c.is_alphabetic())
                .any(|w| !w.is_empty() && self.word(w, 4))
    }
}

/// The numbers in a text, without leading zeros ("03" and "3" are one).
fn digit_runs(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .map(|r| match r.trim_start_matches('0') {
            "" => "0".to_string(),
            n => n.to_string(),
        })
}

/// How much a model may write: the bounds of every list and string of the
/// schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    summary: u32,
    decisions: u32,
    actions: u32,
    questions: u32,
    topics: u32,
    participants: u32,
    evidence: u32,
    item: u32,
    quote: u32,
}

impl Bounds {
    /// For capable models.
    pub const FULL: Bounds = Bounds {
        summary: 8,
        decisions: 8,
        actions: 10,
        questions: 6,
        topics: 8,
        participants: 12,
        evidence: 2,
        item: 160,
        quote: 100,
    };
    /// For the bundled small model, which tends to fill whatever room the
    /// schema leaves (a list to its last item, a string to its last
    /// character): at most about 1,500 tokens, inside its output budget.
    pub const COMPACT: Bounds = Bounds {
        summary: 5,
        decisions: 3,
        actions: 4,
        questions: 3,
        topics: 4,
        participants: 6,
        evidence: 1,
        item: 120,
        quote: 80,
    };
}

/// The JSON schema of [`Minutes`] with the [`Bounds::FULL`] bounds.
pub fn minutes_schema() -> serde_json::Value {
    bounded_schema(Bounds::FULL)
}

/// The JSON schema of [`Minutes`] (strict-mode compatible: every property
/// required, optional values nullable, bounded lengths so small local models
/// cannot run away inside a string).
pub fn bounded_schema(b: Bounds) -> serde_json::Value {
    let text = |max: u32| json!({"type": "string", "maxLength": max});
    let opt = |max: u32| json!({"type": ["string", "null"], "maxLength": max});
    let list = |item: serde_json::Value, max: u32| json!({"type": "array", "items": item, "maxItems": max});
    let object = |props: serde_json::Value| {
        let required: Vec<String> = props
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
    };
    // Decisions, actions and questions say where they were said: the model
    // copies the line's time and a few of its words; the tool checks them.
    let evidence = list(
        object(
            json!({"time": opt(8), "quote": json!({"type": "string", "minLength": 1, "maxLength": b.quote})}),
        ),
        b.evidence,
    );
    object(json!({
        "title": json!({"type": "string", "minLength": 1, "maxLength": 100}),
        "summary": json!({"type": "array", "items": json!({"type": "string", "minLength": 1, "maxLength": b.item + 40}), "minItems": 1, "maxItems": b.summary}),
        "decisions": list(object(json!({"decision": text(b.item), "evidence": evidence.clone()})), b.decisions),
        "action_items": list(object(json!({"task": text(b.item), "owner": opt(40), "due": opt(30), "evidence": evidence.clone()})), b.actions),
        "open_questions": list(object(json!({"question": text(b.item), "evidence": evidence})), b.questions),
        "topics": list(object(json!({"title": text(80), "start": opt(8)})), b.topics),
        "participants": list(text(40), b.participants),
    }))
}

/// Seconds of a `[h:]mm:ss` string.
pub fn parse_time(s: &str) -> Option<f64> {
    let s = s.trim().trim_matches(|c| c == '[' || c == ']');
    crate::transcript::parse::parse_clock(s)
}

/// `mm:ss`, or `h:mm:ss` from an hour on.
pub fn format_time(seconds: f64) -> String {
    let t = seconds.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

impl Minutes {
    /// Normalises every timestamp to `mm:ss`; drops (sets to none) those that
    /// cannot be parsed or lie outside `[0, duration]`. Returns how many were
    /// dropped. With `duration` 0 (an untimed transcript) all are dropped.
    pub fn check_times(&mut self, duration: f64) -> usize {
        let mut dropped = 0;
        let mut fix = |t: &mut Option<String>| {
            if let Some(v) = t.take() {
                match parse_time(&v).filter(|s| *s <= duration + 0.5 && duration > 0.0) {
                    Some(s) => *t = Some(format_time(s)),
                    None => dropped += 1,
                }
            }
        };
        self.decisions.iter_mut().for_each(|d| fix(&mut d.time));
        self.action_items.iter_mut().for_each(|a| fix(&mut a.time));
        self.open_questions
            .iter_mut()
            .for_each(|q| fix(&mut q.time));
        self.topics.iter_mut().for_each(|t| fix(&mut t.start));
        dropped
    }

    /// Drops participants, and clears action-item owners, whose names were
    /// never said: a name the model made up is worse than none. Returns the
    /// names removed.
    pub fn check_names(&mut self, said: &Said) -> Vec<String> {
        let mut removed = Vec::new();
        self.participants.retain(|p| {
            let keep = said.name(p);
            if !keep {
                removed.push(p.clone());
            }
            keep
        });
        for a in &mut self.action_items {
            if a.owner.as_deref().is_some_and(|o| !said.name(o)) {
                removed.extend(a.owner.take());
            }
        }
        removed
    }

    /// Clears due dates with nothing in them that was said (no number, no
    /// word such as "Friday" or "next week"): dates the model made up.
    /// Returns them, each with its task.
    pub fn check_dues(&mut self, said: &Said) -> Vec<String> {
        let mut removed = Vec::new();
        for a in &mut self.action_items {
            if a.due.as_deref().is_some_and(|d| !said.date(d)) {
                removed.extend(a.due.take().map(|d| format!("{d} ({})", a.task)));
            }
        }
        removed
    }

    /// Blank optional strings (`""`, `"null"`, `"none"`) become none.
    pub fn tidy(&mut self) {
        let clean = |o: &mut Option<String>| {
            if o.as_deref().is_some_and(|v| {
                matches!(
                    v.trim().to_lowercase().as_str(),
                    "" | "null" | "none" | "n/a" | "unknown"
                )
            }) {
                *o = None;
            }
        };
        for a in &mut self.action_items {
            clean(&mut a.owner);
            clean(&mut a.due);
            clean(&mut a.time);
        }
        self.decisions.iter_mut().for_each(|d| clean(&mut d.time));
        self.topics.iter_mut().for_each(|t| clean(&mut t.start));
        self.summary.retain(|s| !s.trim().is_empty());
        self.open_questions
            .retain(|q| !q.question.trim().is_empty());
        self.participants.retain(|s| !s.trim().is_empty());
    }
}

#[cfg(test)]
mod tests;
