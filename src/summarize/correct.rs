//! The correction pass: the model fixes recognition errors segment by
//! segment, with the glossary's names and terms in mind.
//!
//! The model lists only the segments it changed (id and whole new text), so
//! a clean transcript costs almost no output tokens; a model that lists
//! every segment anyway is fine too. Guarded, because a model asked to
//! proofread sometimes rewrites, summarises or drops lines: an answer with
//! unknown or repeated ids, an emptied segment, or more than a set share of
//! the chunk's words changed is rejected in favour of the original (with a
//! warning). Timestamps are never touched.

use serde::Deserialize;
use serde_json::json;

use super::call::{Caller, Failure, OnCutOff};
use super::chunk::Chunk;
use super::prompts::PromptSet;
use crate::error::Result;
use crate::llm::{Llm, Schema, Stage};

#[derive(Debug, Deserialize)]
struct Corrected {
    segments: Vec<CorrectedSegment>,
}

#[derive(Debug, Deserialize)]
struct CorrectedSegment {
    id: usize,
    text: String,
}

/// Changes of up to this many words pass whatever the chunk's length.
const MIN_CHANGE_ALLOWED: usize = 5;

/// What happened to a chunk's correction.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Applied { changed_words: usize },
    Rejected(String),
}

pub(super) fn schema() -> Schema {
    let item = json!({"type": "object", "properties": {"id": {"type": "integer", "minimum": 1}, "text": {"type": "string", "maxLength": 2000}},
        "required": ["id", "text"], "additionalProperties": false});
    Schema {
        name: "corrected_segments",
        schema: json!({"type": "object", "properties": {"segments": {"type": "array", "items": item}},
            "required": ["segments"], "additionalProperties": false}),
    }
}

/// Corrects chunks with one model, prompt set and guard.
pub struct Corrector<'a, 'c, L: Llm> {
    pub caller: &'a Caller<'c, L>,
    pub prompts: &'a PromptSet,
    pub glossary: &'a str,
    /// The largest share of words a correction may change.
    pub max_change: f64,
}

/// How often a chunk too long for the model's context is halved.
const MAX_SPLITS: usize = 3;

impl<L: Llm> Corrector<'_, '_, L> {
    /// Corrects `chunk` in place when the answer passes the guard.
    pub async fn correct(&self, chunk: &mut Chunk) -> Result<Verdict> {
        self.part(chunk, 0).await
    }

    async fn part(&self, chunk: &mut Chunk, depth: usize) -> Result<Verdict> {
        // A faithful correction is about as long as what it corrects: room
        // for half as much again, and none for rambling. A part whose
        // correction would not fit the largest budget is halved first.
        let budget = (chunk.tokens as f64 * 1.5) as u32 + 200;
        if budget > self.caller.max_output_tokens && depth < MAX_SPLITS && chunk.segments.len() > 1
        {
            return Box::pin(self.halves(chunk, depth)).await;
        }
        let lines: Vec<String> = chunk
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}\t{}", i + 1, s.text.replace(['\n', '\t'], " ")))
            .collect();
        let messages = self.prompts.render(
            Stage::Correct,
            &[("glossary", self.glossary), ("segments", &lines.join("\n"))],
        );
        let answer = self
            .caller
            .json::<Corrected>(Stage::Correct, messages, schema(), budget, OnCutOff::GiveUp)
            .await?;
        let corrected = match answer {
            Ok(c) => c,
            Err(Failure::TooLong) if depth < MAX_SPLITS && chunk.segments.len() > 1 => {
                return Box::pin(self.halves(chunk, depth)).await;
            }
            Err(failure) => return Ok(Verdict::Rejected(failure.to_string())),
        };
        let originals: Vec<&str> = chunk.segments.iter().map(|s| s.text.as_str()).collect();
        let verdict = judge(&originals, &corrected.segments, self.max_change);
        if let Verdict::Applied { .. } = verdict {
            for fixed in corrected.segments {
                chunk.segments[fixed.id - 1].text = fixed.text.trim().to_string();
            }
        }
        Ok(verdict)
    }

    /// Corrects the two halves of a chunk separately; the chunk changes only
    /// when both corrections pass the guard.
    async fn halves(&self, chunk: &mut Chunk, depth: usize) -> Result<Verdict> {
        let mut halves = chunk.halves();
        let mut changed = 0;
        for half in &mut halves {
            match self.part(half, depth + 1).await? {
                Verdict::Applied { changed_words } => changed += changed_words,
                rejected => return Ok(rejected),
            }
        }
        let [a, b] = halves;
        chunk.segments = a.segments.into_iter().chain(b.segments).collect();
        Ok(Verdict::Applied {
            changed_words: changed,
        })
    }
}

