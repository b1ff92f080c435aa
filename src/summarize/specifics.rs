//! An item says what its evidence says.
//!
//! The evidence check proves that a quote was said; it does not prove that
//! the item restates it. A small model writes "Set the release date to
//! October 10th" over the quote "출시 일정을 다음 달 십오일로" (the 15th of
//! next month). So the specifics of every decision and action item — numbers,
//! amounts, versions, months, weekdays, relative days — must be found in its
//! quotes or the segments they were found in, after normalisation: digits,
//! English number words and Sino-Korean numerals are one number (십오일 =
//! 15일 = fifteenth), a month is one month in any language or written form
//! (3월 = March = 3/…), 다음 주 is next week. An item that adds a specific
//! its evidence lacks is dropped (kept and marked with `--keep-unverified`).
//!
//! Names are left to the name check (an owner is often the one who said
//! "I'll do it", not a name in the quote); owners and due dates are checked
//! against the whole transcript there.

use std::sync::LazyLock;

use regex::Regex;

use super::schema::{Evidence, Minutes};
use crate::transcript::Segment;

/// One specific a text states.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Specific {
    /// A number as written in digits, normalised (`15`, `2.4`, `50000`).
    Number(String),
    /// 1 = January.
    Month(u8),
    /// 1 = Monday.
    Weekday(u8),
    /// `today`, `tomorrow`, `yesterday`, `next week`, `next month`, `this week`, `this month`.
    Relative(&'static str),
}

impl std::fmt::Display for Specific {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const DAYS: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        match self {
            Specific::Number(n) => f.write_str(n),
            Specific::Month(m) => f.write_str(MONTHS[usize::from(*m - 1)]),
            Specific::Weekday(d) => f.write_str(DAYS[usize::from(*d - 1)]),
            Specific::Relative(r) => f.write_str(r),
        }
    }
}

const WORD_SPECIFICS: &[(&str, Specific)] = &[
    ("monday", Specific::Weekday(1)),
    ("mon", Specific::Weekday(1)),
    ("tuesday", Specific::Weekday(2)),
    ("tue", Specific::Weekday(2)),
    ("tues", Specific::Weekday(2)),
    ("wednesday", Specific::Weekday(3)),
    ("wed", Specific::Weekday(3)),
    ("thursday", Specific::Weekday(4)),
    ("thu", Specific::Weekday(4)),
    ("thurs", Specific::Weekday(4)),
    ("friday", Specific::Weekday(5)),
    ("fri", Specific::Weekday(5)),
    ("saturday", Specific::Weekday(6)),
    ("sunday", Specific::Weekday(7)),
    ("january", Specific::Month(1)),
    ("february", Specific::Month(2)),
    ("feb", Specific::Month(2)),
    ("march", Specific::Month(3)),
    ("april", Specific::Month(4)),
    ("apr", Specific::Month(4)),
    ("june", Specific::Month(6)),
    ("july", Specific::Month(7)),
    ("jul", Specific::Month(7)),
    ("august", Specific::Month(8)),
    ("aug", Specific::Month(8)),
    ("september", Specific::Month(9)),
    ("sept", Specific::Month(9)),
    ("sep", Specific::Month(9)),
    ("october", Specific::Month(10)),
    ("oct", Specific::Month(10)),
    ("november", Specific::Month(11)),
    ("nov", Specific::Month(11)),
    ("december", Specific::Month(12)),
    ("dec", Specific::Month(12)),
    ("today", Specific::Relative("today")),
    ("tonight", Specific::Relative("today")),
    ("tomorrow", Specific::Relative("tomorrow")),
    ("yesterday", Specific::Relative("yesterday")),
];

/// Korean words and phrases with a fixed meaning (matched before numerals:
/// 일요일 holds the numeral 일).
const KOREAN: &[(&str, Specific)] = &[
    ("월요일", Specific::Weekday(1)),
    ("화요일", Specific::Weekday(2)),
    ("수요일", Specific::Weekday(3)),
    ("목요일", Specific::Weekday(4)),
    ("금요일", Specific::Weekday(5)),
    ("토요일", Specific::Weekday(6)),
    ("일요일", Specific::Weekday(7)),
    ("유월", Specific::Month(6)),
    ("시월", Specific::Month(10)),
    ("오늘", Specific::Relative("today")),
    ("내일", Specific::Relative("tomorrow")),
    ("어제", Specific::Relative("yesterday")),
];

/// English number words and their values; ordinals too. Bare "one",
/// "first" and "second" are left out: they are mostly not numbers ("no
/// one", "first we", "a second").
fn number_word(w: &str) -> Option<u64> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const ORDINALS: [&str; 20] = [
        "zeroth",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    const TENTHS: [&str; 8] = [
        "twentieth",
        "thirtieth",
        "fortieth",
        "fiftieth",
        "sixtieth",
        "seventieth",
        "eightieth",
        "ninetieth",
    ];
    let at = |list: &[&str]| list.iter().position(|x| *x == w).map(|i| i as u64);
    at(&UNITS)
        .or_else(|| at(&ORDINALS))
        .or_else(|| at(&TENS).map(|i| 20 + 10 * i))
        .or_else(|| at(&TENTHS).map(|i| 20 + 10 * i))
}

