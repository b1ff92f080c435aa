//! The language the minutes are written in, and whether an answer is in it.
//!
//! Small models follow "write in Korean (한국어)" far better than "write in
//! the language of the transcript", so the language is named plainly, in
//! English and in its own words. When none is asked for (`-l`), it is the
//! recording's: the language whisper detected or was told, or that of the
//! transcript file; before that is known, the script the chunk is written
//! in (Hangul is Korean), else the generic phrase.
//!
//! An answer in the wrong script (a Korean meeting summarised in English)
//! is noticed mechanically: the share of its letters written in the
//! language's script. Languages in the Latin script are not told apart this
//! way (a Spanish meeting answered in English passes).

/// The text of minutes a reader reads, in one string: title, summary and
/// items, without the quotes (copied from the transcript, so in its
/// language whatever the rest is in) and without names.
pub fn prose(m: &super::schema::Minutes) -> String {
    let mut out = vec![m.title.as_str()];
    out.extend(m.summary.iter().map(String::as_str));
    out.extend(m.decisions.iter().map(|d| d.decision.as_str()));
    out.extend(m.action_items.iter().map(|a| a.task.as_str()));
    out.extend(m.open_questions.iter().map(|q| q.question.as_str()));
    out.extend(m.topics.iter().map(|t| t.title.as_str()));
    out.join("\n")
}

/// Writing systems told apart by their letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    Hangul,
    /// Kana and the Han characters Japanese writes with.
    Japanese,
    Han,
    Cyrillic,
    Greek,
    Arabic,
    Hebrew,
    Thai,
    Devanagari,
}

/// The language's own name for itself, for the languages most meetings are in.
fn native(code: &str) -> Option<&'static str> {
    Some(match code {
        "ko" => "한국어",
        "ja" => "日本語",
        "zh" => "中文",
        "es" => "español",
        "de" => "Deutsch",
        "fr" => "français",
        "it" => "italiano",
        "pt" => "português",
        "nl" => "Nederlands",
        "ru" => "русский",
        "uk" => "українська",
        "pl" => "polski",
        "tr" => "Türkçe",
        "vi" => "Tiếng Việt",
        "id" => "Bahasa Indonesia",
        "th" => "ไทย",
        "hi" => "हिन्दी",
        "ar" => "العربية",
        "he" => "עברית",
        "el" => "Ελληνικά",
        "sv" => "svenska",
        "da" => "dansk",
        "no" => "norsk",
        "fi" => "suomi",
        "cs" => "čeština",
        _ => return None,
    })
}

/// The English name of a language code whisper knows (`ko` → `Korean`).
pub fn english_name(code: &str) -> Option<String> {
    let id = whisper_rs::get_lang_id(code)?;
    let full = whisper_rs::get_lang_str_full(id)?;
    let mut chars = full.chars();
    Some(
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default(),
    )
}

/// How the prompts name the language: `Korean (한국어)`, `English`.
pub fn prompt_name(code: &str) -> Option<String> {
    let english = english_name(code)?;
    Some(match native(code) {
        Some(own) => format!("{english} ({own})"),
        None => english,
    })
}

/// What the prompts say when the language is not known.
pub const UNKNOWN: &str = "the language of the transcript";

/// The script a language is written in, where it tells it apart from English.
pub fn script_of(code: &str) -> Option<Script> {
    Some(match code {
        "ko" => Script::Hangul,
        "ja" => Script::Japanese,
        "zh" | "yue" => Script::Han,
        "ru" | "uk" | "bg" | "sr" | "mk" | "be" | "kk" | "mn" => Script::Cyrillic,
        "el" => Script::Greek,
        "ar" | "fa" | "ur" | "ps" => Script::Arabic,
        "he" | "yi" => Script::Hebrew,
        "th" => Script::Thai,
        "hi" | "mr" | "ne" | "sa" => Script::Devanagari,
        _ => return None,
    })
}

fn script_of_char(c: char) -> Option<Script> {
    let u = c as u32;
    Some(match u {
        0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F => Script::Hangul,
        0x3040..=0x30FF | 0x31F0..=0x31FF => Script::Japanese,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => Script::Han,
        0x0400..=0x04FF => Script::Cyrillic,
        0x0370..=0x03FF => Script::Greek,
        0x0600..=0x06FF => Script::Arabic,
        0x0590..=0x05FF => Script::Hebrew,
        0x0E00..=0x0E7F => Script::Thai,
        0x0900..=0x097F => Script::Devanagari,
        _ if c.is_alphabetic() => Script::Latin,
        _ => return None,
    })
}

/// Letters of each script in `text`, for the scripts that occur.
fn counts(text: &str) -> Vec<(Script, usize)> {
    let mut out: Vec<(Script, usize)> = Vec::new();
    for s in text.chars().filter_map(script_of_char) {
        match out.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => out.push((s, 1)),
        }
    }
    out
}

/// Whether `text` is written in `script`: at least half of its letters are
/// (names, product names and code in Latin letters may fill the rest).
/// Han characters count for Japanese, which writes with them.
pub fn written_in(text: &str, script: Script) -> bool {
    let counts = counts(text);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return true;
    }
    let ours: usize = counts
        .iter()
        .filter(|(s, _)| *s == script || (script == Script::Japanese && *s == Script::Han))
        .map(|(_, n)| n)
        .sum();
    ours * 2 >= total
}

/// The language a transcript's text is plainly written in, told by its
/// script alone: `ko` for Hangul, `ja` where kana appear, and so on. `None`
/// for Latin script and for text too short to tell.
pub fn guess(text: &str) -> Option<&'static str> {
    let counts = counts(text);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    if total < 10 {
        return None;
    }
    let count = |s: Script| counts.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n);
    if count(Script::Japanese) * 10 >= total {
        return Some("ja");
    }
    let (top, n) = counts.iter().max_by_key(|(_, n)| *n).copied()?;
    if n * 2 < total {
        return None;
    }
    Some(match top {
        Script::Hangul => "ko",
        Script::Han => "zh",
        Script::Cyrillic => "ru",
        Script::Greek => "el",
        Script::Arabic => "ar",
        Script::Hebrew => "he",
        Script::Thai => "th",
        Script::Devanagari => "hi",
        Script::Latin | Script::Japanese => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_named_in_english_and_in_their_own_words() {
        assert_eq!(prompt_name("ko").as_deref(), Some("Korean (한국어)"));
        assert_eq!(prompt_name("en").as_deref(), Some("English"));
        assert_eq!(prompt_name("xx"), None);
    }

    #[test]
    fn an_answer_in_the_wrong_script_is_noticed() {
        assert!(written_in("배포는 다음 주 화요일로 한다", Script::Hangul));
        assert!(written_in("v2.4 배포는 QA 이후 화요일", Script::Hangul));
        assert!(!written_in(
            "Set the release date to October 10th.",
            Script::Hangul
        ));
        assert!(written_in("リリースは来週の火曜日に決定", Script::Japanese));
        assert!(written_in("", Script::Hangul));
    }

    #[test]
    fn a_transcript_plainly_in_one_script_tells_its_language() {
        assert_eq!(
            guess("출시 일정을 다음 달 십오일로 확정하려고 합니다"),
            Some("ko")
        );
        assert_eq!(guess("来週の火曜日にリリースします"), Some("ja"));
        assert_eq!(guess("We move the release to March 14."), None);
        assert_eq!(guess("네"), None);
    }
}
