//! The one printer: stdout is for the document alone, everything else goes to
//! stderr.
//!
//! Status lines and warnings are plain stderr lines (suppressed by `--quiet`,
//! coloured only on a terminal without `NO_COLOR`). Progress bars appear only
//! when stderr is a terminal and the run is not quiet, so logs of cron jobs and
//! pipes stay clean. Logging (`-v`) goes through `tracing`, also to stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    color: bool,
    bars: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let no_color = crate::env::no_color();
        Printer {
            quiet,
            color: tty && !no_color,
            bars: tty && !quiet,
        }
    }

    /// A status line on stderr, such as "transcribing meeting.mp4".
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            self.line(message.as_ref());
        }
    }

    /// A warning on stderr (hidden by `--quiet`, which keeps errors only).
    pub fn warn(&self, message: impl AsRef<str>) {
        if !self.quiet {
            let prefix = if self.color {
                "\x1b[33mwarning\x1b[0m"
            } else {
                "warning"
            };
            self.line(&format!("{prefix}: {}", message.as_ref()));
        }
    }

    /// An error line on stderr, always shown.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        let prefix = if self.color {
            "\x1b[31merror\x1b[0m"
        } else {
            "error"
        };
        self.line(&format!("minutes: {prefix}: {message}"));
        if let Some(hint) = hint {
            self.line(&format!("  hint: {hint}"));
        }
    }

    fn line(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// A progress bar of `len` units on stderr, hidden unless stderr is a terminal.
    pub fn progress(&self, len: u64, message: impl Into<String>) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {percent:>3}% {elapsed_precise} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    /// A byte-count progress bar for downloads.
    pub fn download_progress(&self, len: Option<u64>, message: impl Into<String>) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(message.into());
        bar
    }
}

/// Sends `tracing` logs to stderr at the level `-v` asks for. `RUST_LOG`
/// overrides it. whisper.cpp's own log lines arrive here too.
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    // whisper.cpp is chatty at info level; keep it one step quieter than ours.
    let whisper = match verbose {
        0 | 1 => "error",
        2 => "info",
        _ => "trace",
    };
    // symphonia reports recoverable oddities (junk bytes, probe misses) as
    // warnings; they are noise unless debugging.
    let media = if verbose >= 2 { "debug" } else { "off" };
    let default = format!("{level},whisper_rs={whisper},symphonia={media}");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose >= 2)
        .without_time()
        .try_init();
}
