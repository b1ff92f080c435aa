//! A due date comes from where the task was given.
//!
//! A small model copies a weekday it read elsewhere in the meeting onto a
//! task ("Fix the login test, due Friday" over "I can have it done by
//! Wednesday"): the day was said, so the check against the whole recording
//! passes, but not for this task. So the specifics of a verified action
//! item's due date (weekdays, dates, relative days) must be said in the
//! segments its evidence was found in or the turn just before or after
//! (a due is often asked for and given in the next turn: "By when?" —
//! "Friday."). Like the check against the whole recording, it runs when
//! the minutes are in the recording's language. A due that fails is
//! removed from the item, which stays (the due is kept with
//! `--keep-unverified`), and listed for review. A due with no specific in
//! it ("after the release") is left alone.

use super::schema::Minutes;
use super::specifics::unbacked;
use crate::transcript::Segment;

/// What the check did: lines for the reader, dues removed or kept.
#[derive(Debug, Default)]
pub struct Outcome {
    pub removed: Vec<String>,
    pub kept: Vec<String>,
}

/// Checks the due dates of the verified action items of `minutes`.
pub fn check(minutes: &mut Minutes, segments: &[Segment], keep_unverified: bool) -> Outcome {
    let mut out = Outcome::default();
    for a in &mut minutes.action_items {
        let (Some(due), Some(true)) = (&a.due, a.verified) else {
            continue;
        };
        let mut around: Vec<usize> = a
            .evidence
            .iter()
            .filter_map(|e| e.segment)
            .flat_map(|i| i.saturating_sub(1)..=i + 1)
            .filter(|i| *i < segments.len())
            .collect();
        around.sort_unstable();
        around.dedup();
        let mut said: Vec<&str> = a.evidence.iter().map(|e| e.quote.as_str()).collect();
        said.extend(around.iter().map(|&i| segments[i].text.as_str()));
        let missing = unbacked(due, &said.join("\n"));
        if missing.is_empty() {
            continue;
        }
        let line = format!(
            "due date \"{}\" of \"{}\" is not said where the task was given",
            due.trim(),
            a.task.trim()
        );
        match keep_unverified {
            true => out.kept.push(line),
            false => {
                out.removed.push(line);
                a.due = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::schema::{ActionItem, Evidence};

    fn seg(text: &str) -> Segment {
        Segment {
            start: 0.0,
            end: 1.0,
            text: text.into(),
            speaker: None,
            words: Vec::new(),
        }
    }

    fn task(due: &str, segment: usize) -> ActionItem {
        ActionItem {
            task: "Fix the login test".into(),
            due: Some(due.into()),
            evidence: vec![Evidence {
                segment: Some(segment),
                quote: "fix the flaky login test".into(),
                ..Evidence::default()
            }],
            verified: Some(true),
            ..ActionItem::default()
        }
    }

    fn transcript() -> Vec<Segment> {
        vec![
            seg("Lena will send the changelog by Friday."),
            seg("Okay."),
            seg("Marcus, can you fix the flaky login test?"),
            seg("Sure, by Wednesday."),
            seg("Thanks."),
            seg("And the review is on the fifteenth."),
        ]
    }

    #[test]
    fn a_due_said_elsewhere_is_removed_one_said_with_the_task_stays() {
        let mut m = Minutes {
            action_items: vec![task("Friday", 2), task("Wednesday", 2), task("the 15th", 2)],
            ..Minutes::default()
        };
        let out = check(&mut m, &transcript(), false);
        let dues: Vec<Option<&str>> = m.action_items.iter().map(|a| a.due.as_deref()).collect();
        assert_eq!(dues, [None, Some("Wednesday"), None]);
        assert_eq!(m.action_items.len(), 3, "the tasks stay");
        assert_eq!(out.removed.len(), 2, "{:?}", out.removed);
        assert!(out.removed[0].contains("\"Friday\""), "{:?}", out.removed);
    }

    #[test]
    fn kept_when_asked_and_dues_without_specifics_are_left_alone() {
        let mut m = Minutes {
            action_items: vec![task("Friday", 2), task("after the release", 2)],
            ..Minutes::default()
        };
        let out = check(&mut m, &transcript(), true);
        assert_eq!(m.action_items[0].due.as_deref(), Some("Friday"));
        assert_eq!(m.action_items[1].due.as_deref(), Some("after the release"));
        assert_eq!((out.kept.len(), out.removed.len()), (1, 0));
    }
}
