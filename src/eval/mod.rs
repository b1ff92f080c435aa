//! Measuring what the pipeline makes against references, so a change of
//! model, decoding, prompt or pre-processing can be judged by a number
//! instead of by reading: transcripts by word and character error rate
//! (`minutes eval transcript`), minutes by how many of their items rest on
//! what was said and how many expected facts they state (`minutes eval
//! minutes`: [`minutes`], [`facts`], [`matching`]), and two minutes of the
//! same meetings against each other by an LLM judge (`minutes eval
//! compare`: [`compare`]), and prompt sets and models by the minutes they
//! make of a suite of meetings, with a history of past results (`minutes
//! eval suite` and `eval history`: [`suite`]); a judge itself is checked
//! on shipped cases with planted faults (`minutes eval calibrate`:
//! [`calibrate`]).
//!
//! Both texts are normalised the same way ([`Normalize`]), split into words
//! and aligned ([`wer::align`]). The character error rate aligns the
//! characters of the normalised words: joined by single spaces for languages
//! written with spaces between words (as jiwer counts them), and without
//! any spaces for Korean, Chinese and Japanese ([`Script::Cjk`]), whose
//! spacing is loose (Korean) or absent (Chinese, Japanese), so that
//! `안녕하세요` and `안녕 하세요` are the same characters. Their word error
//! rate still counts spacing differences; read CER for these languages.

pub mod calibrate;
pub mod compare;
pub mod facts;
pub mod matching;
pub mod minutes;
pub mod normalize;
pub mod read;
pub mod report;
pub mod suite;
pub mod wer;

use std::fmt;

pub use normalize::Normalize;
pub use wer::Counts;

/// How characters are counted for the character error rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Korean, Chinese, Japanese: spaces are not characters.
    Cjk,
    /// Everything else: one space between words counts as a character.
    Spaced,
}

impl Script {
    /// The script of a language code (`ko`, `zh`, `ja`, `yue` are CJK).
    pub fn of_language(code: &str) -> Script {
        match code {
            "ko" | "zh" | "ja" | "yue" => Script::Cjk,
            _ => Script::Spaced,
        }
    }

    /// The script of a language code as a user writes it: an ISO 639 code,
    /// perhaps with a region (`zh-TW`, ignored); `auto` is `None`. Only
    /// whether it names Korean, Chinese or Japanese matters, so any
    /// well-formed code is taken; `Err` says what is wrong with it.
    pub fn of_code(code: &str) -> Result<Option<Script>, String> {
        let code = code.trim().to_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        if primary == "auto" {
            return Ok(None);
        }
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(format!("unknown language {code}"));
        }
        Ok(Some(Script::of_language(primary)))
    }

    /// CJK when most letters of `words` are Hangul, Han or Kana.
    pub fn detect(words: &[String]) -> Script {
        let (mut letters, mut cjk) = (0usize, 0usize);
        for c in words.iter().flat_map(|w| w.chars()) {
            if c.is_alphabetic() {
                letters += 1;
                cjk += usize::from(is_cjk(c));
            }
        }
        if cjk * 2 > letters {
            Script::Cjk
        } else {
            Script::Spaced
        }
    }
}

/// Whether `c` is Hangul, Han or Kana.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'      // Hangul Jamo
        | '\u{3040}'..='\u{30FF}'    // Hiragana, Katakana
        | '\u{3130}'..='\u{318F}'    // Hangul compatibility Jamo
        | '\u{31F0}'..='\u{31FF}'    // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}'    // Han extension A
        | '\u{4E00}'..='\u{9FFF}'    // Han
        | '\u{A960}'..='\u{A97F}'    // Hangul Jamo extended A
        | '\u{AC00}'..='\u{D7AF}'    // Hangul syllables
        | '\u{D7B0}'..='\u{D7FF}'    // Hangul Jamo extended B
        | '\u{F900}'..='\u{FAFF}'    // Han compatibility
        | '\u{FF66}'..='\u{FF9F}'    // half-width Katakana
        | '\u{20000}'..='\u{3134F}') // Han extensions B–G
}

/// The characters the character error rate aligns.
fn chars(words: &[String], script: Script) -> Vec<char> {
    match script {
        Script::Cjk => words.iter().flat_map(|w| w.chars()).collect(),
        Script::Spaced => words.join(" ").chars().collect(),
    }
}

/// A reference, normalised once and scored against any number of hypotheses.
#[derive(Debug, Clone)]
pub struct Reference {
    normalize: Normalize,
    script: Script,
    words: Vec<String>,
    chars: Vec<char>,
}

/// A reference with no words after normalisation has no error rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoWords(pub Normalize);

impl fmt::Display for NoWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the reference has no words after normalisation ({})",
            self.0.name()
        )
    }
}

