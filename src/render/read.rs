//! Minutes markdown read back into typed [`Minutes`], for `minutes speak
//! FILE.md` and other uses of documents written earlier (and perhaps edited
//! in a wiki since). It is the inverse of [`super::markdown`] and shares its
//! headings ([`Section`]) and item shapes, so the two cannot drift apart.
//! The pipeline itself never reads back what it rendered: it keeps the
//! typed value.

use serde::Deserialize;

use super::Section;
use crate::summarize::schema::{ActionItem, Decision, Minutes, Question, Topic};

/// A minutes document as read: the minutes and the language they are in.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub minutes: Minutes,
    /// The front matter's `language`, if any.
    pub language: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Front {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// Reads a minutes markdown document. Unknown sections (the appended
/// transcript, a reader's own notes) and lines that are not items are skipped.
pub fn markdown(doc: &str) -> Document {
    let (front, body) = split_front_matter(doc);
    let front: Front = front
        .and_then(|f| serde_norway::from_str(f).ok())
        .unwrap_or_default();
    let mut m = Minutes {
        title: front.title.unwrap_or_default(),
        ..Minutes::default()
    };
    let mut current: Option<Section> = None;
    let mut title_seen = false;
    for line in body.lines() {
        let line = line.trim();
        if let Some(title) = line.strip_prefix("# ") {
            if !title_seen {
                m.title = title.trim().to_string();
                title_seen = true;
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            current = Section::of_heading(heading);
            continue;
        }
        if line.is_empty() || line.starts_with('>') || line == super::NONE {
            continue;
        }
        let Some(section) = current else { continue };
        let item = line
            .strip_prefix("- [ ] ")
            .or_else(|| line.strip_prefix("- [x] "))
            .or_else(|| line.strip_prefix("- "));
        match (section, item) {
            (Section::Summary, Some(t)) => m.summary.push(t.to_string()),
            (Section::Questions, Some(t)) => {
                let (question, time, verified) = trailing_marks(t);
                m.open_questions.push(Question {
                    question: question.to_string(),
                    time,
                    verified,
                    ..Question::default()
                });
            }
            (Section::Decisions, Some(t)) => {
                let (decision, time, verified) = trailing_marks(t);
                m.decisions.push(Decision {
                    decision: decision.to_string(),
                    time,
                    verified,
                    ..Decision::default()
                });
            }
            (Section::Actions, Some(t)) => m.action_items.push(action(t)),
            (Section::Topics, Some(t)) => m.topics.push(topic(t)),
            (Section::Participants, _) => m.participants.extend(
                line.trim_start_matches("- ")
                    .split(", ")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            ),
            _ => {}
        }
    }
    Document {
        minutes: m,
        language: front.language,
    }
}

fn split_front_matter(doc: &str) -> (Option<&str>, &str) {
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    if let Some(rest) = doc.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---\n")
    {
        return (Some(&rest[..end]), &rest[end + 5..]);
    }
    (None, doc)
}

/// `text [12:04]` or `text [[12:04]](#t-12-04)` → ("text", Some("12:04")).
fn trailing_stamp(item: &str) -> (&str, Option<String>) {
    let clock = |t: &str| crate::transcript::parse::parse_clock(t).is_some();
    if let Some(open) = item.rfind(" [[")
        && let Some((time, link)) = item[open + 3..].split_once("]](#")
        && link.ends_with(')')
        && !link.contains(' ')
        && clock(time)
    {
        return (item[..open].trim_end(), Some(time.to_string()));
    }
    if let Some(open) = item.rfind(" [")
        && item.ends_with(']')
    {
        let time = &item[open + 2..item.len() - 1];
        if clock(time) {
            return (item[..open].trim_end(), Some(time.to_string()));
        }
    }
    (item, None)
}

/// The stamp, then the unverified mark: `text _(unverified)_ [12:04]`.
/// Verified is `Some(false)` when marked, else unknown.
fn trailing_marks(item: &str) -> (&str, Option<String>, Option<bool>) {
    let (rest, time) = trailing_stamp(item);
    match rest.strip_suffix(super::UNVERIFIED) {
        Some(text) => (text.trim_end(), time, Some(false)),
        None => (rest, time, None),
    }
}

/// `task — owner (due) [time]`, each part after the task optional.
fn action(item: &str) -> ActionItem {
    let (rest, time, verified) = trailing_marks(item);
    let (task, rest) = match rest.split_once(super::OWNER_SEPARATOR) {
        Some((task, rest)) => (task, Some(rest)),
        None => (rest, None),
    };
    let due_of = |s: &str| -> Option<(String, String)> {
        let open = s.rfind(" (")?;
        s.ends_with(')')
            .then(|| (s[..open].to_string(), s[open + 2..s.len() - 1].to_string()))
    };
    let (task, owner, due) = match rest {
        Some(rest) => match due_of(rest) {
            Some((owner, due)) => (task.to_string(), Some(owner), Some(due)),
            None => (task.to_string(), Some(rest.to_string()), None),
        },
        None => match due_of(task) {
            Some((task, due)) => (task, None, Some(due)),
            None => (task.to_string(), None, None),
        },
    };
    ActionItem {
        task,
        owner: owner.filter(|o| !o.trim().is_empty()),
        due,
        time,
        verified,
        ..ActionItem::default()
    }
}

/// `[00:30] title` or `title`.
fn topic(item: &str) -> Topic {
    if let Some(rest) = item.strip_prefix('[')
        && let Some((time, title)) = rest.split_once("] ")
        && crate::transcript::parse::parse_clock(time).is_some()
    {
        return Topic {
            title: title.to_string(),
            start: Some(time.to_string()),
        };
    }
    Topic {
        title: item.to_string(),
        start: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Provenance, markdown as render};
    use crate::summarize::Report;

    fn sample() -> Minutes {
        Minutes {
            title: "Budget: Q3".into(),
            summary: vec!["The budget is approved.".into()],
            decisions: vec![
                Decision {
                    decision: "Ship in October".into(),
                    time: Some("12:04".into()),
                    ..Decision::default()
                },
                Decision {
                    decision: "Keep [draft] labels".into(),
                    verified: Some(false),
                    ..Decision::default()
                },
            ],
            action_items: vec![
                ActionItem {
                    task: "Send the report".into(),
                    owner: Some("Mina".into()),
                    due: Some("Friday".into()),
                    time: Some("1:02:03".into()),
                    ..ActionItem::default()
                },
                ActionItem {
                    task: "Book a room".into(),
                    owner: None,
                    due: Some("2026-12-01".into()),
                    time: Some("00:00".into()),
                    verified: Some(false),
                    ..ActionItem::default()
                },
                ActionItem {
                    task: "예산 검토".into(),
                    owner: Some("김민수".into()),
                    ..ActionItem::default()
                },
            ],
            open_questions: vec![Question {
                question: "Who pays for [it]?".into(),
                time: Some("12:04".into()),
                ..Question::default()
            }],
            topics: vec![
                Topic {
                    title: "Hiring".into(),
                    start: Some("00:30".into()),
                },
                Topic {
                    title: "Wrap-up".into(),
                    start: None,
                },
            ],
            participants: vec!["Mina".into(), "김민수".into()],
        }
    }

    #[test]
    fn what_is_rendered_reads_back_the_same() {
        let m = sample();
        let p = Provenance {
            source: "a.mp4".into(),
            date: "2026-11-29".into(),
            duration: 4000.0,
            language: "ko".into(),
            stt_model: "tiny".into(),
            llm_model: "m".into(),
            prompts: "default".into(),
            prompts_version: "1".into(),
            prompts_hash: "h".into(),
            temperature: 0.2,
            seed: Some(7),
        };
        let segments = [crate::transcript::Segment {
            start: 0.0,
            end: 1.0,
            text: "- not an item".into(),
            speaker: None,
            words: Vec::new(),
        }];
        let doc = render(&m, &p, &Report::default(), Some(&segments));
        let read = markdown(&doc);
        assert_eq!(read.minutes, m, "{doc}");
        assert_eq!(read.language.as_deref(), Some("ko"));
    }
}
