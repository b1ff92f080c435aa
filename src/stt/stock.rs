//! Whisper's stock phrases: the sign-offs of the videos and broadcasts it
//! was trained on ("시청해주셔서 감사합니다", "구독과 좋아요", "MBC 뉴스
//! …입니다", "Thank you for watching"), which it writes on silence, music
//! and noise that the voice detector let through.
//!
//! The one place recognised text is deleted, so the rule is narrow: a
//! segment is dropped only when its whole text is made of such phrases (a
//! phrase inside a sentence stays) **and** the audio under it holds little
//! speech (fewer than [`MIN_VOICED`] of its frames voiced). A real "thank
//! you" at the end of a meeting is speech and stays. The phrases are kept per
//! language in `data/hallucinations/<lang>.txt`, one a line, `*` for a few
//! characters (a reporter's name).

use std::sync::OnceLock;

use regex::Regex;

use super::vad;

/// Below this share of voiced frames a segment's audio is not speech.
pub const MIN_VOICED: f32 = 0.35;

const LISTS: [(&str, &str); 4] = [
    ("en", include_str!("../../data/hallucinations/en.txt")),
    ("ko", include_str!("../../data/hallucinations/ko.txt")),
    ("ja", include_str!("../../data/hallucinations/ja.txt")),
    ("zh", include_str!("../../data/hallucinations/zh.txt")),
];

/// Lower-case letters and digits only.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// One pattern per language: the whole (compacted) text is one or more phrases.
fn patterns() -> &'static Vec<(&'static str, Regex)> {
    static PATTERNS: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        LISTS
            .iter()
            .map(|(language, list)| {
                let phrases: Vec<String> = list
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(|l| {
                        let parts: Vec<String> =
                            l.split('*').map(|p| regex::escape(&compact(p))).collect();
                        parts.join(r"\w{1,12}")
                    })
                    .collect();
                let pattern = format!("^(?:{})+$", phrases.join("|"));
                (
                    *language,
                    Regex::new(&pattern).expect("the phrase lists are valid"),
                )
            })
            .collect()
    })
}

/// Whether `text` is nothing but stock phrases of `language` (a code; for
/// `auto` or an unknown language, of any list).
pub fn is_stock_phrase(text: &str, language: &str) -> bool {
    let text = compact(text);
    if text.is_empty() {
        return false;
    }
    patterns()
        .iter()
        .filter(|(l, _)| {
            language == "auto" || *l == language || !LISTS.iter().any(|(k, _)| *k == language)
        })
        .any(|(_, re)| re.is_match(&text))
}

/// Share of voiced frames in `samples` (16 kHz mono).
pub fn voiced_share(samples: &[f32]) -> f32 {
    let flags = vad::voiced_frames(samples);
    if flags.is_empty() {
        return 0.0;
    }
    flags.iter().filter(|v| **v).count() as f32 / flags.len() as f32
}

/// Whether a segment with `text` over `samples` is a stock phrase on
/// something other than speech.
pub fn is_invented(text: &str, language: &str, samples: &[f32]) -> bool {
    is_stock_phrase(text, language) && voiced_share(samples) < MIN_VOICED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_segments_of_stock_phrases_match() {
        for (text, language) in [
            ("시청해주셔서 감사합니다.", "ko"),
            (
                "시청해 주셔서 감사합니다. 구독과 좋아요 부탁드립니다!",
                "ko",
            ),
            ("MBC 뉴스 이덕영입니다.", "ko"),
            ("Thank you for watching!", "en"),
            ("Thank you. Thank you.", "en"),
            ("ご視聴ありがとうございました", "auto"),
            ("구독과 좋아요", "auto"),
        ] {
            assert!(is_stock_phrase(text, language), "{text}");
        }
        for (text, language) in [
            ("예산은 다음 주에 시청해주셔서 감사합니다 하고 끝내죠", "ko"),
            ("Thank you for the report, Mina.", "en"),
            (
                "MBC 뉴스 이덕영입니다 그리고 오늘의 날씨는 맑겠습니다",
                "ko",
            ),
            ("시청해주셔서 감사합니다", "en"),
            ("", "ko"),
        ] {
            assert!(!is_stock_phrase(text, language), "{text}");
        }
    }

    #[test]
    fn a_stock_phrase_is_invented_over_noise_not_over_speech() {
        let fixture = |name: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/gen")
                .join(name);
            crate::media::decode_all(&path).unwrap().1
        };
        // Real speech (JFK), a mains hum and pink noise, four seconds each.
        let speech = fixture("jfk.wav");
        let speech = &speech[16_000..16_000 * 5];
        for name in ["hum-30s.wav", "noise-30s.wav"] {
            let noise = fixture(name);
            let noise = &noise[..16_000 * 4];
            assert!(
                voiced_share(noise) < MIN_VOICED,
                "{name}: {}",
                voiced_share(noise)
            );
            assert!(
                is_invented("Thank you for watching.", "en", noise),
                "{name}"
            );
            assert!(
                !is_invented("We meet again on Friday.", "en", noise),
                "{name}"
            );
        }
        assert!(
            voiced_share(speech) > MIN_VOICED,
            "{}",
            voiced_share(speech)
        );
        assert!(!is_invented("Thank you for watching.", "en", speech));
    }
}
