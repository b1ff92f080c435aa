//! Text normalisation before scoring: two transcripts that differ only in
//! case, punctuation or contractions should not count as different words.
//!
//! * `none`: split on whitespace, nothing else (case and punctuation count).
//! * `basic`: Unicode lower-case; apostrophes dropped (`don't` → `dont`, so a
//!   recogniser writing `’` and a reference writing `'` agree); a `.` or `,`
//!   between two digits dropped (`1,000` → `1000`, `3.5` → `35`); every
//!   other character that is not a letter, a digit or a combining mark
//!   becomes a space (so `well-known` is two words on both sides alike);
//!   whitespace collapsed. Works for any script: Hangul, Han and Kana are
//!   letters.
//! * `whisper-en`: `basic` after a small English normaliser that expands
//!   contractions (`don't` → `do not`, `won't` → `will not`, `can't` → `can
//!   not`, `I'm` → `i am`, `it's` → `it is`, `'re` → `are`, `'ve` → `have`,
//!   `'ll` → `will`, `'d` → `would`). Numbers stay digits and spelling is
//!   not changed; `Mr.` becomes `mr` by the punctuation rule. A possessive
//!   `'s` is not a contraction and is only dropped, as in `basic`.

/// How text is normalised before it is split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    None,
    Basic,
    WhisperEn,
}

impl Normalize {
    /// The name the flag and the JSON report use.
    pub fn name(self) -> &'static str {
        match self {
            Normalize::None => "none",
            Normalize::Basic => "basic",
            Normalize::WhisperEn => "whisper-en",
        }
    }

    /// The words of `text`, normalised.
    pub fn words(self, text: &str) -> Vec<String> {
        let text = match self {
            Normalize::None => return text.split_whitespace().map(str::to_string).collect(),
            Normalize::Basic => basic(&text.to_lowercase()),
            Normalize::WhisperEn => basic(&contractions(&unify_apostrophes(&text.to_lowercase()))),
        };
        text.split_whitespace().map(str::to_string).collect()
    }
}

/// Letters, digits and combining marks stay; apostrophes go; a `.` or `,`
/// inside a number goes; anything else becomes a space.
fn basic(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if is_apostrophe(c) {
            continue;
        }
        if c.is_alphanumeric() || is_combining_mark(c) {
            out.push(c);
        } else if matches!(c, '.' | ',') && between_digits(&chars, i) {
            continue;
        } else {
            out.push(' ');
        }
    }
    out
}

fn between_digits(chars: &[char], i: usize) -> bool {
    i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}')
}

/// Marks that belong to the letter before them (accents written as a
/// separate code point, Thai tone marks, Kana voicing marks). Rust's
/// `is_alphabetic` already covers the vowel signs of Indic scripts.
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0E47}'..='\u{0E4E}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{3099}'..='\u{309A}'
        | '\u{FE20}'..='\u{FE2F}')
}

fn unify_apostrophes(text: &str) -> String {
    text.chars()
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect()
}

/// Expands English contractions in lower-case text with plain apostrophes.
fn contractions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            word.push(c);
        } else {
            out.push_str(&expand(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&expand(&word));
    out
}

/// One word with its contractions spelled out; other words as they are.
fn expand(word: &str) -> String {
    match word {
        "won't" => return "will not".into(),
        "can't" => return "can not".into(),
        "shan't" => return "shall not".into(),
        "i'm" => return "i am".into(),
        "let's" => return "let us".into(),
        "it's" | "that's" | "what's" | "there's" | "here's" | "he's" | "she's" | "who's"
        | "where's" | "how's" => return format!("{} is", &word[..word.len() - 2]),
        _ => {}
    }
    for (suffix, full) in [
        ("n't", "not"),
        ("'re", "are"),
        ("'ve", "have"),
        ("'ll", "will"),
        ("'d", "would"),
        ("'m", "am"),
    ] {
        if let Some(stem) = word.strip_suffix(suffix)
            && !stem.is_empty()
            && !stem.ends_with('\'')
        {
            // "couldn't've": the stem may hold a contraction of its own.
            return format!("{} {full}", expand(stem));
        }
    }
    word.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: Normalize, text: &str) -> Vec<String> {
        n.words(text)
    }

    #[test]
    fn none_only_splits_on_whitespace() {
        assert_eq!(
            words(Normalize::None, "  Hello,\tWorld!\n"),
            ["Hello,", "World!"]
        );
    }

    #[test]
    fn basic_lowercases_and_drops_punctuation() {
        assert_eq!(
            words(
                Normalize::Basic,
                "Hello, World! Don’t stop—Mr. Ünal's well-known 1,000 3.5%"
            ),
            [
                "hello", "world", "dont", "stop", "mr", "ünals", "well", "known", "1000", "35"
            ]
        );
        assert_eq!(
            words(Normalize::Basic, "“안녕하세요.” 반갑습니다!"),
            ["안녕하세요", "반갑습니다"]
        );
        // A combining accent stays with its letter.
        assert_eq!(words(Normalize::Basic, "Cafe\u{301}!"), ["cafe\u{301}"]);
        assert!(words(Normalize::Basic, " ... — !? ").is_empty());
    }

    #[test]
    fn whisper_en_expands_contractions() {
        assert_eq!(
            words(
                Normalize::WhisperEn,
                "Don't, won't, can't! I'm sure it's fine; we're here, they've gone, you'll see, she'd go."
            ),
            [
                "do", "not", "will", "not", "can", "not", "i", "am", "sure", "it", "is", "fine",
                "we", "are", "here", "they", "have", "gone", "you", "will", "see", "she", "would",
                "go"
            ]
        );
        assert_eq!(
            words(Normalize::WhisperEn, "Couldn’t’ve. John's car, Mrs. Smith"),
            ["could", "not", "have", "johns", "car", "mrs", "smith"]
        );
        assert_eq!(words(Normalize::Basic, "don't it's"), ["dont", "its"]);
    }
}
