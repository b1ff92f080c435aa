//! What counts as personal data, as patterns with checks where a pattern
//! alone would over-match (Luhn for cards, a real calendar day for
//! resident numbers, address parsing for IPv6, entropy for unknown keys).
//! The README lists them and their limits.

use std::sync::LazyLock;

use regex::Regex;

/// A kind of personal data, with its placeholder label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Email,
    Phone,
    ResidentNumber,
    Card,
    Account,
    Ip,
    Url,
    Key,
    Term,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::ResidentNumber => "RRN",
            Kind::Card => "CARD",
            Kind::Account => "ACCOUNT",
            Kind::Ip => "IP",
            Kind::Url => "URL",
            Kind::Key => "KEY",
            Kind::Term => "TERM",
        }
    }

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::ResidentNumber => "resident_number",
            Kind::Card => "card",
            Kind::Account => "bank_account",
            Kind::Ip => "ip",
            Kind::Url => "url_credentials",
            Kind::Key => "api_key",
            Kind::Term => "term",
        }
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

/// `scheme://user:password@host…`
static URL_CREDENTIALS: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]+:[^\s/@]+@[^\s]+"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b",
    )
});
/// Known key shapes: OpenAI, GitHub, AWS, Slack, Google.
static KNOWN_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:sk-[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35})",
    )
});
/// Long tokens that may be secrets; kept only when random-looking.
static LONG_TOKEN: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z0-9_\-+/=]{32,}"));
/// YYMMDD-GNNNNNN (the seventh digit: century and sex, 1–8).
static RESIDENT: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(\d{2})(\d{2})(\d{2})[- ]?[1-8]\d{6}\b"));
/// 13–19 digits, in groups separated by spaces or dashes.
static CARD: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d(?:[ \-]?\d){12,18}\b"));
/// Korean mobile and area numbers, with or without +82.
static PHONE_KR: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\+82[ \-]?(?:\(0\))?|\b0)(?:1[016789]|2|[3-6][1-5]|70)[ \-.)]?\d{3,4}[ \-.]?\d{4}\b")
});
/// International numbers written with a leading +.
static PHONE_INTL: LazyLock<Regex> =
    LazyLock::new(|| re(r"\+\d{1,3}(?:[ \-.]?\(?\d{1,4}\)?){2,5}\b"));
/// Korean bank account layouts: 3-2-6, 3-3-6, 3-6-2-3, 4-3-6, 3-4-4-2, 6-2-6 …
static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:\d{3}-\d{2,6}-\d{2,6}(?:-\d{1,3})?|\d{4}-\d{3}-\d{6}|\d{6}-\d{2}-\d{6})\b")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b")
});
static IPV6_CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"));

/// Every match of the built-in patterns: (start, end, kind), unordered.
pub fn find(text: &str) -> Vec<(usize, usize, Kind)> {
    let mut out = Vec::new();
    let mut add = |re: &Regex, kind: Kind, keep: &dyn Fn(&str) -> bool| {
        for m in re.find_iter(text) {
            if keep(m.as_str()) {
                out.push((m.start(), m.end(), kind));
            }
        }
    };
    add(&URL_CREDENTIALS, Kind::Url, &|_| true);
    add(&EMAIL, Kind::Email, &|_| true);
    add(&KNOWN_KEY, Kind::Key, &|_| true);
    add(&LONG_TOKEN, Kind::Key, &looks_random);
    add(&RESIDENT, Kind::ResidentNumber, &is_resident_number);
    add(&CARD, Kind::Card, &is_card);
    add(&PHONE_KR, Kind::Phone, &|_| true);
    add(&PHONE_INTL, Kind::Phone, &|m| digits(m).len() >= 8);
    add(&ACCOUNT, Kind::Account, &|_| true);
    add(&IPV4, Kind::Ip, &|_| true);
    add(&IPV6_CANDIDATE, Kind::Ip, &|m| {
        m.matches(':').count() >= 2 && m.parse::<std::net::Ipv6Addr>().is_ok()
    });
    out
}

/// Where `terms` occur, ignoring case, not inside a longer word.
pub fn find_terms(text: &str, terms: &[String]) -> Vec<(usize, usize, Kind)> {
    let mut out = Vec::new();
    for term in terms {
        let pattern = format!("(?i){}", regex::escape(term));
        let Ok(re) = Regex::new(&pattern) else {
            continue;
        };
        for m in re.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            // A Latin-script term is a whole word; a Korean one may take a
            // particle after it (김민수가, 블루스카이는).
            let ascii_word = term.is_ascii();
            let joined = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
            if ascii_word && (joined(before) || joined(after)) {
                continue;
            }
            out.push((m.start(), m.end(), Kind::Term));
        }
    }
    out
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn is_card(m: &str) -> bool {
    let d = digits(m);
    (13..=19).contains(&d.len()) && luhn::valid(&d)
}

