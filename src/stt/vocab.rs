//! The byte-level BPE vocabulary of a CTranslate2 Whisper model, as the raw
//! token bytes whisper.cpp stores.
//!
//! CTranslate2 and Hugging Face keep GPT-2's printable stand-ins for bytes
//! ("Ġ" for a space); whisper.cpp wants the bytes themselves. Only the
//! regular tokens (before `<|endoftext|>`) are written: whisper.cpp adds the
//! special ones itself.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

const EOT: &str = "<|endoftext|>";

/// GPT-2's byte ↔ printable-character table, inverted: char → byte.
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from('!')..=u32::from('~')).collect();
    printable.extend(u32::from('¡')..=u32::from('¬'));
    printable.extend(u32::from('®')..=u32::from('ÿ'));
    let mut map = HashMap::new();
    let mut next = 0u32;
    for b in 0u32..256 {
        let c = if printable.contains(&b) {
            b
        } else {
            next += 1;
            255 + next
        };
        if let Some(ch) = char::from_u32(c) {
            map.insert(ch, b as u8);
        }
    }
    map
}

fn decode(token: &str, table: &HashMap<char, u8>) -> Vec<u8> {
    token
        .chars()
        .map(|c| table.get(&c).copied())
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_else(|| token.as_bytes().to_vec())
}

/// Regular tokens of the model in `dir`, as bytes, in id order.
pub fn load(dir: &Path) -> Result<Vec<Vec<u8>>> {
    let txt = dir.join("vocabulary.txt");
    let json = dir.join("tokenizer.json");
    let by_id: Vec<String> = if txt.exists() {
        let text = std::fs::read_to_string(&txt).map_err(|e| Error::read(&txt, &e))?;
        text.lines().map(str::to_string).collect()
    } else if json.exists() {
        from_tokenizer_json(&json)?
    } else {
        return Err(Error::file(
            ErrorKind::BadInput,
            dir,
            "no vocabulary.txt or tokenizer.json in the model directory",
        ));
    };
    let source = if txt.exists() { &txt } else { &json };
    let eot = by_id
        .iter()
        .position(|t| t == EOT)
        .ok_or_else(|| Error::file(ErrorKind::BadInput, source, format!("no {EOT} token")))?;
    let table = unicode_to_byte();
    Ok(by_id[..eot].iter().map(|t| decode(t, &table)).collect())
}

fn from_tokenizer_json(path: &Path) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Model {
        vocab: HashMap<String, usize>,
    }
    #[derive(serde::Deserialize)]
    struct Added {
        id: usize,
        content: String,
    }
    #[derive(serde::Deserialize)]
    struct Tokenizer {
        model: Model,
        #[serde(default)]
        added_tokens: Vec<Added>,
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, &e))?;
    let tok: Tokenizer = serde_json::from_str(&text).map_err(|e| {
        Error::file(
            ErrorKind::BadInput,
            path,
            format!("not a tokenizer file: {e}"),
        )
    })?;
    let mut entries: Vec<(usize, String)> =
        tok.model.vocab.into_iter().map(|(t, i)| (i, t)).collect();
    entries.extend(tok.added_tokens.into_iter().map(|a| (a.id, a.content)));
    entries.sort();
    entries.dedup_by_key(|e| e.0);
    Ok(entries.into_iter().map(|(_, t)| t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_stand_ins_become_bytes() {
        let t = unicode_to_byte();
        assert_eq!(t.len(), 256);
        assert_eq!(decode("Ġthe", &t), b" the");
        assert_eq!(decode("Ċ", &t), b"\n");
        assert_eq!(decode("hello", &t), b"hello");
        // "ì•Ī" is how GPT-2 spells the UTF-8 bytes of "안".
        assert_eq!(decode("ìķĪ", &t), "안".as_bytes());
    }
}
