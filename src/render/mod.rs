//! Minutes as documents: markdown with YAML front matter (for wikis and
//! static-site generators) and JSON (for scripts).
//!
//! Front matter is written by the YAML serializer, never by string pasting,
//! so titles with colons, quotes or `---` cannot break it; Obsidian, Hugo,
//! Jekyll and MkDocs all read the result.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::llm::{Stage, Usage};
use crate::summarize::Report;
use crate::summarize::schema::{Minutes, format_time};
use crate::transcript::Segment;

pub mod read;

/// The sections of a minutes document, in the order they are written.
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

    /// The markdown heading (`## …`) of the section.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Summary => "Summary",
            Section::Decisions => "Decisions",
            Section::Actions => "Action items",
            Section::Questions => "Open questions",
            Section::Topics => "Topics",
            Section::Participants => "Participants",
        }
    }

    pub fn of_heading(heading: &str) -> Option<Section> {
        Section::ALL
            .into_iter()
            .find(|s| s.heading() == heading.trim())
    }

    /// A section by its command-line name (`--speak-sections`).
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
}

/// What an empty section says.
const NONE: &str = "_None._";
/// Between an action item's task and its owner.
const OWNER_SEPARATOR: &str = " — ";

/// Everything a rendered document says about how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub source: String,
    /// ISO 8601 date of the meeting (the recording's modification time) or of the run.
    pub date: String,
    pub duration: f64,
    pub language: String,
    pub stt_model: String,
    pub llm_model: String,
    pub prompts: String,
    pub prompts_version: String,
    pub prompts_hash: String,
    /// The LLM's sampling temperature and seed, to make the run again.
    pub temperature: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
}

#[derive(Serialize)]
struct FrontMatter<'a> {
    title: &'a str,
    date: &'a str,
    duration: String,
    source: &'a str,
    language: &'a str,
    stt_model: &'a str,
    llm_model: &'a str,
    tags: Vec<&'a str>,
    generator: String,
    prompts: String,
    temperature: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u32>,
    /// What a reader should check (wikis show front matter).
    review: &'a [String],
}

/// The markdown document.
pub fn markdown(
    m: &Minutes,
    p: &Provenance,
    report: &Report,
    transcript: Option<&[Segment]>,
) -> String {
    let title = if m.title.trim().is_empty() {
        "Meeting minutes"
    } else {
        m.title.trim()
    };
    let front = FrontMatter {
        title,
        date: &p.date,
        duration: format_time(p.duration),
        source: &p.source,
        language: &p.language,
        stt_model: &p.stt_model,
        llm_model: &p.llm_model,
        tags: vec!["minutes", "meeting"],
        generator: format!("minutes {}", env!("CARGO_PKG_VERSION")),
        prompts: format!("{} {} ({})", p.prompts, p.prompts_hash, p.prompts_version),
        temperature: p.temperature,
        seed: p.seed,
        review: &report.review,
    };
    let yaml = serde_norway::to_string(&front).unwrap_or_default();
    // With the transcript below, each item's time links to the line it quotes.
    let timed = transcript.is_some_and(|t| t.iter().any(|s| s.end > 0.0));
    let stamp = |time: Option<&str>, verified: Option<bool>| {
        let mark = match verified {
            Some(false) => format!(" {UNVERIFIED}"),
            _ => String::new(),
        };
        let time = match time {
            Some(t) if timed => format!(" [[{t}]](#{})", anchor(t)),
            Some(t) => format!(" [{t}]"),
            None => String::new(),
        };
        format!("{mark}{time}")
    };
    let mut out = format!("---\n{yaml}---\n\n# {}\n", one_line(title));
    if !report.missing.is_empty() {
        out.push_str(
            "\n> **Incomplete minutes.** These parts of the recording could not be summarised:\n",
        );
        for g in &report.missing {
            out.push_str(&format!(
                "> - {}–{}: {}\n",
                format_time(g.start),
                format_time(g.end),
                one_line(&g.reason)
            ));
        }
    }
    section(
        &mut out,
        Section::Summary,
        m.summary.iter().map(|s| format!("- {}", one_line(s))),
    );
    section(
        &mut out,
        Section::Decisions,
        m.decisions.iter().map(|d| {
            let stamp = stamp(d.time.as_deref(), d.verified);
            format!("- {}{stamp}", one_line(&d.decision))
        }),
    );
    section(
        &mut out,
        Section::Actions,
        m.action_items.iter().map(|a| {
            let owner = a
                .owner
                .as_deref()
                .map(|o| format!("{OWNER_SEPARATOR}{}", one_line(o)))
                .unwrap_or_default();
            let due = a
                .due
                .as_deref()
                .map(|d| format!(" ({})", one_line(d)))
                .unwrap_or_default();
            format!(
                "- [ ] {}{owner}{due}{}",
                one_line(&a.task),
                stamp(a.time.as_deref(), a.verified)
            )
        }),
    );
    section(
        &mut out,
        Section::Questions,
        m.open_questions.iter().map(|q| {
            let stamp = stamp(q.time.as_deref(), q.verified);
            format!("- {}{stamp}", one_line(&q.question))
        }),
    );
    section(
        &mut out,
        Section::Topics,
        m.topics.iter().map(|t| match &t.start {
            Some(s) => format!("- [{s}] {}", one_line(&t.title)),
            None => format!("- {}", one_line(&t.title)),
        }),
    );
    if !m.participants.is_empty() {
        let names: Vec<String> = m.participants.iter().map(|p| one_line(p)).collect();
        out.push_str(&format!(
            "\n## {}\n\n{}\n",
            Section::Participants.heading(),
            names.join(", ")
        ));
    }
    if let Some(segments) = transcript {
        out.push_str("\n## Transcript\n\n");
        let mut cited: std::collections::BTreeSet<String> = cited_times(m).collect();
        for s in segments {
            let who = s
                .speaker
                .as_deref()
                .map(|w| format!("{}: ", one_line(w)))
                .unwrap_or_default();
            if timed {
                let time = format_time(s.start);
                if cited.remove(&time) {
                    out.push_str(&format!("<a id=\"{}\"></a>", anchor(&time)));
                }
                out.push_str(&format!("[{time}] {who}{}\n", one_line(&s.text)));
            } else {
                out.push_str(&format!("{who}{}\n", one_line(&s.text)));
            }
        }
    }
    out
}

