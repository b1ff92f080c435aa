//! Answers sized to the task. A small model fills whatever room it is
//! given (a list to its last item, a string to its last letter) and, asked
//! for more than a part of the meeting holds, invents or repeats; the
//! output budget it was given then runs out, and asking again with a
//! larger one doubles the cost of an answer that was rambling anyway.
//!
//! So each call's room follows from its input and its schema: the lists
//! are bounded by what that much talk can hold ([`Bounds::for_talk`]), and
//! the output budget is the most an answer within those bounds can take
//! ([`answer_tokens`]), which a server that turns the schema into a grammar
//! (the bundled one) cannot exceed. An answer cut off anyway (a server that
//! ignores string lengths) is not asked again at full length: its part is
//! halved.

use serde_json::Value;

use super::Bounds;
use crate::summarize::language::Script;

/// Tokens of talk that make room for one more decision, action item or
/// open question (a fast exchange settles one in two short turns).
const TALK_PER_ITEM: usize = 50;

impl Bounds {
    /// These bounds narrowed to what `tokens` tokens of talk can hold: one
    /// decision, action item and question at least, never more than the
    /// bounds themselves. Summary lines and topics keep their bounds: they
    /// say what was talked about, however little, and carry no evidence.
    pub fn for_talk(self, tokens: usize) -> Bounds {
        let room = |max: u32, per: usize| max.min(u32::try_from(tokens / per + 1).unwrap_or(max));
        Bounds {
            decisions: room(self.decisions, TALK_PER_ITEM),
            actions: room(self.actions, TALK_PER_ITEM),
            questions: room(self.questions, TALK_PER_ITEM),
            ..self
        }
    }
}

/// Tokens one letter of a string value takes, at most, in the script the
/// answer is written in: byte-pair vocabularies hold whole English words
/// (four or five letters a token) but often one Hangul or Han syllable.
fn per_letter(script: Option<Script>) -> f64 {
    match script {
        None | Some(Script::Latin) => 0.4,
        Some(Script::Hangul | Script::Japanese | Script::Han | Script::Thai) => 1.0,
        Some(_) => 0.7,
    }
}

/// The most tokens an answer admitted by `schema` takes when written in
/// `script`: every list at its `maxItems`, every string at its
/// `maxLength`, the JSON around them a token per two characters, and room
/// for the whitespace of an indented answer.
pub fn answer_tokens(schema: &Value, script: Option<Script>) -> u32 {
    let Size { letters, syntax } = size(schema);
    let tokens = letters * per_letter(script) + syntax / 2.0;
    (tokens * 1.1).ceil() as u32 + 16
}

/// Letters of string values and characters of JSON syntax.
#[derive(Default, Clone, Copy)]
struct Size {
    letters: f64,
    syntax: f64,
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, o: Size) -> Size {
        Size {
            letters: self.letters + o.letters,
            syntax: self.syntax + o.syntax,
        }
    }
}

/// Lists without `maxItems` are counted at this many items.
const UNBOUNDED_ITEMS: f64 = 8.0;
/// Strings without `maxLength` are counted at this many letters.
const UNBOUNDED_LETTERS: f64 = 200.0;
/// Indentation and line breaks around one property or item.
const WHITESPACE: f64 = 6.0;

fn size(schema: &Value) -> Size {
    let of = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        return props.iter().fold(
            Size {
                letters: 0.0,
                syntax: 2.0,
            },
            |acc, (key, v)| {
                acc + Size {
                    letters: 0.0,
                    syntax: key.len() as f64 + 4.0 + WHITESPACE,
                } + size(v)
            },
        );
    }
    if let Some(items) = schema.get("items") {
        let n = of("maxItems").unwrap_or(UNBOUNDED_ITEMS);
        let one = size(items);
        return Size {
            letters: one.letters * n,
            syntax: 2.0 + (one.syntax + 1.0 + WHITESPACE) * n,
        };
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"string") {
        return Size {
            letters: of("maxLength").unwrap_or(UNBOUNDED_LETTERS),
            syntax: 2.0,
        };
    }
    // Numbers, booleans, null.
    Size {
        letters: 0.0,
        syntax: 6.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::schema::bounded_schema;

    #[test]
    fn less_talk_leaves_less_room() {
        let b = Bounds::COMPACT;
        let short = b.for_talk(30);
        assert_eq!((short.decisions, short.actions, short.questions), (1, 1, 1));
        assert_eq!(short.summary, b.summary);
        assert_eq!(b.for_talk(1_000_000), b);
        let mid = b.for_talk(120);
        assert_eq!((mid.decisions, mid.actions, mid.questions), (3, 3, 3));
    }

    #[test]
    fn the_budget_holds_a_full_answer_and_follows_the_room() {
        let full = bounded_schema(Bounds::COMPACT);
        let short = bounded_schema(Bounds::COMPACT.for_talk(30));
        let latin = answer_tokens(&full, Some(Script::Latin));
        assert!(answer_tokens(&short, Some(Script::Latin)) * 4 < latin * 3);
        // Korean takes more tokens per letter than English.
        assert!(answer_tokens(&full, Some(Script::Hangul)) > latin * 2);
        // A string of 100 letters at most, in a list of 3 at most.
        let list = serde_json::json!({"type": "array", "maxItems": 3,
            "items": {"type": "string", "maxLength": 100}});
        let tokens = answer_tokens(&list, None);
        assert!((3 * 40..3 * 40 + 60).contains(&tokens), "{tokens}");
    }
}