fn judge(originals: &[&str], corrected: &[CorrectedSegment], max_change: f64) -> Verdict {
    let mut after: Vec<&str> = originals.to_vec();
    let mut seen = vec![false; originals.len()];
    for c in corrected {
        let Some(slot) = c.id.checked_sub(1).filter(|i| *i < originals.len()) else {
            return Verdict::Rejected(format!("segment {} does not exist", c.id));
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Verdict::Rejected(format!("segment {} came back twice", c.id));
        }
        if c.text.trim().is_empty() && !originals[slot].trim().is_empty() {
            return Verdict::Rejected(format!("segment {} was emptied", c.id));
        }
        after[slot] = &c.text;
    }
    let before: Vec<&str> = originals
        .iter()
        .flat_map(|t| t.split_whitespace())
        .collect();
    let after: Vec<&str> = after.iter().flat_map(|t| t.split_whitespace()).collect();
    let changed = word_distance(&before, &after);
    let ratio = changed as f64 / before.len().max(1) as f64;
    // A few words may always change: in a short chunk one fixed term is a large share.
    if ratio > max_change && changed > MIN_CHANGE_ALLOWED {
        return Verdict::Rejected(format!("it rewrote {:.0}% of the words", ratio * 100.0));
    }
    Verdict::Applied {
        changed_words: changed,
    }
}

/// Word-level edit distance (insertions, deletions, substitutions).
pub fn word_distance(a: &[&str], b: &[&str]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, wa) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, wb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(!wa.eq_ignore_ascii_case(wb));
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: usize, text: &str) -> CorrectedSegment {
        CorrectedSegment {
            id,
            text: text.into(),
        }
    }

    #[test]
    fn small_fixes_pass_the_guard() {
        let v = judge(
            &["we use cube ernetes", "ok"],
            &[c(1, "we use Kubernetes"), c(2, "ok")],
            0.3,
        );
        assert!(matches!(v, Verdict::Applied { .. }), "{v:?}");
        // Only the changed segment listed: the same verdict.
        let v = judge(
            &["we use cube ernetes", "ok"],
            &[c(1, "we use Kubernetes")],
            0.3,
        );
        assert_eq!(v, Verdict::Applied { changed_words: 2 });
        // Nothing to fix.
        assert_eq!(
            judge(&["fine"], &[], 0.3),
            Verdict::Applied { changed_words: 0 }
        );
    }

    #[test]
    fn rewrites_and_dropped_segments_are_rejected() {
        let v = judge(
            &["the budget is fine", "next item"],
            &[c(1, "finances look good overall"), c(2, "agenda")],
            0.3,
        );
        assert!(matches!(v, Verdict::Rejected(_)));
        let v = judge(&["a", "b"], &[c(1, "a b"), c(2, "")], 0.3);
        assert!(
            matches!(v, Verdict::Rejected(_)),
            "a merge empties a segment"
        );
        let v = judge(&["a", "b"], &[c(3, "b")], 0.3);
        assert!(matches!(v, Verdict::Rejected(_)), "unknown id");
        let v = judge(&["a", "b"], &[c(0, "b")], 0.3);
        assert!(matches!(v, Verdict::Rejected(_)), "ids start at 1");
        let v = judge(&["a", "b"], &[c(1, "a"), c(1, "a")], 0.3);
        assert!(matches!(v, Verdict::Rejected(_)), "repeated id");
    }
}