fn is_resident_number(m: &str) -> bool {
    let d = digits(m);
    let (month, day): (u32, u32) = (d[2..4].parse().unwrap_or(0), d[4..6].parse().unwrap_or(0));
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// A token of letters and digits mixed, with the character spread of a
/// generated secret (over 4 bits of entropy a character), not a word or a
/// long number.
fn looks_random(m: &str) -> bool {
    let has_digit = m.chars().any(|c| c.is_ascii_digit());
    let has_letter = m.chars().any(|c| c.is_ascii_alphabetic());
    if !(has_digit && has_letter) {
        return false;
    }
    let mut counts = std::collections::HashMap::new();
    for c in m.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = m.chars().count() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy > 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, Kind)> {
        let mut r = super::super::Redactor::new(&[]);
        let _ = r.redact(text);
        let mut found: Vec<(usize, usize, Kind)> = r.find(text);
        found.sort();
        found
            .into_iter()
            .map(|(s, e, k)| (text[s..e].to_string(), k))
            .collect()
    }

    #[test]
    fn each_kind_is_found() {
        let cases: &[(&str, &str, Kind)] = &[
            (
                "메일은 minsu.kim@example.co.kr 로",
                "minsu.kim@example.co.kr",
                Kind::Email,
            ),
            ("휴대폰 010-1234-5678 입니다", "010-1234-5678", Kind::Phone),
            ("mobile 01012345678 ok", "01012345678", Kind::Phone),
            ("사무실 02-555-0142", "02-555-0142", Kind::Phone),
            ("call +82 10 1234 5678 now", "+82 10 1234 5678", Kind::Phone),
            ("US office +1 415 555 0132.", "+1 415 555 0132", Kind::Phone),
            (
                "주민번호 900101-1234567",
                "900101-1234567",
                Kind::ResidentNumber,
            ),
            (
                "card 4111 1111 1111 1111 exp",
                "4111 1111 1111 1111",
                Kind::Card,
            ),
            (
                "card 5500-0000-0000-0004",
                "5500-0000-0000-0004",
                Kind::Card,
            ),
            ("신한 110-123-456789 으로", "110-123-456789", Kind::Account),
            ("우리 1002-123-456789", "1002-123-456789", Kind::Account),
            ("server 10.0.12.7 is down", "10.0.12.7", Kind::Ip),
            (
                "v6 2001:db8::8a2e:370:7334 ok",
                "2001:db8::8a2e:370:7334",
                Kind::Ip,
            ),
            (
                "db postgres://admin:hunter2@db.internal:5432/x",
                "postgres://admin:hunter2@db.internal:5432/x",
                Kind::Url,
            ),
            (
                "key sk-proj-abcdefghijklmnop1234 leaked",
                "sk-proj-abcdefghijklmnop1234",
                Kind::Key,
            ),
            (
                "token ghp_abcdefghijklmnopqrstuvwx123456",
                "ghp_abcdefghijklmnopqrstuvwx123456",
                Kind::Key,
            ),
            (
                "aws AKIAIOSFODNN7EXAMPLE here",
                "AKIAIOSFODNN7EXAMPLE",
                Kind::Key,
            ),
            (
                "secret Zx8q2LmN5vB7cD1fG3hJ9kP4rS6tW0yA here",
                "Zx8q2LmN5vB7cD1fG3hJ9kP4rS6tW0yA",
                Kind::Key,
            ),
        ];
        for (text, value, kind) in cases {
            assert_eq!(kinds(text), vec![(value.to_string(), *kind)], "{text}");
        }
    }

    #[test]
    fn ordinary_numbers_and_words_stay() {
        for text in [
            "We grew 12.5% to 1,234,567 users in 2026-11-29.",
            "Version 3.2.1 ships at 10:30; room 301.",
            "card 4111 1111 1111 1112 fails Luhn",
            "991332-1234567 is not a date",
            "an_identifier_that_is_long_but_plain_words_only",
            "Call me at three.",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }

    #[test]
    fn terms_match_whole_words_and_korean_particles() {
        let terms = vec![
            "Blue Sky".to_string(),
            "김민수".to_string(),
            "Acme".to_string(),
        ];
        let found = |t: &str| find_terms(t, &terms).len();
        assert_eq!(found("the blue sky plan"), 1);
        assert_eq!(found("김민수가 발표"), 1);
        assert_eq!(found("Acmeville"), 0);
        assert_eq!(found("ACME and Acme."), 2);
    }
}
