//! Expected facts: what a person who attended the meeting says its minutes
//! must state, written once per recording in a small YAML file and scored
//! against every version of the minutes (`minutes eval minutes --expected`).
//!
//! ```yaml
//! language: en            # optional; ko/zh/ja compare by characters
//! decisions:
//!   - Version 2.4 is released on March 14
//! action_items:
//!   - task: Update the changelog
//!     owner: Jin          # optional
//!     due: Wednesday      # optional
//!   - Book the room       # a task alone
//! open_questions:
//!   - Is sign-off from legal still needed?
//! ```
//!
//! Every list is optional, but there must be at least one fact. Unknown
//! keys are errors, not ignored: a misspelt `action_item:` would otherwise
//! silently score nothing.

use std::fmt;
use std::path::Path;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::Script;
use crate::error::{Error, ErrorKind, Result};

/// The expected facts of one meeting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The file's `language`, as written.
    pub language: Option<String>,
    /// How texts are compared: by the language when given, else decided
    /// for each pair by its letters ([`super::matching`]).
    pub script: Option<Script>,
    pub decisions: Vec<String>,
    pub action_items: Vec<ExpectedAction>,
    pub open_questions: Vec<String>,
}

/// An action item the minutes must list; owner and due only when given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedAction {
    pub task: String,
    pub owner: Option<String>,
    pub due: Option<String>,
}

/// The file as written. A list key without items (`decisions:`) is empty.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactsFile {
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    decisions: Option<Vec<String>>,
    #[serde(default)]
    action_items: Option<Vec<ExpectedAction>>,
    #[serde(default)]
    open_questions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionFields {
    task: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    due: Option<String>,
}

/// A bare string is the task; a map has `task`, `owner` and `due` and
/// nothing else. (Not `#[serde(untagged)]`: its error would hide which key
/// was wrong.)
impl<'de> Deserialize<'de> for ExpectedAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Action;
        impl<'de> Visitor<'de> for Action {
            type Value = ExpectedAction;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a task, or a map with task, owner and due")
            }

            fn visit_str<E: de::Error>(self, task: &str) -> std::result::Result<ExpectedAction, E> {
                Ok(ExpectedAction {
                    task: task.to_string(),
                    ..ExpectedAction::default()
                })
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<ExpectedAction, A::Error> {
                let f = ActionFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ExpectedAction {
                    task: f.task,
                    owner: f.owner,
                    due: f.due,
                })
            }
        }
        d.deserialize_any(Action)
    }
}

impl Facts {
    /// How many facts of all kinds.
    pub fn len(&self) -> usize {
        self.decisions.len() + self.action_items.len() + self.open_questions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads an expected-facts file; any fault is bad input naming the file.
pub fn read(path: &Path) -> Result<Facts> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::file(ErrorKind::BadInput, path, "not UTF-8 text"))?;
    parse(&text).map_err(|why| {
        Error::file(ErrorKind::BadInput, path, why).with_hint(
            "expected facts are YAML with decisions, action_items (task, owner, due) and open_questions",
        )
    })
}

/// Parses and checks the facts; `Err` is the reason, for the reader.
fn parse(text: &str) -> std::result::Result<Facts, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err("no expected facts: the file is empty".into());
    }
    let file: FactsFile =
        serde_norway::from_str(text).map_err(|e| format!("not expected facts: {e}"))?;
    let script = match file.language.as_deref() {
        Some(code) => Script::of_code(code).map_err(|e| format!("language: {e}"))?,
        None => None,
    };
    let facts = Facts {
        language: file.language,
        script,
        decisions: file.decisions.unwrap_or_default(),
        action_items: file.action_items.unwrap_or_default(),
        open_questions: file.open_questions.unwrap_or_default(),
    };
    let lists: [(&str, Vec<&str>); 3] = [
        (
            "decisions",
            facts.decisions.iter().map(String::as_str).collect(),
        ),
        (
            "action_items",
            facts.action_items.iter().map(|a| a.task.as_str()).collect(),
        ),
        (
            "open_questions",
            facts.open_questions.iter().map(String::as_str).collect(),
        ),
    ];
    for (kind, items) in lists {
        if let Some(i) = items.iter().position(|t| t.trim().is_empty()) {
            return Err(format!("{kind}[{i}] is empty"));
        }
    }
    if facts.is_empty() {
        return Err(
            "no expected facts: give at least one of decisions, action_items, open_questions"
                .into(),
        );
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_format_is_read() {
        let f = parse(
            "language: en\n\
             decisions:\n  - Version 2.4 is released on March 14\n\
             action_items:\n  - task: Update the changelog\n    owner: Jin\n    due: Wednesday\n  - Book the room\n\
             open_questions:\n  - Is sign-off from legal still needed?\n",
        )
        .unwrap();
        assert_eq!(f.script, Some(Script::Spaced));
        assert_eq!(f.decisions, ["Version 2.4 is released on March 14"]);
        assert_eq!(
            f.action_items,
            [
                ExpectedAction {
                    task: "Update the changelog".into(),
                    owner: Some("Jin".into()),
                    due: Some("Wednesday".into()),
                },
                ExpectedAction {
                    task: "Book the room".into(),
                    ..ExpectedAction::default()
                },
            ]
        );
        assert_eq!(f.len(), 4);
        // Every list is optional, and an empty key is an empty list.
        let f =
            parse("language: ko\nopen_questions:\ndecisions: [배포는 다음 주 화요일]\n").unwrap();
        assert_eq!((f.script, f.len()), (Some(Script::Cjk), 1));
        assert_eq!(parse("decisions: [x]").unwrap().script, None);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse("decision:\n  - x\n").unwrap_err();
        assert!(e.contains("unknown field `decision`"), "{e}");
        let e = parse("action_items:\n  - task: x\n    owners: Jin\n").unwrap_err();
        assert!(e.contains("unknown field `owners`"), "{e}");
        assert!(e.contains("action_items[0]"), "{e}");
    }

    #[test]
    fn wrong_shapes_and_empty_files_are_refused() {
        for (yaml, why) in [
            ("decisions: yes\n", "invalid type"),
            ("action_items:\n  - owner: Jin\n", "missing field `task`"),
            ("action_items:\n  - [a, b]\n", "a task, or a map"),
            ("decisions:\n  - \"  \"\n", "decisions[0] is empty"),
            (
                "language: klingon\ndecisions: [x]\n",
                "unknown language klingon",
            ),
            ("language: en\n", "no expected facts"),
            (" \n", "the file is empty"),
            ("- a\n- b\n", "invalid type"),
        ] {
            let e = parse(yaml).unwrap_err();
            assert!(e.contains(why), "{yaml:?}: {e}");
        }
    }
}
