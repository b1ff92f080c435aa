//! The judge's rubric and what it is shown.
//!
//! The rubric is a YAML file shaped like a prompt stage of `prompts/default/`
//! (`version`, `system`, `user`), built in from `prompts/judge/compare.yaml`
//! and replaceable with `--rubric`, so judging experiments are as easy as
//! prompt experiments; its version and hash are recorded with the results.
//! The scoring rubric of `eval minutes --judge-llm` ([`crate::eval::minutes::judge`],
//! `prompts/judge/score.yaml`) is loaded the same way, as another [`Kind`].
//!
//! Minutes are shown as a compact rendering of their content: title,
//! summary, decisions, action items with owner and due date, open
//! questions. Evidence quotes, times, topics and front matter are left out:
//! they would let the judge compare formats (or copy quotes as proof)
//! instead of reading what the minutes claim against the transcript.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::llm::Schema;
use crate::summarize::prompts::{Messages, fill};
use crate::summarize::schema::Minutes;

/// A kind of rubric: the built-in text, and the placeholders its user
/// message must carry.
pub struct Kind {
    pub built_in: &'static str,
    pub placeholders: &'static [&'static str],
}

/// The rubric of `eval compare`.
const COMPARE: Kind = Kind {
    built_in: include_str!("../../../prompts/judge/compare.yaml"),
    placeholders: &["transcript", "first", "second"],
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RubricFile {
    #[serde(default)]
    version: serde_norway::Value,
    system: String,
    user: String,
}

/// A loaded rubric: its messages, and what identifies it in the results.
#[derive(Debug, Clone)]
pub struct Rubric {
    /// `built-in` or the file's path.
    pub source: String,
    pub version: String,
    /// First 12 hex digits of the SHA-256 of its system and user text.
    pub hash: String,
    file: RubricFile,
}

impl Rubric {
    /// What a report says of the rubric it was judged by.
    pub fn info(&self) -> super::report::RubricInfo {
        super::report::RubricInfo {
            source: self.source.clone(),
            version: self.version.clone(),
            hash: self.hash.clone(),
        }
    }

    /// The comparison rubric in `path`, or the built-in one.
    pub fn load(path: Option<&Path>) -> Result<Rubric> {
        Rubric::load_kind(path, &COMPARE)
    }

    /// A rubric of `kind` in `path`, or its built-in one.
    pub fn load_kind(path: Option<&Path>, kind: &Kind) -> Result<Rubric> {
        let (text, source) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|e| Error::read(p, &e))?,
                p.display().to_string(),
            ),
            None => (kind.built_in.to_string(), "built-in".to_string()),
        };
        let invalid = |why: String| match path {
            Some(p) => Error::file(ErrorKind::Config, p, why),
            None => Error::internal(format!("built-in rubric: {why}")),
        };
        let file: RubricFile = serde_norway::from_str(&text)
            .map_err(|e| invalid(format!("invalid rubric file: {e}")))?;
        let shown = |p: &&str| format!("{{{{{p}}}}}");
        if let Some(missing) = kind
            .placeholders
            .iter()
            .find(|p| !file.user.contains(&shown(p)))
        {
            let all: Vec<String> = kind.placeholders.iter().map(shown).collect();
            return Err(
                invalid(format!("its user message lacks {}", shown(missing)))
                    .with_hint(format!("a rubric's user message shows {}", all.join(", "))),
            );
        }
        let version = crate::summarize::prompts::version_text(&file.version);
        let hash = crate::hash::parts(&["judge", &file.system, &file.user]);
        Ok(Rubric {
            source,
            version,
            hash: hash.chars().take(12).collect(),
            file,
        })
    }

    /// The request for one order: the transcript, then the minutes shown
    /// first and second.
    pub fn messages(&self, transcript: &str, first: &str, second: &str) -> Messages {
        self.fill(&[
            ("transcript", transcript),
            ("first", first),
            ("second", second),
        ])
    }

    /// The request with each `{{name}}` replaced by its text.
    pub fn fill(&self, vars: &[(&str, &str)]) -> Messages {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.trim_end())).collect();
        Messages {
            system: fill(&self.file.system, &vars),
            examples: Vec::new(),
            user: fill(&self.file.user, &vars),
        }
    }
}

/// The schema of a judgement: reasoning first, so the verdict follows from
/// it; bounded, so a rambling model (under a grammar, as the bundled one)
/// still reaches the verdict.
pub fn schema() -> Schema {
    Schema {
        name: "judgement",
        schema: json!({"type": "object",
            "properties": {
                "reasoning": {"type": "string", "maxLength": 1500},
                "better": {"type": "string", "enum": ["first", "second", "tie"]}
            },
            "required": ["reasoning", "better"], "additionalProperties": false}),
    }
}

/// The content of minutes as the judge reads it.
pub fn show(m: &Minutes) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Title: {}", one_line(&m.title));
    list(&mut out, "Summary", m.summary.iter().map(|s| one_line(s)));
    list(
        &mut out,
        "Decisions",
        m.decisions.iter().map(|d| one_line(&d.decision)),
    );
    list(
        &mut out,
        "Action items",
        m.action_items.iter().map(|a| {
            let mut item = one_line(&a.task);
            let owner = a.owner.as_deref().map(one_line).filter(|o| !o.is_empty());
            let due = a.due.as_deref().map(one_line).filter(|d| !d.is_empty());
            let _ = write!(
                item,
                " (owner: {}; due: {})",
                owner.as_deref().unwrap_or("none"),
                due.as_deref().unwrap_or("none")
            );
            item
        }),
    );
    list(
        &mut out,
        "Open questions",
        m.open_questions.iter().map(|q| one_line(&q.question)),
    );
    out
}

fn list(out: &mut String, heading: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.filter(|i| !i.is_empty()).collect();
    if items.is_empty() {
        let _ = writeln!(out, "{heading}: none");
        return;
    }
    let _ = writeln!(out, "{heading}:");
    for item in items {
        let _ = writeln!(out, "- {item}");
    }
}

/// Text on one line, so an item cannot fake a heading of its own.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::schema::{ActionItem, Decision, Evidence};

    #[test]
    fn minutes_are_shown_without_evidence() {
        let m = Minutes {
            title: "Release\nsync".into(),
            summary: vec!["Ships in March.".into()],
            decisions: vec![Decision {
                decision: "Ship 2.4".into(),
                evidence: vec![Evidence {
                    quote: "a quote nobody should see".into(),
                    ..Evidence::default()
                }],
                ..Decision::default()
            }],
            action_items: vec![ActionItem {
                task: "Update the changelog".into(),
                owner: Some("Jin".into()),
                ..ActionItem::default()
            }],
            ..Minutes::default()
        };
        assert_eq!(
            show(&m),
            "Title: Release sync\nSummary:\n- Ships in March.\nDecisions:\n- Ship 2.4\n\
             Action items:\n- Update the changelog (owner: Jin; due: none)\nOpen questions: none\n"
        );
    }

    #[test]
    fn the_built_in_rubric_loads_and_a_bad_one_is_refused() {
        let r = Rubric::load(None).unwrap();
        assert_eq!(r.source, "built-in");
        let m = r.messages("T said", "MIN-1", "MIN-2");
        assert!(m.user.contains("<first>\nMIN-1\n</first>"), "{}", m.user);
        assert!(m.user.find("MIN-1") < m.user.find("MIN-2"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yaml");
        std::fs::write(
            &p,
            "version: 2\nsystem: s\nuser: \"{{first}} {{second}}\"\n",
        )
        .unwrap();
        let e = Rubric::load(Some(&p)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("{{transcript}}"), "{}", e.message());
    }
}
