//! Prompt sets: one YAML file per stage (correct, map, collapse, reduce),
//! embedded in the binary and overridable per stage from a directory.
//!
//! `--template NAME` picks `$XDG_CONFIG_HOME/minutes/prompts/NAME/` (or a
//! directory path); without it, files in `…/prompts/default/` override the
//! built-in ones. Every output records the set's name, its stages' versions
//! and a hash of the exact text used (examples included), so prompt
//! experiments can be compared. A stage may carry few-shot `examples`
//! (see `examples`), checked against the stage's schema when loaded.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::examples::{Example, language_of};
use crate::error::{Error, ErrorKind, Result};
use crate::llm::Stage;

const BUILT_IN: [(Stage, &str); 4] = [
    (
        Stage::Correct,
        include_str!("../../prompts/default/correct.yaml"),
    ),
    (Stage::Map, include_str!("../../prompts/default/map.yaml")),
    (
        Stage::Collapse,
        include_str!("../../prompts/default/collapse.yaml"),
    ),
    (
        Stage::Reduce,
        include_str!("../../prompts/default/reduce.yaml"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    #[serde(default)]
    pub version: serde_norway::Value,
    pub system: String,
    pub user: String,
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// The messages of one request: the system prompt, example turns (user,
/// assistant), and the user message.
#[derive(Debug, Clone)]
pub struct Messages {
    pub system: String,
    pub examples: Vec<(String, String)>,
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct PromptSet {
    pub name: String,
    /// The language of the minutes asked for (`-l`): picks the examples
    /// sent; none: the language of each request's text.
    pub language: Option<String>,
    /// Whether examples are sent. Not to the bundled small model: it copies
    /// the example's facts (its title, dates and names) into its answer.
    pub with_examples: bool,
    /// `stage@version` for each stage, e.g. `correct@1,map@1,…`.
    pub versions: String,
    /// First 12 hex digits of the SHA-256 of every stage's text.
    pub hash: String,
    prompts: Vec<(Stage, Prompt)>,
}

impl PromptSet {
    /// A hash of one stage's prompt text, for cache keys: changing the
    /// reduce prompt leaves correction and map results reusable.
    pub fn stage_hash(&self, stage: Stage) -> String {
        let p = self.stage(stage);
        let examples = match self.with_examples {
            true => examples_text(p),
            false => String::new(),
        };
        crate::hash::parts(&[stage.name(), &p.system, &p.user, &examples])
    }
}

impl PromptSet {
    /// Loads the set named `template` (a name or a directory), falling back
    /// to the built-in prompts for stages it does not define.
    pub fn load(template: Option<&str>, config_dir: Option<&Path>) -> Result<PromptSet> {
        let (name, dir): (String, Option<PathBuf>) = match template {
            Some(t) if Path::new(t).is_dir() => {
                let name = Path::new(t)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name, Some(PathBuf::from(t)))
            }
            Some(t) => {
                let dir = config_dir.map(|c| c.join("prompts").join(t));
                if t != "default" && !dir.as_ref().is_some_and(|d| d.is_dir()) {
                    let where_ = dir.map(|d| d.display().to_string()).unwrap_or_default();
                    return Err(Error::config(format!(
                        "prompt template {t} not found (looked in {where_})"
                    )));
                }
                (t.to_string(), dir)
            }
            None => (
                "default".to_string(),
                config_dir.map(|c| c.join("prompts").join("default")),
            ),
        };
        let mut prompts = Vec::new();
        let mut hasher = Sha256::new();
        let mut versions = Vec::new();
        for (stage, built_in) in BUILT_IN {
            let file = dir
                .as_ref()
                .map(|d| d.join(format!("{}.yaml", stage.name())))
                .filter(|f| f.is_file());
            let (text, source) = match &file {
                Some(f) => (
                    std::fs::read_to_string(f).map_err(|e| Error::file(ErrorKind::Config, f, e))?,
                    f.display().to_string(),
                ),
                None => (
                    built_in.to_string(),
                    format!("built-in {}.yaml", stage.name()),
                ),
            };
            let prompt: Prompt = serde_norway::from_str(&text)
                .map_err(|e| Error::config(format!("{source}: invalid prompt file: {e}")))?;
            let schema = stage_schema(stage);
            for (i, example) in prompt.examples.iter().enumerate() {
                example
                    .check(&prompt.user, &schema)
                    .map_err(|why| Error::config(format!("{source}: example {}: {why}", i + 1)))?;
            }
            hasher.update(stage.name());
            hasher.update(&prompt.system);
            hasher.update(&prompt.user);
            hasher.update(examples_text(&prompt));
            let version = version_text(&prompt.version);
            versions.push(format!("{}@{version}", stage.name()));
            prompts.push((stage, prompt));
        }
        let hash: String = hasher
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(PromptSet {
            name,
            language: None,
            with_examples: true,
            versions: versions.join(","),
            hash,
            prompts,
        })
    }

    /// The messages of `stage`, with `{{name}}` placeholders filled, and
    /// the stage's examples in the request's language.
    pub fn render(&self, stage: Stage, vars: &[(&str, &str)]) -> Messages {
        let p = self.stage(stage);
        let user = fill(&p.user, vars);
        let language = match &self.language {
            Some(l) if p.examples.iter().any(|e| e.language.as_ref() == Some(l)) => l.as_str(),
            // The text sent (transcript, notes), not the template's words.
            _ => {
                let values = vars.iter().filter(|(k, _)| *k != "language");
                language_of(&values.map(|(_, v)| *v).collect::<Vec<_>>().join("\n"))
            }
        };
        let examples = p
            .examples
            .iter()
            .filter(|_| self.with_examples)
            .filter(|e| e.language.as_deref().is_none_or(|l| l == language))
            .map(|e| {
                let vars = e.vars();
                let vars: Vec<(&str, &str)> =
                    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                (fill(&p.user, &vars), e.output.to_string())
            })
            .collect();
        Messages {
            system: fill(&p.system, vars),
            examples,
            user,
        }
    }

    /// Every text of the set a model might copy back into the minutes:
    /// the instructions, the templates (placeholders cut out) and the
    /// examples' inputs and answers.
    pub fn scaffolding(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, p) in &self.prompts {
            for template in [&p.system, &p.user] {
                out.extend(
                    template
                        .split("{{")
                        .map(|part| match part.split_once("}}") {
                            Some((_, rest)) => rest.to_string(),
                            None => part.to_string(),
                        }),
                );
            }
            for e in &p.examples {
                out.extend(e.vars().into_iter().map(|(_, v)| v));
                strings(&e.output, &mut out);
            }
        }
        out
    }

    fn stage(&self, stage: Stage) -> &Prompt {
        &self
            .prompts
            .iter()
            .find(|(s, _)| *s == stage)
            .expect("every stage is loaded")
            .1
    }
}

/// A prompt file's `version` as text (`0` when absent).
pub fn version_text(version: &serde_norway::Value) -> String {
    match version {
        serde_norway::Value::Null => "0".to_string(),
        serde_norway::Value::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// The examples of a prompt as one text, for hashes.
fn examples_text(p: &Prompt) -> String {
    p.examples
        .iter()
        .map(|e| format!("{:?}|{:?}|{}", e.language, e.vars(), e.output))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The JSON schema answers of `stage` must match.
fn stage_schema(stage: Stage) -> serde_json::Value {
    match stage {
        Stage::Correct => super::correct::schema().schema,
        _ => super::schema::minutes_schema(),
    }
}

/// Replaces `{{name}}` by its value in one pass, so values containing
/// braces (transcript text) are never expanded again.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let key = after[..close].trim();
                match vars.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[open..open + 4 + close]),
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every string in a JSON value.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_set_loads_and_fills() {
        let set = PromptSet::load(None, None).unwrap();
        assert_eq!(set.name, "default");
        assert_eq!(set.hash.len(), 12);
        assert!(set.versions.contains("map@3"));
        let super::Messages { system, user, .. } = set.render(
            Stage::Map,
            &[("language", "Korean"), ("transcript", "{{language}} x")],
        );
        assert!(system.contains("Write all text in Korean"));
        assert!(
            user.contains("{{language}} x"),
            "values are not expanded again"
        );
    }

    #[test]
    fn override_changes_the_hash_and_missing_templates_fail() {
        let dir = tempfile::tempdir().unwrap();
        let set_dir = dir.path().join("prompts").join("terse");
        std::fs::create_dir_all(&set_dir).unwrap();
        std::fs::write(
            set_dir.join("reduce.yaml"),
            "version: 7\nsystem: be terse\nuser: '{{notes}}'\n",
        )
        .unwrap();
        let base = PromptSet::load(None, Some(dir.path())).unwrap();
        let terse = PromptSet::load(Some("terse"), Some(dir.path())).unwrap();
        assert_ne!(base.hash, terse.hash);
        assert!(terse.versions.contains("reduce@7"));
        assert_eq!(terse.render(Stage::Reduce, &[("notes", "N")]).user, "N");
        assert!(PromptSet::load(Some("nope"), Some(dir.path())).is_err());
    }

    #[test]
    fn the_example_in_the_language_of_the_request_goes_first() {
        let mut set = PromptSet::load(None, None).unwrap();
        for stage in [Stage::Correct, Stage::Map, Stage::Collapse, Stage::Reduce] {
            let languages: Vec<_> = set
                .stage(stage)
                .examples
                .iter()
                .map(|e| e.language.clone())
                .collect();
            assert_eq!(
                languages,
                [Some("en".into()), Some("ko".into())],
                "{stage:?}"
            );
        }
        let korean = [(
            "transcript",
            "[00:01] 다음 주 금요일까지 보고서를 제출합니다.",
        )];
        let m = set.render(Stage::Map, &korean);
        assert_eq!(m.examples.len(), 1);
        assert!(
            m.examples[0]
                .0
                .contains("Part 1 of the meeting, from 00:00 to 00:28"),
            "{}",
            m.examples[0].0
        );
        let answer: serde_json::Value = serde_json::from_str(&m.examples[0].1).unwrap();
        assert_eq!(answer["action_items"][0]["owner"], "민수");
        let english = set.render(Stage::Reduce, &[("notes", "[00:00–01:00] {}")]);
        assert!(
            english.examples[0].0.contains("Meeting length: 07:00."),
            "{}",
            english.examples[0].0
        );
        // -l ko: the Korean example, whatever the transcript's script.
        set.language = Some("ko".into());
        let m = set.render(Stage::Map, &[("transcript", "[00:01] We ship on Friday.")]);
        assert!(m.examples[0].1.contains("민수"));
        set.with_examples = false;
        assert!(set.render(Stage::Map, &korean).examples.is_empty());
    }

    #[test]
    fn an_example_that_breaks_the_schema_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let set_dir = dir.path().join("prompts").join("bad");
        std::fs::create_dir_all(&set_dir).unwrap();
        let file = set_dir.join("map.yaml");
        std::fs::write(
            &file,
            "system: s\nuser: '{{transcript}}'\nexamples:\n  - input: {transcript: t}\n    output: {title: t}\n",
        )
        .unwrap();
        let e = PromptSet::load(Some("bad"), Some(dir.path())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert_eq!(
            e.message(),
            format!("{}: example 1: output.summary is missing", file.display())
        );
    }
}
