//! The checks the finished minutes go through before anyone reads them:
//! evidence found in the transcript (see `evidence`), timestamps inside the
//! recording, and names and due dates that were actually said. What they remove is listed for the reader (`review`);
//! speakers known by name are added to the participants.

use super::prompts::PromptSet;
use super::schema::{Minutes, Said};
use super::{Event, Options, Report};
use super::{echo, language};
use crate::transcript::{Segment, Transcript};

/// Tidies `minutes` and removes what the recording does not back.
pub fn check(
    minutes: &mut Minutes,
    transcript: &[Segment],
    prompts: &PromptSet,
    opts: &Options,
    recording: &Transcript,
    report: &mut Report,
    on_event: &(dyn Fn(Event) + Send + Sync),
) {
    minutes.tidy();
    let echoes = echo::check(
        minutes,
        &echo::Scaffolding::new(&prompts.scaffolding(), transcript),
    );
    if !echoes.is_empty() {
        on_event(Event::Warning(format!(
            "removed {} texts that repeat the instructions, not the meeting",
            echoes.len()
        )));
    }
    report.echoes_dropped = echoes.len();
    report.review.extend(echoes);
    check_language(minutes, transcript, opts, recording, report, on_event);
    let evidence = super::evidence::check(minutes, transcript, opts.keep_unverified);
    report.unverified = evidence.dropped.len() + evidence.kept.len();
    if !evidence.dropped.is_empty() {
        on_event(Event::Warning(format!(
            "removed {} items whose quoted evidence is not in the transcript (--keep-unverified keeps them)",
            evidence.dropped.len()
        )));
    }
    report.review.extend(
        evidence
            .dropped
            .iter()
            .map(|i| format!("not found in the transcript, removed: {i}")),
    );
    report.review.extend(
        evidence
            .kept
            .iter()
            .map(|i| format!("not found in the transcript, kept unverified: {i}")),
    );
    let specifics = super::specifics::check(minutes, transcript, opts.keep_unverified);
    report.unverified += specifics.dropped.len() + specifics.kept.len();
    if !specifics.dropped.is_empty() {
        on_event(Event::Warning(format!(
            "removed {} items that state a number or date their evidence does not (--keep-unverified keeps them)",
            specifics.dropped.len()
        )));
    }
    flagged(report, &specifics.dropped, &specifics.kept);
    report.review.extend(one_kind_each(minutes));
    report.timestamps_dropped = minutes.check_times(recording.duration);
    if report.timestamps_dropped > 0 {
        report.review.push(format!(
            "{} timestamps outside the recording removed",
            report.timestamps_dropped
        ));
    }
    // Compared with the language the recording was in (detected, stated, or
    // that of the transcript file), not with the --audio-language setting,
    // whose default `auto` would turn the check off for every Korean meeting.
    let same_language = opts.language_code.as_deref().is_none_or(|l| {
        recording.language.is_empty() || recording.language.eq_ignore_ascii_case(l)
    });
    if same_language {
        let mut said = opts.glossary.clone();
        for s in transcript {
            said.push('\n');
            // A speaker's name counts as said: it was recognised by voice.
            if let Some(who) = &s.speaker {
                said.push_str(who);
                said.push_str(": ");
            }
            said.push_str(&s.text);
        }
        let said = Said::new(&said);
        let names = minutes.check_names(&said);
        let dues = minutes.check_dues(&said);
        report.names_dropped = names.len();
        report.dues_dropped += dues.len();
        report.review.extend(
            names
                .iter()
                .map(|n| format!("name never said, removed: {n}")),
        );
        report.review.extend(
            dues.iter()
                .map(|d| format!("due date never said, removed: {d}")),
        );
        if !names.is_empty() || !dues.is_empty() {
            on_event(Event::Warning(format!(
                "removed what was never said in the recording: {} names (participants, owners), {} due dates",
                names.len(),
                dues.len()
            )));
        }
        // Said, but not where the task was given.
        let dues = super::dues::check(minutes, transcript, opts.keep_unverified);
        report.dues_dropped += dues.removed.len();
        if !dues.removed.is_empty() {
            on_event(Event::Warning(format!(
                "removed {} due dates not said where their task was given (--keep-unverified keeps them)",
                dues.removed.len()
            )));
        }
        flagged(report, &dues.removed, &dues.kept);
    }
    // Speakers known by name were there: they are participants, whether or
    // not the model listed them. (Bare labels such as S2 are not names.)
    for name in named_speakers(transcript) {
        if !minutes
            .participants
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&name))
        {
            minutes.participants.push(name);
        }
    }
}

