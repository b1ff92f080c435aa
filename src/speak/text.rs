//! Minutes as something to listen to: markdown in, plain sentences out.
//!
//! The YAML front matter, markdown symbols, checkboxes, link syntax and the
//! appended transcript are not read; headings become short announcements,
//! list items become sentences, and `[12:04]` becomes "at 12 minutes".
//! Section names follow the minutes' language where we know it.

use serde::Deserialize;

/// The sections a listener can pick with `--speak-sections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Summary,
    Decisions,
    Actions,
    Questions,
    Topics,
    Participants,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Summary,
        Section::Decisions,
        Section::Actions,
        Section::Questions,
        Section::Topics,
        Section::Participants,
    ];

    pub fn parse(name: &str) -> Option<Section> {
        Some(match name.trim().to_lowercase().as_str() {
            "summary" => Section::Summary,
            "decisions" => Section::Decisions,
            "actions" | "action-items" | "action_items" => Section::Actions,
            "questions" | "open-questions" | "open_questions" => Section::Questions,
            "topics" => Section::Topics,
            "participants" => Section::Participants,
            _ => return None,
        })
    }

    fn of_heading(heading: &str) -> Option<Section> {
        Some(match heading.trim() {
            "Summary" => Section::Summary,
            "Decisions" => Section::Decisions,
            "Action items" => Section::Actions,
            "Open questions" => Section::Questions,
            "Topics" => Section::Topics,
            "Participants" => Section::Participants,
            _ => return None,
        })
    }

    /// What is said before the section, in `language`.
    fn spoken(self, language: &str) -> &'static str {
        let ko = language.starts_with("ko");
        match (self, ko) {
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
}

#[derive(Debug, Default, Deserialize)]
struct Front {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// The text to speak and the language it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Speech {
    pub text: String,
    pub language: String,
}

/// Turns a minutes markdown document into sentences.
pub fn from_markdown(markdown: &str, sections: &[Section]) -> Speech {
    let (front, body) = split_front_matter(markdown);
    let front: Front = front
        .and_then(|f| serde_norway::from_str(f).ok())
        .unwrap_or_default();
    let language = front
        .language
        .filter(|l| l != "unknown")
        .unwrap_or_else(|| "en".into());
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<Section> = None;
    let mut skipping = false;
    let mut title_done = false;
    for line in body.lines() {
        let line = line.trim();
        if let Some(title) = line.strip_prefix("# ") {
            if !title_done {
                out.push(sentence(&clean(title)));
                title_done = true;
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            current = Section::of_heading(heading);
            skipping = !current.is_some_and(|s| sections.contains(&s));
            if let (Some(s), false) = (current, skipping) {
                out.push(s.spoken(&language).to_string());
            }
            continue;
        }
        if skipping || line.is_empty() || line.starts_with('>') || line == "_None._" {
            continue;
        }
        let item = line
            .strip_prefix("- [ ] ")
            .or_else(|| line.strip_prefix("- [x] "))
            .or_else(|| line.strip_prefix("- "));
        let text = match (current, item) {
            (Some(Section::Topics), Some(t)) => topic(t),
            (Some(Section::Actions), Some(t)) => action(t),
            (_, Some(t)) => clean(t),
            (Some(Section::Participants), None) => clean(line),
            _ => continue,
        };
        if !text.is_empty() {
            out.push(sentence(&text));
        }
    }
    if !title_done && let Some(t) = front.title {
        out.insert(0, sentence(&clean(&t)));
    }
    Speech {
        text: out.join("\n"),
        language,
    }
}

fn split_front_matter(doc: &str) -> (Option<&str>, &str) {
    if let Some(rest) = doc.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---\n")
    {
        return (Some(&rest[..end]), &rest[end + 5..]);
    }
    (None, doc)
}

/// A topic line `[mm:ss] title` reads "title, from 12 minutes".
fn topic(item: &str) -> String {
    match item.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((time, title)) => match spoken_time(time) {
            Some(t) => format!("{}, {}", clean(title), t.replacen("at ", "from ", 1)),
            None => clean(item),
        },
        None => clean(item),
    }
}

/// An action item `task — owner (due) [mm:ss]` reads "task, owner Mina, due Friday, at 12 minutes".
fn action(item: &str) -> String {
    let (task, rest) = item.split_once(" — ").unwrap_or((item, ""));
    let (rest, time) = match rest
        .rfind(" [")
        .or_else(|| task.rfind(" [").map(|_| usize::MAX))
    {
        Some(usize::MAX) | None => (rest, ""),
        Some(i) => (&rest[..i], &rest[i + 1..]),
    };
    let (owner, due) = match rest.find(" (") {
        Some(i) if rest.ends_with(')') => (&rest[..i], &rest[i + 2..rest.len() - 1]),
        _ => (rest, ""),
    };
    let mut parts = vec![clean(task)];
    if !owner.trim().is_empty() {
        parts.push(format!("owner {}", clean(owner)));
    }
    if !due.trim().is_empty() {
        parts.push(format!("due {}", clean(due)));
    }
    if !time.is_empty() {
        parts.push(clean(time));
    }
    parts.join(", ")
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
    let out = out
        .replace(" — ", ", owner ")
        .replace(['*', '_', '`', '#', '|'], "");
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
        assert!(t.contains("Ship in October at 12 minutes."), "{t}");
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