fn multiplier(w: &str) -> Option<u64> {
    Some(match w {
        "hundred" => 100,
        "thousand" | "k" | "천" => 1000,
        "million" | "m" => 1_000_000,
        "billion" | "bn" => 1_000_000_000,
        "만" => 10_000,
        "억" => 100_000_000,
        _ => return None,
    })
}

/// The value of Sino-Korean numerals (`이십오` → 25, `오만` → 50000).
fn sino(run: &str) -> u64 {
    let (mut total, mut section, mut digit) = (0u64, 0u64, 0u64);
    for c in run.chars() {
        match "영일이삼사오육칠팔구".chars().position(|d| d == c) {
            Some(d) => digit = d as u64,
            None => {
                let unit = match c {
                    '십' => 10,
                    '백' => 100,
                    '천' => 1000,
                    '만' => 10_000,
                    _ => 1,
                };
                if unit == 10_000 {
                    total += (section + digit).max(1) * unit;
                    section = 0;
                } else {
                    section += digit.max(1) * unit;
                }
                digit = 0;
            }
        }
    }
    total + section + digit
}

fn number(n: f64) -> Specific {
    Specific::Number(if n.fract() == 0.0 {
        format!("{}", n as u64)
    } else {
        format!("{n}")
    })
}

static DIGITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)+|\d+").expect("valid regex")
});
static SINO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([일이삼사오육칠팔구십백천만]*[십백천만][일이삼사오육칠팔구]?)\s?([일월시분초주년개명원번차층%]|퍼센트)")
        .expect("valid regex")
});
static SINO_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^가-힣])([일이삼사오육칠팔구])월").expect("valid regex"));
static KOREAN_RELATIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(다음|이번)\s?(주|달)").expect("valid regex"));
static ENGLISH_RELATIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(next|this)\s+(week|month|year)\b").expect("valid regex"));

/// Blanks `range` of `text` (the bytes become spaces), so a later pass does not read it again.
fn blank(text: &mut String, range: std::ops::Range<usize>) {
    text.replace_range(range.clone(), &" ".repeat(range.len()));
}

/// The specifics `text` states.
pub fn of(text: &str) -> Vec<Specific> {
    let mut text = text.to_lowercase();
    let mut out = Vec::new();
    for (word, s) in KOREAN {
        while let Some(i) = text.find(word) {
            out.push(s.clone());
            blank(&mut text, i..i + word.len());
        }
    }
    let relative: Vec<_> = KOREAN_RELATIVE
        .captures_iter(&text)
        .map(|c| {
            (
                c.get(0).expect("match").range(),
                &c[1] == "다음",
                &c[2] == "주",
            )
        })
        .collect();
    for (range, next, week) in relative {
        out.push(Specific::Relative(match (next, week) {
            (true, true) => "next week",
            (true, false) => "next month",
            (false, true) => "this week",
            (false, false) => "this month",
        }));
        blank(&mut text, range);
    }
    let relative: Vec<_> = ENGLISH_RELATIVE
        .captures_iter(&text)
        .map(|c| {
            (
                c.get(0).expect("match").range(),
                c[1].to_string(),
                c[2].to_string(),
            )
        })
        .collect();
    for (range, which, unit) in relative {
        out.push(Specific::Relative(match (which.as_str(), unit.as_str()) {
            ("next", "week") => "next week",
            ("next", "month") => "next month",
            ("next", _) => "next year",
            (_, "week") => "this week",
            (_, "month") => "this month",
            _ => "this year",
        }));
        blank(&mut text, range);
    }
    let months: Vec<_> = SINO_MONTH
        .captures_iter(&text)
        .map(|c| (c.get(1).expect("group").start(), sino(&c[1])))
        .collect();
    for (at, m) in months {
        out.push(Specific::Month(m as u8));
        blank(&mut text, at..at + "일월".len());
    }
    // A numeral after digits is their unit (5만 = 50000), read with them.
    let sinos: Vec<_> = SINO
        .captures_iter(&text)
        .filter(|c| {
            let at = c.get(0).expect("match").start();
            !text[..at].ends_with(|c: char| c.is_ascii_digit())
        })
        .map(|c| {
            (
                c.get(0).expect("match").range(),
                sino(&c[1]),
                c[2].to_string(),
            )
        })
        .collect();
    for (range, n, unit) in sinos {
        out.push(match unit.as_str() {
            "월" if (1..=12).contains(&n) => Specific::Month(n as u8),
            _ => number(n as f64),
        });
        blank(&mut text, range);
    }
    // Words first: "May" is a month next to a number.
    words(&text, &mut out);
    digits(&mut text, &mut out);
    out.sort();
    out.dedup();
    out
}

