//! The checks the finished minutes go through before anyone reads them:
//! evidence found in the transcript (see `evidence`), timestamps inside the
//! recording, and names and due dates that were actually said. What they remove is listed for the reader (`review`);
//! speakers known by name are added to the participants.

use super::schema::{Minutes, Said};
use super::{Event, Options, Report};
use crate::transcript::{Segment, Transcript};

/// Tidies `minutes` and removes what the recording does not back.
pub fn check(
    minutes: &mut Minutes,
    transcript: &[Segment],
    opts: &Options,
    recording: &Transcript,
    report: &mut Report,
    on_event: &(dyn Fn(Event) + Send + Sync),
) {
    minutes.tidy();
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
        report.dues_dropped = dues.len();
        report.review.extend(
            names
                .iter()
                .map(|n| format!("name never said, removed: {n}")),
        );
        report.review.extend(
            dues.iter()
                .map(|d| format!("due date never said, removed: {d}")),
        );
        if report.names_dropped + report.dues_dropped > 0 {
            on_event(Event::Warning(format!(
                "removed what was never said in the recording: {} names (participants, owners), {} due dates",
                report.names_dropped, report.dues_dropped
            )));
        }
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
