//! Personal data kept off remote LLMs: before any text leaves for a server
//! that is not on this machine, e-mail addresses, phone numbers, Korean
//! resident registration numbers, card and bank account numbers, IP
//! addresses, URLs with credentials, API keys and the user's own terms
//! become placeholders such as `[EMAIL_1]`; the minutes that come back get
//! the real values again, here.
//!
//! The same value always gets the same placeholder within a recording, so
//! chunks summarised apart still agree. The mapping lives in this value
//! only: it is never logged, never written to a file or the cache, and
//! only counts by kind are reported.

mod patterns;

use std::collections::{BTreeMap, HashMap};

use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::summarize::schema::Minutes;

pub use patterns::Kind;

/// Replaces personal data by placeholders and back, for one recording.
#[derive(Default)]
pub struct Redactor {
    terms: Vec<String>,
    /// value → placeholder
    placeholders: HashMap<String, String>,
    /// placeholder → value
    values: HashMap<String, String>,
    next: BTreeMap<Kind, usize>,
    counts: BTreeMap<Kind, usize>,
}

/// The terms of a `--redact-terms FILE`: one a line; blank lines and `#`
/// comments skipped. A file without any is an error: it was surely meant
/// to hide something.
pub fn read_terms(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, &e))?;
    let terms: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if terms.is_empty() {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "no terms in the --redact-terms file",
        ));
    }
    Ok(terms)
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values: only how many of each kind.
        f.debug_struct("Redactor")
            .field("terms", &self.terms.len())
            .field("counts", &self.counts)
            .finish()
    }
}

impl Redactor {
    /// A redactor that also hides `terms` (names, client and project code
    /// names), matched without regard to case.
    pub fn new(terms: &[String]) -> Redactor {
        let mut terms: Vec<String> = terms
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        // Longest first, so "Project Blue Sky" wins over "Blue".
        terms.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        terms.dedup();
        Redactor {
            terms,
            ..Redactor::default()
        }
    }

    /// `text` with every personal value replaced by its placeholder.
    pub fn redact(&mut self, text: &str) -> String {
        let mut out = text.to_string();
        for (start, end, kind) in self.find(text).into_iter().rev() {
            let value = &text[start..end];
            let placeholder = self.placeholder(value, kind);
            out.replace_range(start..end, &placeholder);
        }
        out
    }

    /// Non-overlapping matches, earliest and then longest first.
    fn find(&self, text: &str) -> Vec<(usize, usize, Kind)> {
        let mut found = patterns::find(text);
        found.extend(patterns::find_terms(text, &self.terms));
        found.sort_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)));
        let mut kept: Vec<(usize, usize, Kind)> = Vec::new();
        for m in found {
            if kept.last().is_none_or(|last| m.0 >= last.1) {
                kept.push(m);
            }
        }
        kept
    }

    fn placeholder(&mut self, value: &str, kind: Kind) -> String {
        *self.counts.entry(kind).or_default() += 1;
        // A term is the same term in any case ("Blue Sky", "blue sky").
        let key = match kind {
            Kind::Term => value.to_lowercase(),
            _ => value.to_string(),
        };
        if let Some(p) = self.placeholders.get(&key) {
            return p.clone();
        }
        let n = self.next.entry(kind).or_default();
        *n += 1;
        let p = format!("[{}_{}]", kind.label(), n);
        self.placeholders.insert(key, p.clone());
        self.values.insert(p.clone(), value.to_string());
        p
    }

    /// `text` with placeholders turned back into the real values.
    pub fn restore(&self, text: &str) -> String {
        if !text.contains('[') || self.values.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let tail = &rest[open..];
            match tail.find(']').map(|close| &tail[..=close]) {
                Some(p) if self.values.contains_key(p) => {
                    out.push_str(&self.values[p]);
                    rest = &tail[p.len()..];
                }
                _ => {
                    out.push('[');
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The minutes with every text field restored.
    pub fn restore_minutes(&self, m: &mut Minutes) {
        let r = |s: &mut String| *s = self.restore(s);
        let ro = |s: &mut Option<String>| {
            if let Some(v) = s {
                *v = self.restore(v);
            }
        };
        r(&mut m.title);
        m.summary.iter_mut().for_each(r);
        m.participants.iter_mut().for_each(r);
        // Quotes too: they are checked against the restored transcript.
        for q in &mut m.open_questions {
            r(&mut q.question);
            q.evidence.iter_mut().for_each(|e| r(&mut e.quote));
        }
        for d in &mut m.decisions {
            r(&mut d.decision);
            d.evidence.iter_mut().for_each(|e| r(&mut e.quote));
        }
        for a in &mut m.action_items {
            r(&mut a.task);
            ro(&mut a.owner);
            ro(&mut a.due);
            a.evidence.iter_mut().for_each(|e| r(&mut e.quote));
        }
        for t in &mut m.topics {
            r(&mut t.title);
        }
    }

    /// How many values of each kind were replaced (occurrences, not values).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.counts
            .iter()
            .map(|(k, n)| (k.name().to_string(), *n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_value_gets_the_same_placeholder_and_comes_back() {
        let mut r = Redactor::new(&["Blue Sky".to_string()]);
        let a = r.redact("Mail minsu.kim@example.co.kr about Blue Sky.");
        let b = r.redact("Again: minsu.kim@example.co.kr, and blue sky.");
        assert_eq!(a, "Mail [EMAIL_1] about [TERM_1].");
        assert_eq!(b, "Again: [EMAIL_1], and [TERM_1].");
        assert_eq!(
            r.restore("Ask [EMAIL_1] about [TERM_1] [x]."),
            "Ask minsu.kim@example.co.kr about Blue Sky [x]."
        );
        assert_eq!(r.counts()["email"], 2);
        assert!(
            !format!("{r:?}").contains("minsu"),
            "the mapping never prints"
        );
    }

    #[test]
    fn restored_minutes_hold_the_real_values() {
        let mut r = Redactor::new(&[]);
        let t = r.redact("Call 010-1234-5678");
        assert_eq!(t, "Call [PHONE_1]");
        let mut m = Minutes {
            title: "Call [PHONE_1]".into(),
            action_items: vec![crate::summarize::schema::ActionItem {
                task: "Ring [PHONE_1]".into(),
                owner: Some("[PHONE_1]".into()),
                ..Default::default()
            }],
            ..Minutes::default()
        };
        r.restore_minutes(&mut m);
        assert_eq!(m.title, "Call 010-1234-5678");
        assert_eq!(m.action_items[0].owner.as_deref(), Some("010-1234-5678"));
    }
}