/// Lists for review what a check removed and what it kept unverified.
fn flagged(report: &mut Report, removed: &[String], kept: &[String]) {
    let removed = removed.iter().map(|i| format!("{i}: removed"));
    let kept = kept.iter().map(|i| format!("{i}: kept unverified"));
    report.review.extend(removed.chain(kept));
}

/// How alike two statements are: the share of character pairs (letters
/// and digits only, spaces left out, so Korean particles and spacing count
/// little) that they have in common.
fn likeness(a: &str, b: &str) -> f64 {
    let pairs = |t: &str| -> std::collections::HashSet<(char, char)> {
        let c: Vec<char> = t
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (a, b) = (pairs(a), pairs(b));
    let union = a.union(&b).count();
    match union {
        0 => 0.0,
        _ => a.intersection(&b).count() as f64 / union as f64,
    }
}

/// Statements this alike are one statement.
const SAME: f64 = 0.7;

/// The same statement is never both a decision and an action item: it
/// stays an action item when it has an owner or a due date, else a
/// decision. Returns a line per statement moved, for the reader.
fn one_kind_each(minutes: &mut Minutes) -> Vec<String> {
    let mut notes = Vec::new();
    let decisions = std::mem::take(&mut minutes.decisions);
    for d in decisions {
        let twin = minutes
            .action_items
            .iter()
            .position(|a| likeness(&a.task, &d.decision) >= SAME);
        match twin {
            Some(i)
                if minutes.action_items[i].owner.is_some()
                    || minutes.action_items[i].due.is_some() =>
            {
                notes.push(format!(
                    "stated as a decision and as an action item, kept as the action item: {}",
                    d.decision.trim()
                ));
            }
            Some(i) => {
                let a = minutes.action_items.remove(i);
                notes.push(format!(
                    "stated as a decision and as an action item without owner or due date, kept as the decision: {}",
                    a.task.trim()
                ));
                minutes.decisions.push(d);
            }
            None => minutes.decisions.push(d),
        }
    }
    notes
}

/// Flags minutes not written in the meeting's language (asked for, else
/// the recording's), where its script tells: the pipeline has already
/// asked again once.
fn check_language(
    minutes: &Minutes,
    transcript: &[Segment],
    opts: &Options,
    recording: &Transcript,
    report: &mut Report,
    on_event: &(dyn Fn(Event) + Send + Sync),
) {
    let code = opts.language_code.clone().or_else(|| {
        language::english_name(&recording.language)
            .map(|_| recording.language.clone())
            .or_else(|| {
                let text: Vec<&str> = transcript.iter().map(|s| s.text.as_str()).collect();
                language::guess(&text.join(" ")).map(str::to_string)
            })
    });
    let Some(code) = code else { return };
    let Some(script) = language::script_of(&code) else {
        return;
    };
    if !language::written_in(&language::prose(minutes), script) {
        let name = language::prompt_name(&code).unwrap_or(code);
        on_event(Event::Warning(format!(
            "the minutes are not written in {name}, though asked for twice"
        )));
        report
            .review
            .push(format!("not written in {name}: read them with care"));
    }
}

/// Speaker names (not `S1`-style labels) in order of first appearance.
fn named_speakers(transcript: &[Segment]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for who in transcript.iter().filter_map(|s| s.speaker.as_deref()) {
        let label = who
            .strip_prefix('S')
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        if !label && !names.iter().any(|n| n == who) {
            names.push(who.to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::schema::{ActionItem, Decision};

    fn decision(text: &str) -> Decision {
        Decision {
            decision: text.into(),
            ..Decision::default()
        }
    }

    fn action(task: &str, owner: Option<&str>) -> ActionItem {
        ActionItem {
            task: task.into(),
            owner: owner.map(str::to_string),
            ..ActionItem::default()
        }
    }

    #[test]
    fn one_statement_is_either_a_decision_or_an_action_item() {
        let mut m = Minutes {
            decisions: vec![
                decision("테스트 결과를 정리해서 금요일까지 공유한다."),
                decision("The release moves to March 14."),
                decision("Legal reviews the contract."),
            ],
            action_items: vec![
                action("테스트 결과 정리해서 금요일까지 공유", Some("민수")),
                action("Update the changelog", Some("Jin")),
                action("Legal reviews the contract", None),
            ],
            ..Minutes::default()
        };
        let notes = one_kind_each(&mut m);
        let decisions: Vec<&str> = m.decisions.iter().map(|d| d.decision.as_str()).collect();
        let tasks: Vec<&str> = m.action_items.iter().map(|a| a.task.as_str()).collect();
        assert_eq!(
            decisions,
            [
                "The release moves to March 14.",
                "Legal reviews the contract."
            ]
        );
        assert_eq!(
            tasks,
            [
                "테스트 결과 정리해서 금요일까지 공유",
                "Update the changelog"
            ]
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
