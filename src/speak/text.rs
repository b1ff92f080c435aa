//! Minutes as something to listen to: typed minutes in, plain sentences out.
//!
//! Speech is made from the [`Minutes`] value, not from markdown, so renaming
//! a heading cannot silence a section; a markdown file written earlier is
//! read back by [`crate::render::read`] first. Markdown symbols and link
//! syntax in the model's text are not read; sections become short
//! announcements, items become sentences, and `12:04` becomes "at 12
//! minutes". Section names follow the minutes' language where we know it.

use crate::render::{Section, read};
use crate::summarize::schema::Minutes;

/// What is said before a section, in `language`.
fn announcement(section: Section, language: &str) -> &'static str {
    let ko = language.starts_with("ko");
    match (section, ko) {
        (Section::Summary, false) => "Summary.",
        (Section::Decisions, false) => "Decisions.",
        (Section::Actions, false) => "Action items.",
        (Section::Questions, false) => "Open questions.",
        (Section::Topics, false) => "Topics.",
        (Section::Participants, false) => "Participants.",
        (Section::Summary, true) => "요약.",
        (Section::Decisions, true) => "결정 사항.",
        (Section::Actions, true) => "할 일.",
        (Section::Questions, true) => "남은 질문.",
        (Section::Topics, true) => "주제.",
        (Section::Participants, true) => "참석자.",
    }
}

/// The text to speak and the language it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Speech {
    pub text: String,
    pub language: String,
}

/// A minutes markdown file (written earlier, perhaps edited) as sentences.
pub fn from_markdown(markdown: &str, sections: &[Section]) -> Speech {
    let doc = read::markdown(markdown);
    from_minutes(&doc.minutes, doc.language.as_deref(), sections)
}

/// Minutes as sentences: the title, then each chosen non-empty section
/// announced by name and read item by item.
pub fn from_minutes(m: &Minutes, language: Option<&str>, sections: &[Section]) -> Speech {
    let language = language
        .filter(|l| !l.is_empty() && *l != "unknown")
        .unwrap_or("en")
        .to_string();
    let mut out: Vec<String> = Vec::new();
    if !m.title.trim().is_empty() {
        out.push(sentence(&clean(&m.title)));
    }
    for section in Section::ALL.into_iter().filter(|s| sections.contains(s)) {
        let items: Vec<String> = match section {
            Section::Summary => m.summary.iter().map(|s| clean(s)).collect(),
            Section::Decisions => m
                .decisions
                .iter()
                .map(|d| with_time(clean(&d.decision), d.time.as_deref(), "at "))
                .collect(),
            Section::Actions => m
                .action_items
                .iter()
                .map(|a| {
                    let mut parts = vec![clean(&a.task)];
                    if let Some(owner) = a.owner.as_deref().filter(|o| !o.trim().is_empty()) {
                        parts.push(format!("owner {}", clean(owner)));
                    }
                    if let Some(due) = a.due.as_deref().filter(|d| !d.trim().is_empty()) {
                        parts.push(format!("due {}", clean(due)));
                    }
                    with_time(parts.join(", "), a.time.as_deref(), "at ")
                })
                .collect(),
            Section::Questions => m
                .open_questions
                .iter()
                .map(|q| clean(&q.question))
                .collect(),
            Section::Topics => m
                .topics
                .iter()
                .map(|t| with_time(clean(&t.title), t.start.as_deref(), "from "))
                .collect(),
            Section::Participants => match m.participants.is_empty() {
                true => Vec::new(),
                false => vec![clean(&m.participants.join(", "))],
            },
        };
        let items: Vec<String> = items.into_iter().filter(|i| !i.is_empty()).collect();
        if items.is_empty() {
            continue;
        }
        out.push(announcement(section, &language).to_string());
        out.extend(items.iter().map(|i| sentence(i)));
    }
    Speech {
        text: out.join("\n"),
        language,
    }
}

/// "text, at 12 minutes" (or "from …" for a topic's start).
fn with_time(text: String, time: Option<&str>, word: &str) -> String {
    match time.and_then(spoken_time) {
        Some(t) => format!("{text}, {}", t.replacen("at ", word, 1)),
        None => text,
    }
}

/// Removes markdown syntax and reads timestamps and separators aloud.
pub fn clean(text: &str) -> String {
    let mut s = text.to_string();
    // [label](url) → label
    while let Some(open) = s.find("](") {
        let Some(start) = s[..open].rfind('[') else {
            break;
        };
        let Some(close) = s[open..].find(')') else {
            break;
        };
        s = format!(
            "{}{}{}",
            &s[..start],
            &s[start + 1..open],
            &s[open + close + 1..]
        );
    }
    // [mm:ss] → at N minutes
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        match rest[i + 1..].find(']') {
            Some(j) => {
                let inner = &rest[i + 1..i + 1 + j];
                match spoken_time(inner) {
                    Some(t) => out.push_str(&t),
                    None => out.push_str(inner),
                }
                rest = &rest[i + 2 + j..];
            }
            None => {
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    let out = out.replace(['*', '_', '`', '#', '|'], "");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `12:04` → "at 12 minutes"; `1:02:03` → "at 1 hour 2 minutes".
fn spoken_time(clock: &str) -> Option<String> {
    let secs = crate::transcript::parse::parse_clock(clock)?;
    let total_min = (secs / 60.0).round() as u64;
    let (h, m) = (total_min / 60, total_min % 60);
    Some(match (h, m) {
        (0, 0) => "at the start".to_string(),
        (0, 1) => "at 1 minute".to_string(),
        (0, m) => format!("at {m} minutes"),
        (1, 0) => "at 1 hour".to_string(),
        (h, 0) => format!("at {h} hours"),
        (1, m) => format!("at 1 hour {m} minutes"),
        (h, m) => format!("at {h} hours {m} minutes"),
    })
}

fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?', '。']) {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "---\ntitle: 'Budget: Q3'\nlanguage: en\n---\n\n# Budget: Q3\n\n## Summary\n\n- The **budget** is [approved](http://x).\n\n\
## Decisions\n\n- Ship in October [12:04]\n\n## Action items\n\n- [ ] Send the report — Mina (Friday) [1:02:03]\n\n\
## Open questions\n\n_None._\n\n## Topics\n\n- [00:30] Hiring\n\n## Transcript\n\n[00:00] secret words\n";

    #[test]
    fn reads_sections_as_sentences_without_markup() {
        let s = from_markdown(DOC, &Section::ALL);
        assert_eq!(s.language, "en");
        let t = s.text;
        assert!(
            t.starts_with("Budget: Q3.\nSummary.\nThe budget is approved."),
            "{t}"
        );
        assert!(t.contains("Ship in October, at 12 minutes."), "{t}");
        assert!(
            t.contains("Send the report, owner Mina, due Friday, at 1 hour 2 minutes."),
            "{t}"
        );
        assert!(t.contains("Hiring, from 1 minute."), "{t}");
        for bad in [
            "[",
            "]",
            "**",
            "---",
            "http",
            "language:",
            "secret words",
            "None.",
        ] {
            assert!(!t.contains(bad), "{bad:?} in {t}");
        }
    }

    #[test]
    fn sections_can_be_picked() {
        let s = from_markdown(DOC, &[Section::Decisions]);
        assert!(
            s.text.contains("Decisions.") && !s.text.contains("Summary."),
            "{}",
            s.text
        );
    }

    #[test]
    fn korean_minutes_get_korean_section_names() {
        let doc = DOC.replace("language: en", "language: ko");
        assert!(from_markdown(&doc, &Section::ALL).text.contains("요약."));
    }
}
