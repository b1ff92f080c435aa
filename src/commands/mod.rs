//! One module per subcommand: each takes resolved settings and the printer.

pub mod eval;
pub mod models;
pub mod probe;
pub mod serve;
pub mod serve_llm;
pub mod speak;
pub mod speakers;
pub mod summarize;
pub mod transcribe;

use crate::error::{Error, ErrorKind};

/// Folds per-file failures into the exit status of a multi-file command:
/// the first error's class decides, after every file had its turn.
#[derive(Default)]
pub struct Failures {
    first: Option<ErrorKind>,
    count: usize,
}

impl Failures {
    pub fn record(&mut self, printer: &crate::ui::Printer, err: &Error) {
        printer.error(err.message(), err.hint());
        self.first.get_or_insert(err.kind());
        self.count += 1;
    }

    pub fn into_result(self, total: usize) -> crate::error::Result<()> {
        match self.first {
            None => Ok(()),
            Some(kind) if total == 1 => Err(Error::new(kind, String::new())),
            Some(kind) => Err(Error::new(
                kind,
                format!("{} of {total} files failed", self.count),
            )),
        }
    }
}
