//! `minutes eval history`: the results `eval suite` appended, oldest
//! first, filtered by prompt set and model, so a prompt change can be read
//! against the runs before it.

use crate::cli::EvalFormat;
use crate::error::Result;
use crate::eval::suite::history::{self, Entry};
use crate::eval::suite::report::Listing;
use crate::settings::HistoryEvalSettings;
use crate::ui::Printer;

pub fn run(s: &HistoryEvalSettings, printer: &Printer) -> Result<()> {
    let entries = history::read(&s.history)?;
    let total = entries.len();
    let mut runs: Vec<Entry> = entries
        .into_iter()
        .filter(|e| s.template.as_deref().is_none_or(|t| of_prompts(e, t)))
        .filter(|e| s.model.as_deref().is_none_or(|m| e.model == m))
        .collect();
    if let Some(n) = s.last {
        runs.drain(..runs.len().saturating_sub(n));
    }
    printer.status(format!(
        "{}: {} of {total} result(s)",
        s.history.display(),
        runs.len()
    ));
    let listing = Listing {
        history: s.history.display().to_string(),
        runs,
    };
    let out = match s.format {
        EvalFormat::Table => listing.to_table(),
        EvalFormat::Json => listing.to_json(),
    };
    crate::sink::stdout(out.as_bytes())
}

/// Whether `e` ran the prompt set `t`: its name (a folder given to `eval
/// suite --template` is named by its last component), or the start of its
/// hash (four digits at least).
fn of_prompts(e: &Entry, t: &str) -> bool {
    let last = std::path::Path::new(t)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    e.prompts.name == t
        || last.is_some_and(|n| e.prompts.name == n)
        || (t.len() >= 4 && e.prompts.hash.starts_with(&t.to_ascii_lowercase()))
}