fn section(out: &mut String, section: Section, lines: impl Iterator<Item = String>) {
    let lines: Vec<String> = lines.collect();
    out.push_str(&format!("\n## {}\n\n", section.heading()));
    if lines.is_empty() {
        out.push_str(NONE);
        out.push('\n');
    } else {
        out.push_str(&lines.join("\n"));
        out.push('\n');
    }
}

/// How an item whose evidence was not found is marked (`--keep-unverified`).
const UNVERIFIED: &str = "_(unverified)_";

/// The id of the transcript line at `mm:ss` (`t-12-04`).
fn anchor(time: &str) -> String {
    format!("t-{}", time.replace(':', "-"))
}

/// The times items point to.
fn cited_times(m: &Minutes) -> impl Iterator<Item = String> + '_ {
    let decisions = m.decisions.iter().map(|d| &d.time);
    let actions = m.action_items.iter().map(|a| &a.time);
    let questions = m.open_questions.iter().map(|q| &q.time);
    decisions.chain(actions).chain(questions).flatten().cloned()
}

/// Model text on one line, so it cannot open a heading or end a list.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    minutes: &'a Minutes,
    provenance: &'a Provenance,
    report: &'a Report,
    usage: &'a BTreeMap<Stage, Usage>,
    usage_total: &'a Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<&'a [Segment]>,
}

/// The structured document: minutes, provenance, usage and timings.
pub fn json(
    m: &Minutes,
    p: &Provenance,
    report: &Report,
    usage: &BTreeMap<Stage, Usage>,
    total: &Usage,
    transcript: Option<&[Segment]>,
) -> String {
    let doc = JsonDoc {
        minutes: m,
        provenance: p,
        report,
        usage,
        usage_total: total,
        transcript,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::schema::{ActionItem, Decision};

    fn provenance() -> Provenance {
        Provenance {
            source: "a: b.mp4".into(),
            date: "2026-11-25".into(),
            duration: 754.0,
            language: "ko".into(),
            stt_model: "base".into(),
            llm_model: "gpt-4o-mini".into(),
            prompts: "default".into(),
            prompts_version: "map@1".into(),
            prompts_hash: "abc".into(),
            temperature: 0.2,
            seed: None,
        }
    }

    #[test]
    fn front_matter_survives_hostile_titles() {
        let m = Minutes {
            title: "Budget: \"Q3\" --- review\n# not a heading".into(),
            ..Default::default()
        };
        let md = markdown(&m, &provenance(), &Report::default(), None);
        let end = md[4..].find("\n---\n").unwrap() + 4;
        let front: serde_norway::Value = serde_norway::from_str(&md[4..end]).unwrap();
        assert_eq!(front["title"].as_str().unwrap(), m.title);
        assert_eq!(front["duration"].as_str().unwrap(), "12:34");
        assert_eq!(front["tags"][0].as_str().unwrap(), "minutes");
        assert!(!md.contains("\n# not a heading"));
    }

    #[test]
    fn action_items_read_as_checkboxes() {
        let m = Minutes {
            action_items: vec![ActionItem {
                task: "Send the report".into(),
                owner: Some("Mina".into()),
                due: Some("Friday".into()),
                time: Some("03:15".into()),
                ..ActionItem::default()
            }],
            decisions: vec![Decision {
                decision: "Ship it".into(),
                ..Decision::default()
            }],
            ..Default::default()
        };
        let md = markdown(&m, &provenance(), &Report::default(), None);
        assert!(
            md.contains("- [ ] Send the report — Mina (Friday) [03:15]"),
            "{md}"
        );
        assert!(md.contains("## Decisions\n\n- Ship it\n"));
        assert!(md.contains("## Open questions\n\n_None._"));
    }

    #[test]
    fn item_times_link_to_the_quoted_line_and_unverified_items_are_marked() {
        let m = Minutes {
            decisions: vec![
                Decision {
                    decision: "Ship it".into(),
                    time: Some("00:04".into()),
                    verified: Some(true),
                    ..Default::default()
                },
                Decision {
                    decision: "Buy a yacht".into(),
                    verified: Some(false),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let line = |start: f64, text: &str| Segment {
            start,
            end: start + 4.0,
            text: text.into(),
            speaker: None,
            words: Vec::new(),
        };
        let segments = [line(0.0, "Hello."), line(4.0, "Let's ship it.")];
        let md = markdown(&m, &provenance(), &Report::default(), Some(&segments));
        assert!(md.contains("- Ship it [[00:04]](#t-00-04)\n"), "{md}");
        assert!(md.contains("- Buy a yacht _(unverified)_\n"), "{md}");
        assert!(
            md.contains("\n[00:00] Hello.\n<a id=\"t-00-04\"></a>[00:04] Let's ship it.\n"),
            "{md}"
        );
        // Without the transcript there is nothing to link to.
        let md = markdown(&m, &provenance(), &Report::default(), None);
        assert!(md.contains("- Ship it [00:04]\n"), "{md}");
    }
}