impl Reference {
    /// Normalises `text`; `script` is detected from it when not given.
    pub fn new(
        text: &str,
        normalize: Normalize,
        script: Option<Script>,
    ) -> Result<Reference, NoWords> {
        let words = normalize.words(text);
        if words.is_empty() {
            return Err(NoWords(normalize));
        }
        let script = script.unwrap_or_else(|| Script::detect(&words));
        Ok(Reference {
            chars: chars(&words, script),
            normalize,
            script,
            words,
        })
    }

    pub fn script(&self) -> Script {
        self.script
    }

    pub fn normalize(&self) -> Normalize {
        self.normalize
    }

    pub fn words(&self) -> usize {
        self.words.len()
    }

    pub fn chars(&self) -> usize {
        self.chars.len()
    }

    /// Word and character counts of `hypothesis` against this reference.
    pub fn score(&self, hypothesis: &str) -> Scores {
        let words = self.normalize.words(hypothesis);
        Scores {
            words: wer::align(&self.words, &words),
            chars: wer::align(&self.chars, &chars(&words, self.script)),
        }
    }
}

/// The alignments behind one hypothesis's WER and CER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores {
    pub words: Counts,
    pub chars: Counts,
}

impl Scores {
    pub fn wer(&self) -> f64 {
        self.words.rate()
    }

    pub fn cer(&self) -> f64 {
        self.chars.rate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_spacing_does_not_count_as_character_errors() {
        let r = Reference::new("안녕하세요 반갑습니다", Normalize::Basic, None).unwrap();
        assert_eq!(r.script(), Script::Cjk);
        assert_eq!(r.chars(), 10);
        let s = r.score("안녕 하세요 반갑 습니다");
        assert_eq!(s.cer(), 0.0);
        assert_eq!(s.chars.hits, 10);
        // Words still see the spacing: two substitutions, two insertions.
        assert_eq!(s.words.errors(), 4);
        assert_eq!(s.wer(), 2.0);
    }

    #[test]
    fn spaced_languages_count_spaces_as_characters() {
        let r = Reference::new("The cat sat on the mat.", Normalize::Basic, None).unwrap();
        assert_eq!(r.script(), Script::Spaced);
        assert_eq!(r.chars(), 22);
        let s = r.score("the cat sit on mat");
        assert_eq!(
            s.words,
            Counts {
                hits: 4,
                substitutions: 1,
                deletions: 1,
                insertions: 0
            }
        );
        assert_eq!(s.wer(), 2.0 / 6.0);
        // "sat"→"sit" is one character; "the " is four deleted.
        assert_eq!((s.chars.substitutions, s.chars.deletions), (1, 4));
        assert_eq!(s.cer(), 5.0 / 22.0);
        // Forcing CJK counting drops the spaces from both sides.
        let cjk = Reference::new("the cat", Normalize::Basic, Some(Script::Cjk)).unwrap();
        assert_eq!(cjk.chars(), 6);
        assert_eq!(cjk.score("thecat").cer(), 0.0);
    }

    #[test]
    fn normalisation_decides_what_counts() {
        let text = "Don't stop, Mr. Smith!";
        let hyp = "do not stop mr smith";
        let none = Reference::new(text, Normalize::None, None).unwrap();
        assert_eq!(none.score(hyp).words.errors(), 5);
        let basic = Reference::new(text, Normalize::Basic, None).unwrap();
        assert_eq!(basic.score("dont stop mr smith").wer(), 0.0);
        let en = Reference::new(text, Normalize::WhisperEn, None).unwrap();
        assert_eq!(en.score(hyp).wer(), 0.0);
        assert_eq!(en.words(), 5);
    }

    #[test]
    fn an_empty_reference_is_refused_and_an_empty_hypothesis_scores_one() {
        let e = Reference::new(" ...!? ", Normalize::Basic, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the reference has no words after normalisation (basic)"
        );
        assert!(Reference::new("", Normalize::None, None).is_err());
        let r = Reference::new("a b c", Normalize::Basic, None).unwrap();
        let s = r.score("");
        assert_eq!((s.wer(), s.cer()), (1.0, 1.0));
        assert_eq!(s.words.deletions, 3);
    }

    #[test]
    fn script_detection_follows_most_letters() {
        let w = |t: &str| Normalize::Basic.words(t);
        assert_eq!(Script::detect(&w("회의는 AI 팀과 함께")), Script::Cjk);
        assert_eq!(Script::detect(&w("我们今天开会")), Script::Cjk);
        assert_eq!(Script::detect(&w("きょうは会議です")), Script::Cjk);
        assert_eq!(Script::detect(&w("the Kubernetes 팀")), Script::Spaced);
        assert_eq!(Script::of_language("ko"), Script::Cjk);
        assert_eq!(Script::of_language("de"), Script::Spaced);
    }
}
