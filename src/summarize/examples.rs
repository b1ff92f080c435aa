//! Few-shot examples of a prompt stage: an input (the values of the user
//! template's placeholders) and the answer expected, sent before the real
//! request as a prior user and assistant turn.
//!
//! Small models follow a shown answer far better than a described one
//! (evidence quotes, owners only when named, nulls for unknown dates), so
//! the default set ships one example per stage in English and one in
//! Korean. Only the example in the language of the request is sent, which
//! keeps the prompt short: the one of `-l` when given, else the one of the
//! text's script (Hangul → `ko`, anything else → `en`). Examples without a
//! `language` are always sent.
//!
//! Every example is checked when the prompt set is loaded: its input must
//! fill every placeholder of the user template, and its answer must match
//! the stage's JSON schema. A wrong example would teach the model a wrong
//! shape, so it is an error, not a warning.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One example of a stage, as written in the prompt YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// `en`, `ko`, …; none: sent whatever the language.
    #[serde(default)]
    pub language: Option<String>,
    /// Values of the user template's placeholders.
    pub input: BTreeMap<String, serde_norway::Value>,
    /// The answer, as YAML (sent as JSON).
    pub output: Value,
}

impl Example {
    /// Checks the example against the stage's user template and schema.
    /// `Err` says what is wrong, with the path of a wrong answer field.
    pub fn check(&self, user_template: &str, schema: &Value) -> Result<(), String> {
        for name in placeholders(user_template) {
            if !self.input.contains_key(&name) {
                return Err(format!("input has no value for {{{{{name}}}}}"));
            }
        }
        for (name, value) in &self.input {
            if !placeholders(user_template).any(|p| p == *name) {
                return Err(format!(
                    "input {name} is not a placeholder of the user template"
                ));
            }
            if text(value).is_none() {
                return Err(format!("input {name} must be text"));
            }
        }
        validate(&self.output, schema, "output")
    }

    /// The input's values as text, for the template.
    pub fn vars(&self) -> Vec<(String, String)> {
        let values = self.input.iter();
        values
            .filter_map(|(k, v)| text(v).map(|t| (k.clone(), t)))
            .collect()
    }
}

fn text(v: &serde_norway::Value) -> Option<String> {
    match v {
        serde_norway::Value::String(s) => Some(s.clone()),
        serde_norway::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `{{name}}` placeholders of a template.
fn placeholders(template: &str) -> impl Iterator<Item = String> + '_ {
    template.split("{{").skip(1).filter_map(|part| {
        let (name, _) = part.split_once("}}")?;
        let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        ok.then(|| name.to_string())
    })
}

/// The language an example must have to go with `text`: `ko` when most of
/// its letters are Hangul, else `en`.
pub fn language_of(text: &str) -> &'static str {
    let (mut hangul, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        hangul +=
            usize::from(matches!(c as u32, 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F));
    }
    if letters > 0 && hangul * 3 >= letters {
        "ko"
    } else {
        "en"
    }
}

/// Checks `value` against the part of JSON Schema our schemas use: `type`
/// (one or several), `properties`, `required`, `additionalProperties:
/// false`, `items`, `minItems`/`maxItems`, `minLength`/`maxLength`,
/// `minimum`.
pub fn validate(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = |t: &&str| *t == kind || (*t == "number" && kind == "integer");
    if !types.is_empty() && !types.iter().any(fits) {
        return Err(format!("{path} must be {}, not {kind}", types.join(" or ")));
    }
    let bound = |key: &str| schema[key].as_u64().map(|n| n as usize);
    match value {
        Value::Object(fields) => {
            let props = schema["properties"].as_object();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    return Err(format!("{path}.{name} is missing"));
                }
            }
            for (name, v) in fields {
                match props.and_then(|p| p.get(name)) {
                    Some(s) => validate(v, s, &format!("{path}.{name}"))?,
                    None if schema["additionalProperties"] == Value::Bool(false) => {
                        return Err(format!("{path}.{name} is not a field of the schema"));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if bound("maxItems").is_some_and(|max| items.len() > max) {
                return Err(format!("{path} has more than {} items", schema["maxItems"]));
            }
            if bound("minItems").is_some_and(|min| items.len() < min) {
                return Err(format!(
                    "{path} has fewer than {} items",
                    schema["minItems"]
                ));
            }
            for (i, item) in items.iter().enumerate() {
                validate(item, &schema["items"], &format!("{path}[{i}]"))?;
            }
        }
        Value::String(s) => {
            let n = s.chars().count();
            if bound("maxLength").is_some_and(|max| n > max) {
                return Err(format!(
                    "{path} is longer than {} characters",
                    schema["maxLength"]
                ));
            }
            if bound("minLength").is_some_and(|min| n < min) {
                return Err(format!(
                    "{path} is shorter than {} characters",
                    schema["minLength"]
                ));
            }
        }
        Value::Number(n) => {
            if let (Some(min), Some(v)) = (schema["minimum"].as_f64(), n.as_f64())
                && v < min
            {
                return Err(format!("{path} is less than {min}"));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_that_break_the_schema_are_named_by_path() {
        let schema = crate::summarize::schema::minutes_schema();
        let good = json!({"title": "t", "summary": ["s"], "decisions": [{"decision": "d",
            "evidence": [{"time": "00:01", "quote": "we do it"}]}], "action_items": [],
            "open_questions": [], "topics": [], "participants": []});
        assert_eq!(validate(&good, &schema, "output"), Ok(()));
        let mut missing = good.clone();
        missing["decisions"][0]["evidence"][0]
            .as_object_mut()
            .unwrap()
            .remove("quote");
        assert_eq!(
            validate(&missing, &schema, "output").unwrap_err(),
            "output.decisions[0].evidence[0].quote is missing"
        );
        let mut extra = good.clone();
        extra["decisions"][0]["time"] = json!("00:01");
        assert_eq!(
            validate(&extra, &schema, "output").unwrap_err(),
            "output.decisions[0].time is not a field of the schema"
        );
        let mut wrong = good.clone();
        wrong["open_questions"] = json!(["a bare string"]);
        assert_eq!(
            validate(&wrong, &schema, "output").unwrap_err(),
            "output.open_questions[0] must be object, not string"
        );
        let mut empty = good;
        empty["summary"] = json!([]);
        assert!(
            validate(&empty, &schema, "output")
                .unwrap_err()
                .contains("fewer than 1")
        );
    }

    #[test]
    fn inputs_must_fill_the_template_exactly() {
        let example = |input: &str| Example {
            language: None,
            input: serde_norway::from_str(input).unwrap(),
            output: json!({"segments": []}),
        };
        let schema = json!({"type": "object"});
        let template = "{{glossary}}\n<t>{{segments}}</t>";
        assert_eq!(
            example("glossary: g\nsegments: s").check(template, &schema),
            Ok(())
        );
        assert_eq!(
            example("glossary: g").check(template, &schema).unwrap_err(),
            "input has no value for {{segments}}"
        );
        assert!(
            example("glossary: g\nsegments: s\nnotes: n")
                .check(template, &schema)
                .is_err()
        );
        assert!(
            example("glossary: g\nsegments: [a]")
                .check(template, &schema)
                .is_err()
        );
    }

    #[test]
    fn the_script_picks_the_language() {
        assert_eq!(
            language_of("[00:01] S1: 다음 주 금요일까지 보고서를 제출합니다. OK"),
            "ko"
        );
        assert_eq!(language_of("[00:01] S1: We ship on Friday, 금요일."), "en");
        assert_eq!(language_of(""), "en");
    }
}
