//! Error classes and the exit codes they map to.
//!
//! Every failure a user can cause or meet is sorted into one [`ErrorKind`]; the
//! kind alone decides the process exit code, so cron jobs and scripts can rely
//! on stable codes (they follow BSD `sysexits.h`). Messages are one line, name
//! the file or service concerned, and say why; an optional hint says what to do.

use std::fmt;
use std::path::Path;

/// What class of failure happened. Decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Wrong flags or arguments (exit 2, as clap does).
    Usage,
    /// The input exists but cannot be used: corrupt, truncated, wrong type (65).
    BadInput,
    /// An input file or model does not exist or cannot be read (66).
    MissingInput,
    /// A service or external tool is unavailable: LLM server, ffmpeg, network (69).
    Unavailable,
    /// Anything else, including bugs in this program (1).
    Internal,
    /// An output cannot be created or written (73).
    CannotWrite,
    /// A temporary condition; retrying later may succeed (75).
    Temporary,
    /// The configuration is invalid or incomplete (78).
    Config,
    /// Whoever read stdout went away (`| head`): not a failure (0). The run
    /// still finishes its bookkeeping (report, metrics) before it exits.
    StdoutClosed,
}

impl ErrorKind {
    /// The documented exit code of this class.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Usage => 2,
            ErrorKind::BadInput => 65,
            ErrorKind::MissingInput => 66,
            ErrorKind::Unavailable => 69,
            ErrorKind::Internal => 1,
            ErrorKind::CannotWrite => 73,
            ErrorKind::Temporary => 75,
            ErrorKind::Config => 78,
            ErrorKind::StdoutClosed => 0,
        }
    }
}

/// An error with its class, a one-line message and an optional hint.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: one_line(message.into()),
            hint: None,
        }
    }

    /// An error about one file: the message reads `PATH: REASON`.
    pub fn file(kind: ErrorKind, path: &Path, reason: impl fmt::Display) -> Self {
        Error::new(kind, format!("{}: {reason}", path.display()))
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// Classifies an I/O error met while reading `path`.
    pub fn read(path: &Path, err: &std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound
            | std::io::ErrorKind::NotADirectory
            | std::io::ErrorKind::PermissionDenied => ErrorKind::MissingInput,
            std::io::ErrorKind::IsADirectory => ErrorKind::BadInput,
            _ => ErrorKind::BadInput,
        };
        Error::file(kind, path, io_reason(err))
    }

    /// Classifies an I/O error met while writing `path`.
    pub fn write(path: &Path, err: &std::io::Error) -> Self {
        Error::file(ErrorKind::CannotWrite, path, io_reason(err))
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(one_line(hint.into()));
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A short, lower-case reason for an I/O error, without the OS error number.
pub fn io_reason(err: &std::io::Error) -> String {
    let text = match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        std::io::ErrorKind::NotADirectory => "not a directory in the path".to_string(),
        _ => {
            let s = err.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Messages must fit on one line: fold any newline a library put in them.
fn one_line(s: String) -> String {
    if s.contains('\n') {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_documented() {
        let kinds = [
            ErrorKind::Usage,
            ErrorKind::BadInput,
            ErrorKind::MissingInput,
            ErrorKind::Unavailable,
            ErrorKind::Internal,
            ErrorKind::CannotWrite,
            ErrorKind::Temporary,
            ErrorKind::Config,
            ErrorKind::StdoutClosed,
        ];
        let mut codes: Vec<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes, vec![0, 1, 2, 65, 66, 69, 73, 75, 78]);
    }

    #[test]
    fn messages_are_one_line() {
        let e = Error::new(ErrorKind::BadInput, "a\nb  c");
        assert_eq!(e.message(), "a b c");
    }

    #[test]
    fn io_reason_drops_os_error_number() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "no such file or directory");
    }
}