/// Numbers in digits, with the multiplier or unit written after them.
fn digits(text: &mut String, out: &mut Vec<Specific>) {
    let found: Vec<_> = DIGITS
        .find_iter(text)
        .map(|m| (m.range(), m.as_str().replace(',', "")))
        .collect();
    for (range, digits) in found {
        let after = text[range.end..].trim_start();
        let next: String = after.chars().take_while(|c| c.is_alphanumeric()).collect();
        let first = after.chars().next().map(String::from).unwrap_or_default();
        let value: f64 = digits.parse().unwrap_or(0.0);
        let dotted = digits.matches('.').count() > 1;
        out.push(match () {
            _ if dotted => Specific::Number(digits.clone()),
            _ if first == "월" && (1.0..=12.0).contains(&value) => Specific::Month(value as u8),
            _ => match multiplier(&next).or_else(|| multiplier(&first)) {
                Some(m) => number(value * m as f64),
                None => number(value),
            },
        });
        blank(text, range);
    }
}

/// English words: number words (joined: "twenty five", "twenty-first",
/// "two hundred"), months, weekdays and relative days.
fn words(text: &str, out: &mut Vec<Specific>) {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // The value so far, how many words it took, and its first word.
    let mut run: Option<(u64, usize, &str)> = None;
    let flush = |run: &mut Option<(u64, usize, &str)>, out: &mut Vec<Specific>| {
        if let Some((n, count, first)) = run.take()
            && (count > 1 || !matches!(first, "one" | "first" | "second"))
        {
            out.push(number(n as f64));
        }
    };
    for (i, w) in words.iter().enumerate() {
        if let Some(n) = number_word(w) {
            run = match run {
                Some((v, c, first)) if v % 10 == 0 && v >= 20 && n < 10 => {
                    Some((v + n, c + 1, first))
                }
                other => {
                    let mut done = other;
                    flush(&mut done, out);
                    Some((n, 1, *w))
                }
            };
            continue;
        }
        if let (Some(m), Some((v, c, first))) = (multiplier(w), run) {
            run = Some((v * m, c + 1, first));
            continue;
        }
        flush(&mut run, out);
        let near_number = |j: Option<usize>| {
            j.and_then(|j| words.get(j)).is_some_and(|w| {
                w.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || (*w != "one" && number_word(w).is_some())
            })
        };
        if *w == "may" && (near_number(i.checked_sub(1)) || near_number(Some(i + 1))) {
            out.push(Specific::Month(5));
        } else if let Some((_, s)) = WORD_SPECIFICS.iter().find(|(k, _)| k == w) {
            out.push(s.clone());
        }
    }
    flush(&mut run, out);
}

/// Whether `s` is among `evidence`'s specifics; a month and its number
/// stand for each other (3월 = March, 3/14 = March 14).
fn backed(s: &Specific, evidence: &[Specific]) -> bool {
    evidence.iter().any(|e| {
        e == s
            || matches!((s, e), (Specific::Month(m), Specific::Number(n)) | (Specific::Number(n), Specific::Month(m)) if *n == m.to_string())
    })
}

/// The specifics of `item` that `evidence` does not state.
pub fn unbacked(item: &str, evidence: &str) -> Vec<Specific> {
    let said = of(evidence);
    of(item).into_iter().filter(|s| !backed(s, &said)).collect()
}

/// What an item's evidence says: its quotes and the segments they were found in.
fn evidence_text(evidence: &[Evidence], segments: &[Segment]) -> String {
    let mut out = Vec::new();
    for e in evidence {
        out.push(e.quote.as_str());
        if let Some(s) = e.segment.and_then(|i| segments.get(i)) {
            out.push(s.text.as_str());
        }
    }
    out.join("\n")
}

/// What the check did: items that say more than their evidence, as lines
/// for the reader, removed or kept and marked.
#[derive(Debug, Default)]
pub struct Outcome {
    pub dropped: Vec<String>,
    pub kept: Vec<String>,
}

/// Checks the decisions and action items of `minutes` whose evidence was
/// found (the evidence check ran before) against what that evidence says.
pub fn check(minutes: &mut Minutes, segments: &[Segment], keep_unverified: bool) -> Outcome {
    let mut out = Outcome::default();
    let mut judge = |kind: &str, text: &str, evidence: &[Evidence], verified: &mut Option<bool>| {
        if *verified != Some(true) {
            return true;
        }
        let missing = unbacked(text, &evidence_text(evidence, segments));
        if missing.is_empty() {
            return true;
        }
        let missing: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        let line = format!(
            "{kind} says what its evidence does not ({}): {}",
            missing.join(", "),
            text.trim()
        );
        *verified = Some(false);
        match keep_unverified {
            true => out.kept.push(line),
            false => out.dropped.push(line),
        }
        keep_unverified
    };
    minutes
        .decisions
        .retain_mut(|d| judge("decision", &d.decision, &d.evidence, &mut d.verified));
    minutes
        .action_items
        .retain_mut(|a| judge("action item", &a.task, &a.evidence, &mut a.verified));
    out
}

#[cfg(test)]
mod tests;
