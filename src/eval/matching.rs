//! Whether an item of the minutes states an expected fact, by the words they
//! share: lexical, cheap, deterministic and the same on every machine, so a
//! score moves only when the minutes do. (A judge LLM that reads for meaning
//! can come on top; it cannot replace a number that needs no server.)
//!
//! Both texts are normalised as [`Normalize::Basic`] does (lower case, no
//! punctuation) and compared by the Dice coefficient of two sets,
//! `2·|A∩B| / (|A|+|B|)`:
//!
//! * languages written with spaces: the set of content words, here every
//!   word of two or more letters, and numbers of any length (`a`, `I` and
//!   stray letters go, `2` stays). No stop-word list: one list per language
//!   would be needed, and the threshold absorbs the few short words that
//!   both texts share anyway;
//! * Korean, Chinese and Japanese: the set of character bigrams of the text
//!   with its spaces removed. Korean attaches particles and endings to words
//!   (`배포는`, `화요일에`), and Chinese and Japanese have no spaces at all,
//!   so words would rarely agree where the meaning does.
//!
//! The script is that of the facts file's `language` when given; else it is
//! decided for each pair: CJK when at least half the words of either text
//! hold Hangul, Han or Kana (`Kubernetes 배포` is Korean enough).
//!
//! Expected and produced items are paired one to one, greedily: the most
//! similar pair first, then the most similar of what is left, and so on;
//! a pair below [`MATCH_THRESHOLD`] is no match.

use std::collections::HashSet;

use super::{Normalize, Script, is_cjk};

/// The least similarity (Dice coefficient, 0 to 1) at which an item counts
/// as stating an expected fact. At 0.5 half the content words (or character
/// bigrams) of the two texts together must be shared: paraphrases with the
/// same key words match, a fact that shares only its topic does not.
pub const MATCH_THRESHOLD: f64 = 0.5;

/// Korean honorifics after a name (`민수 씨`, `팀장님`), ignored in owners.
const HONORIFICS: [&str; 2] = ["씨", "님"];

/// How similar `a` and `b` are, from 0 (nothing shared) to 1 (the same
/// units). `script`: forced by the facts' language; `None`: by the texts.
pub fn similarity(a: &str, b: &str, script: Option<Script>) -> f64 {
    let script = script.unwrap_or_else(|| pair_script(a, b));
    dice(&units(a, script), &units(b, script))
}

/// One expected item stated by one produced item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub expected: usize,
    pub found: usize,
    pub similarity: f64,
}

/// Pairs `expected` with `found` items one to one, most similar first,
/// ignoring pairs below [`MATCH_THRESHOLD`]. Ties go to the earlier
/// expected, then the earlier found item. Sorted by `expected`.
pub fn pair(expected: &[&str], found: &[&str], script: Option<Script>) -> Vec<Pair> {
    let mut candidates = Vec::new();
    for (e, a) in expected.iter().enumerate() {
        for (f, b) in found.iter().enumerate() {
            let similarity = similarity(a, b, script);
            if similarity >= MATCH_THRESHOLD {
                candidates.push(Pair {
                    expected: e,
                    found: f,
                    similarity,
                });
            }
        }
    }
    candidates.sort_by(|x, y| {
        y.similarity
            .total_cmp(&x.similarity)
            .then(x.expected.cmp(&y.expected))
            .then(x.found.cmp(&y.found))
    });
    let (mut taken_e, mut taken_f) = (HashSet::new(), HashSet::new());
    let mut pairs = Vec::new();
    for p in candidates {
        if !taken_e.contains(&p.expected) && !taken_f.contains(&p.found) {
            taken_e.insert(p.expected);
            taken_f.insert(p.found);
            pairs.push(p);
        }
    }
    pairs.sort_by_key(|p| p.expected);
    pairs
}

