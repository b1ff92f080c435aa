//! `minutes eval`: measures results against references. `eval transcript`
//! prints the word and character error rates of transcripts; `eval minutes`
//! the evidence precision of minutes and their recall of expected facts;
//! `eval compare` (in [`compare`]) two minutes of the same meetings by a judge.
//!
//! Every file is read before anything is scored. A bad file (missing,
//! unreadable, of an unknown type, or a reference without words) is
//! reported on its own line, each in its turn; then nothing goes to stdout
//! and the exit code is that of the first failure, so a script never takes
//! a table with a row missing for a complete one.

mod compare;

use crate::cli::EvalFormat;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::minutes::{self, report::Report as MinutesReport};
use crate::eval::report::Report;
use crate::eval::{Reference, Script, facts, read};
use crate::settings::{EvalSettings, MinutesEvalSettings, TranscriptEvalSettings};
use crate::ui::Printer;

pub fn run(settings: &EvalSettings, printer: &Printer) -> Result<()> {
    match settings {
        EvalSettings::Transcript(s) => transcript(s, printer),
        EvalSettings::Minutes(s) => minutes_eval(s, printer),
        EvalSettings::Compare(s) => compare::run(s, printer),
    }
}

fn transcript(s: &TranscriptEvalSettings, printer: &Printer) -> Result<()> {
    let mut errors = Vec::new();
    let reference = read::text(&s.reference).and_then(|text| {
        Reference::new(&text, s.normalize, s.script)
            .map_err(|e| Error::file(ErrorKind::BadInput, &s.reference, e))
    });
    let reference = reference.map_err(|e| errors.push(e)).ok();
    let mut hypotheses = Vec::with_capacity(s.hypotheses.len());
    for path in &s.hypotheses {
        match read::text(path) {
            Ok(text) => hypotheses.push((path, text)),
            Err(e) => errors.push(e),
        }
    }
    let Some(reference) = reference.filter(|_| errors.is_empty()) else {
        return Err(unread(errors, 1 + s.hypotheses.len(), printer));
    };
    printer.status(format!(
        "reference {}: {} words, {} characters ({}, normalize {})",
        s.reference.display(),
        reference.words(),
        reference.chars(),
        match reference.script() {
            Script::Cjk => "CJK: spaces not counted",
            Script::Spaced => "spaces counted",
        },
        s.normalize.name(),
    ));
    let mut report = Report::new(s.reference.display().to_string(), &reference);
    for (path, text) in &hypotheses {
        report.push(path.display().to_string(), &reference.score(text));
    }
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

fn minutes_eval(s: &MinutesEvalSettings, printer: &Printer) -> Result<()> {
    let mut errors = Vec::new();
    let transcript = read::transcript(&s.transcript)
        .map_err(|e| errors.push(e))
        .ok();
    let facts = match &s.expected {
        Some(path) => facts::read(path).map(Some).map_err(|e| errors.push(e)).ok(),
        None => Some(None),
    };
    let mut documents = Vec::with_capacity(s.minutes.len());
    for path in &s.minutes {
        match minutes::read::file(path) {
            Ok(m) => documents.push((path, m)),
            Err(e) => errors.push(e),
        }
    }
    let (Some(transcript), Some(facts), true) = (transcript, facts, errors.is_empty()) else {
        return Err(unread(errors, total_files(s), printer));
    };
    printer.status(format!(
        "transcript {}: {} segments",
        s.transcript.display(),
        transcript.segments.len()
    ));
    if let (Some(path), Some(f)) = (&s.expected, &facts) {
        printer.status(format!(
            "expected {}: decisions {}, action items {}, open questions {} (matched at similarity {} or more)",
            path.display(),
            f.decisions.len(),
            f.action_items.len(),
            f.open_questions.len(),
            crate::eval::matching::MATCH_THRESHOLD,
        ));
    }
    let mut report = MinutesReport::new(
        s.transcript.display().to_string(),
        s.expected.as_ref().map(|p| p.display().to_string()),
    );
    for (path, m) in &documents {
        let precision = minutes::precision(m, &transcript.segments);
        let recall = facts.as_ref().map(|f| minutes::recall(m, f));
        // Judge scores (`--judge-llm`) will join each row here.
        report.push(path.display().to_string(), precision, recall);
    }
    let out = match s.format {
        EvalFormat::Table => report.to_table(),
        EvalFormat::Json => report.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

fn total_files(s: &MinutesEvalSettings) -> usize {
    1 + usize::from(s.expected.is_some()) + s.minutes.len()
}

/// One bad file is the error itself; several are each printed, and then
/// summed up, the first one's class deciding the exit code.
fn unread(mut errors: Vec<Error>, total: usize, printer: &Printer) -> Error {
    if errors.len() == 1 {
        return errors.remove(0);
    }
    for e in &errors {
        printer.error(e.message(), e.hint());
    }
    let kind = errors.first().map_or(ErrorKind::Internal, Error::kind);
    Error::new(
        kind,
        format!("{} of {total} files could not be used", errors.len()),
    )
}
