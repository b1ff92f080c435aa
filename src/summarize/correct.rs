//! The correction pass: the model fixes recognition errors segment by
//! segment, with the glossary's names and terms in mind.
//!
//! Guarded, because a model asked to proofread sometimes rewrites,
//! summarises or drops lines: a chunk whose answer changes the set of
//! segments, or changes more than a set share of the words, is rejected in
//! favour of the original (with a warning). Timestamps are never touched.

use serde::Deserialize;
use serde_json::json;

use super::call::{Caller, Failure};
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

fn schema() -> Schema {
    let item = json!({"type": "object", "properties": {"id": {"type": "integer"}, "text": {"type": "string", "maxLength": 2000}},
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
        let budget = (chunk.tokens as f64 * 1.5) as u32 + 200;
        let answer = self
            .caller
            .json::<Corrected>(Stage::Correct, messages, schema(), budget)
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
            for (segment, fixed) in chunk.segments.iter_mut().zip(corrected.segments) {
                segment.text = fixed.text.trim().to_string();
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
    if corrected.len() != originals.len() {
        return Verdict::Rejected(format!(
            "{} segments came back for {}",
            corrected.len(),
            originals.len()
        ));
    }
    if corrected.iter().enumerate().any(|(i, c)| c.id != i + 1) {
        return Verdict::Rejected("segments were reordered, merged or renumbered".into());
    }
    let before: Vec<&str> = originals
        .iter()
        .flat_map(|t| t.split_whitespace())
        .collect();
    let after: Vec<&str> = corrected
        .iter()
        .flat_map(|c| c.text.split_whitespace())
        .collect();
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
    }

    #[test]
    fn rewrites_and_dropped_segments_are_rejected() {
        let v = judge(
            &["the budget is fine", "next item"],
            &[c(1, "finances look good overall"), c(2, "agenda")],
            0.3,
        );
        assert!(matches!(v, Verdict::Rejected(_)));
        let v = judge(&["a", "b"], &[c(1, "a b")], 0.3);
        assert!(matches!(v, Verdict::Rejected(_)));
        let v = judge(&["a", "b"], &[c(2, "b"), c(1, "a")], 0.3);
        assert!(matches!(v, Verdict::Rejected(_)));
    }
}