/// Whether `found` names the owner `expected` names: case and punctuation
/// aside, the words of one are all words of the other (`Jin` is `Jin
/// Park`). Korean, Chinese and Japanese names are compared without spaces
/// and without a trailing `씨` or `님`, one contained in the other (`민수`
/// is `김민수 씨`).
pub fn same_owner(expected: &str, found: &str) -> bool {
    if is_cjk_text(expected) || is_cjk_text(found) {
        let (e, f) = (name_key(expected), name_key(found));
        return !e.is_empty() && !f.is_empty() && (e.contains(&f) || f.contains(&e));
    }
    let words = |t: &str| -> HashSet<String> { Normalize::Basic.words(t).into_iter().collect() };
    let (e, f) = (words(expected), words(found));
    !e.is_empty() && !f.is_empty() && (e.is_subset(&f) || f.is_subset(&e))
}

/// Whether `found` gives the due date `expected` gives: normalised, equal
/// or one containing the other as whole words (`Wednesday` is `by
/// Wednesday`); without spaces for Korean, Chinese and Japanese.
pub fn same_due(expected: &str, found: &str) -> bool {
    let cjk = is_cjk_text(expected) || is_cjk_text(found);
    let key = |t: &str| {
        let words = Normalize::Basic.words(t);
        match cjk {
            true => words.concat(),
            false => format!(" {} ", words.join(" ")),
        }
    };
    let (e, f) = (key(expected), key(found));
    !e.trim().is_empty() && !f.trim().is_empty() && (e.contains(&f) || f.contains(&e))
}

/// A CJK name without spaces and without a trailing honorific.
fn name_key(name: &str) -> String {
    let mut key = Normalize::Basic.words(name).concat();
    while let Some(stem) = HONORIFICS.iter().find_map(|h| key.strip_suffix(*h))
        && !stem.is_empty()
    {
        key = stem.to_string();
    }
    key
}

/// CJK for the pair when either text is.
fn pair_script(a: &str, b: &str) -> Script {
    match is_cjk_text(a) || is_cjk_text(b) {
        true => Script::Cjk,
        false => Script::Spaced,
    }
}

/// At least half the words hold a Hangul, Han or Kana character.
fn is_cjk_text(text: &str) -> bool {
    let words = Normalize::Basic.words(text);
    let cjk = words.iter().filter(|w| w.chars().any(is_cjk)).count();
    cjk > 0 && cjk * 2 >= words.len()
}

/// Content words, or character bigrams (a lone character stands for itself).
fn units(text: &str, script: Script) -> HashSet<String> {
    let words = Normalize::Basic.words(text);
    match script {
        Script::Spaced => words
            .into_iter()
            .filter(|w| w.chars().count() >= 2 || w.chars().all(|c| c.is_numeric()))
            .collect(),
        Script::Cjk => {
            let chars: Vec<char> = words.concat().chars().collect();
            if chars.len() == 1 {
                return chars.iter().map(char::to_string).collect();
            }
            chars.windows(2).map(|w| w.iter().collect()).collect()
        }
    }
}

