//! Minutes files to score: the JSON `summarize -f json` writes (its
//! `minutes` object; a bare minutes object is taken too), or a markdown
//! document read back by [`crate::render::read`].
//!
//! The minutes schema gives every field a default, so any JSON object would
//! parse as (empty) minutes; a file is taken for minutes only when it has a
//! `minutes` object or every key of it is a field of the minutes. A
//! transcript or report given by mistake is then an error naming the file,
//! not a row of zeros.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::summarize::schema::Minutes;

/// The file types minutes may have.
const KINDS: &str = ".json (what `summarize -f json` writes) or .md";

/// Reads one minutes file; a fault names the file and says why.
pub fn file(path: &Path) -> Result<Minutes> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let bad = |why: String| Error::file(ErrorKind::BadInput, path, why);
    if !matches!(ext.as_str(), "json" | "md" | "markdown") {
        let what = match ext.is_empty() {
            true => "no file extension".to_string(),
            false => format!("unsupported file type .{ext}"),
        };
        return Err(bad(what).with_hint(format!("use {KINDS}")));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match ext.as_str() {
        "json" => json(text)
            .map_err(|why| bad(why).with_hint("give the JSON of `minutes summarize -f json`")),
        _ => markdown(text).map_err(bad),
    }
}

/// The minutes of a JSON document (`summarize -f json`'s, or a bare
/// minutes object); `Err` is the reason.
pub fn json(text: &str) -> std::result::Result<Minutes, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut doc) = value else {
        return Err("not minutes: the JSON is not an object".into());
    };
    let minutes = match doc.remove("minutes") {
        Some(m) => m,
        None => {
            let fields = fields();
            if let Some(key) = doc.keys().find(|k| !fields.contains(k)) {
                return Err(format!(
                    "not minutes: no `minutes` object, and `{key}` is not a field of minutes"
                ));
            }
            if doc.is_empty() {
                return Err("not minutes: an empty object".into());
            }
            Value::Object(doc)
        }
    };
    serde_json::from_value(minutes.clone()).map_err(|e| match wrong_field(&minutes) {
        Some(why) => format!("not minutes: {why}"),
        None => format!("not minutes: {e}"),
    })
}

/// `key: reason` for the first field of `minutes` that does not parse, so
/// the message says where the fault is (`serde_json` values carry no lines).
fn wrong_field(minutes: &Value) -> Option<String> {
    let Value::Object(fields) = minutes else {
        return None;
    };
    fields.iter().find_map(|(key, value)| {
        let one = Value::Object([(key.clone(), value.clone())].into_iter().collect());
        serde_json::from_value::<Minutes>(one)
            .err()
            .map(|e| format!("{key}: {e}"))
    })
}

/// The top-level fields of [`Minutes`], as serialised.
fn fields() -> Vec<String> {
    match serde_json::to_value(Minutes::default()) {
        Ok(Value::Object(o)) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The minutes of a markdown document; one with no title and no items is
/// not minutes.
fn markdown(text: &str) -> std::result::Result<Minutes, String> {
    let doc = crate::render::read::markdown(text);
    if doc.minutes == Minutes::default() {
        return Err(
            "no minutes in it: no title and no items under headings such as ## Decisions".into(),
        );
    }
    Ok(doc.minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn the_tools_json_and_bare_minutes_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let doc = write(
            dir.path(),
            "m.json",
            r#"{"minutes": {"title": "Sync", "decisions": [{"decision": "Ship", "evidence": ["we ship it"]}]},
                "provenance": {}, "report": {}}"#,
        );
        let m = file(&doc).unwrap();
        assert_eq!(m.title, "Sync");
        assert_eq!(m.decisions[0].evidence[0].quote, "we ship it");
        let bare = write(dir.path(), "bare.JSON", r#"{"open_questions": ["Why?"]}"#);
        assert_eq!(file(&bare).unwrap().open_questions[0].question, "Why?");
    }

    #[test]
    fn markdown_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let md = write(
            dir.path(),
            "m.md",
            "---\ntitle: Sync\n---\n\n# Sync\n\n## Decisions\n\n- Ship it [00:05]\n\n\
             ## Action items\n\n- [ ] Update the changelog — Jin (Friday)\n",
        );
        let m = file(&md).unwrap();
        assert_eq!(m.decisions[0].decision, "Ship it");
        assert_eq!(m.action_items[0].owner.as_deref(), Some("Jin"));
        assert!(m.decisions[0].evidence.is_empty());
    }

    #[test]
    fn what_is_not_minutes_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text, why) in [
            (
                "t.json",
                r#"{"source": "a.wav", "segments": []}"#,
                "is not a field of minutes",
            ),
            ("e.json", "{}", "an empty object"),
            ("a.json", "[1]", "not an object"),
            ("b.json", "{", "not json"),
            (
                "w.json",
                r#"{"minutes": {"decisions": "x"}}"#,
                "invalid type",
            ),
            ("n.md", "# \n\nJust notes.\n", "no minutes in it"),
            ("m.txt", "x", "unsupported file type .txt"),
            ("noext", "x", "no file extension"),
        ] {
            let e = file(&write(dir.path(), name, text)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadInput, "{name}");
            let msg = e.message().to_lowercase();
            assert!(
                msg.contains(name) && msg.contains(&why.to_lowercase()),
                "{name}: {msg}"
            );
        }
        let e = file(&dir.path().join("missing.json")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingInput);
    }
}