fn dice(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_text_is_compared_by_content_words() {
        // {version, 24, is, released, on, march, 14} (7) against
        // {release, 24, ships, on, march, 14} (6): 4 shared → 8/13.
        let s = similarity(
            "Version 2.4 is released on March 14",
            "Release 2.4 ships on March 14.",
            None,
        );
        assert_eq!(s, 8.0 / 13.0);
        // One-letter words go, one-digit numbers stay: {update, changelog, 2}.
        assert_eq!(units("Update a changelog, 2 x", Script::Spaced).len(), 3);
        assert_eq!(
            similarity("Update the changelog", "update THE changelog!", None),
            1.0
        );
        assert_eq!(similarity("", "", None), 0.0);
        assert_eq!(similarity("a", "", None), 0.0);
    }

    #[test]
    fn korean_is_compared_by_character_bigrams() {
        // 배포는다음주화요일: 8 bigrams; 신규모듈배포는다음주화요일에한다:
        // 15 bigrams, all 8 of the first among them → 16/23.
        let s = similarity(
            "배포는 다음 주 화요일",
            "신규 모듈 배포는 다음 주 화요일에 한다",
            None,
        );
        assert_eq!(s, 16.0 / 23.0);
        assert!(s >= MATCH_THRESHOLD);
        // As words ({배포는, 다음, 화요일} against {신규, 모듈, 배포는, 다음,
        // 화요일에, 한다}; 주 is one letter) they would share two: 2·2 / 9.
        let words = similarity(
            "배포는 다음 주 화요일",
            "신규 모듈 배포는 다음 주 화요일에 한다",
            Some(Script::Spaced),
        );
        assert_eq!(words, 4.0 / 9.0);
        assert!(words < MATCH_THRESHOLD);
        // A Latin term among Korean words still makes the pair Korean.
        assert_eq!(
            pair_script("Kubernetes 배포", "the Kubernetes rollout"),
            Script::Cjk
        );
        assert_eq!(
            pair_script("the Kubernetes 팀 meeting", "plans"),
            Script::Spaced
        );
        assert_eq!(units("예", Script::Cjk).len(), 1);
    }

    #[test]
    fn pairs_are_one_to_one_most_similar_first() {
        let expected = ["ship the release on friday", "release notes on friday"];
        let found = [
            "release notes on friday",    // 1.0 with e1, 2·3/9 with e0
            "we ship the release friday", // 2·4/10 with e0, 2·2/9 with e1
        ];
        assert_eq!(similarity(expected[0], found[0], None), 6.0 / 9.0);
        assert_eq!(similarity(expected[0], found[1], None), 8.0 / 10.0);
        assert_eq!(similarity(expected[1], found[1], None), 4.0 / 9.0);
        let pairs = pair(&expected, &found, None);
        let got: Vec<(usize, usize)> = pairs.iter().map(|p| (p.expected, p.found)).collect();
        assert_eq!(got, [(0, 1), (1, 0)]);
        assert_eq!(pairs[1].similarity, 1.0);
        // One found item states one fact only: the more similar fact gets
        // it, though e0 comes first and is above the threshold too.
        let pairs = pair(&expected, &found[..1], None);
        let got: Vec<(usize, usize)> = pairs.iter().map(|p| (p.expected, p.found)).collect();
        assert_eq!(got, [(1, 0)]);
    }

    #[test]
    fn pairs_below_the_threshold_do_not_match() {
        // {budget, approved, for, q3} against {budget, review, next, week}:
        // 2·1 / 8 = 0.25.
        let expected = ["Budget approved for Q3"];
        assert_eq!(
            similarity(expected[0], "Budget review next week", None),
            0.25
        );
        assert!(pair(&expected, &["Budget review next week"], None).is_empty());
        // Exactly at the threshold is a match: {aa, bb} against {aa, cc}.
        assert_eq!(similarity("aa bb", "aa cc", None), 0.5);
        assert_eq!(pair(&["aa bb"], &["aa cc"], None).len(), 1);
        assert!(pair(&[], &["aa"], None).is_empty());
    }

    #[test]
    fn owners_match_by_contained_names() {
        assert!(same_owner("Jin", "Jin Park"));
        assert!(same_owner("jin park", "Jin"));
        assert!(same_owner("Mina", "mina"));
        assert!(!same_owner("Jin", "Benjamin"));
        assert!(!same_owner("Jin", "Mina"));
        assert!(same_owner("민수", "김민수 씨"));
        assert!(same_owner("김민수님", "민수"));
        // Only without the honorific is 민수 씨 inside 김민수.
        assert!(same_owner("민수 씨", "김민수"));
        assert!(same_owner("김 민수", "김민수"));
        assert!(!same_owner("민수", "지영 씨"));
        assert!(!same_owner("씨", "김민수"));
        assert!(!same_owner("", "Jin"));
    }

    #[test]
    fn dues_match_when_one_contains_the_other() {
        assert!(same_due("Wednesday", "by Wednesday"));
        assert!(same_due("March 14", "march 14."));
        assert!(same_due("2025-03-14", "2025/03/14"));
        assert!(!same_due("Wednesday", "Wed"));
        assert!(!same_due("14", "March 14th"));
        assert!(same_due("금요일", "다음 주 금요일까지"));
        assert!(!same_due("금요일", "월요일"));
        assert!(!same_due("", "Friday"));
    }
}
