//! `minutes`: meeting recordings in, transcripts (and minutes) out.
//!
//! The binary's `main` calls [`main_entry`]; everything else is organised as
//! one module per room of the pipeline (see `docs/architecture.md`).

pub mod batch;
pub mod cli;
pub mod commands;
pub mod download;
pub mod env;
pub mod error;
pub mod eval;
pub mod flow;
pub mod hash;
pub mod llm;
pub mod media;
pub mod redact;
pub mod render;
pub mod service;
pub mod settings;
pub mod sink;
pub mod speak;
pub mod speakers;
pub mod stt;
pub mod summarize;
pub mod transcript;
pub mod transcription;
pub mod ui;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::Result;
use settings::{
    Common, EvalSettings, ModelsSettings, ProbeSettings, ServeLlmSettings, ServeSettings,
    SpeakSettings, SpeakersSettings, SummarizeSettings, TranscribeSettings,
};
use ui::Printer;

/// Parses arguments, runs the command and turns the outcome into an exit code.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                error::ErrorKind::Usage.exit_code()
            } else {
                0
            });
        }
    };
    ui::init_logging(cli.global.verbose, cli.global.quiet);
    // whisper.cpp and ggml log through `tracing` from here on, not to stderr directly.
    whisper_rs::install_logging_hooks();
    let printer = Printer::new(cli.global.quiet);
    match run(cli, &printer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !err.message().is_empty() {
                printer.error(err.message(), err.hint());
            }
            ExitCode::from(err.kind().exit_code())
        }
    }
}

fn run(cli: Cli, printer: &Printer) -> Result<()> {
    match cli.command {
        Command::Probe(args) => commands::probe::run(&ProbeSettings::resolve(args), printer),
        Command::Summarize(args) => {
            let common = Common::resolve(&cli.global)?;
            let settings = SummarizeSettings::resolve(*args, &common)?;
            commands::summarize::run(&settings, printer)
        }
        Command::Serve(args) => {
            let common = Common::resolve(&cli.global)?;
            commands::serve::run(&ServeSettings::resolve(*args, &common)?, printer)
        }
        Command::ServeLlm(args) => {
            let common = Common::resolve(&cli.global)?;
            commands::serve_llm::run(&ServeLlmSettings::resolve(args, &common)?, printer)
        }
        Command::Speak(args) => commands::speak::run(&SpeakSettings::resolve(args)?, printer),
        Command::Transcribe(args) => {
            let common = Common::resolve(&cli.global)?;
            let settings = TranscribeSettings::resolve(*args, &common)?;
            commands::transcribe::run(&settings, printer)
        }
        Command::Models(cmd) => {
            let common = Common::resolve(&cli.global)?;
            commands::models::run(&ModelsSettings::resolve(cmd, &common), printer)
        }
        Command::Speakers(cmd) => {
            let common = Common::resolve(&cli.global)?;
            commands::speakers::run(&SpeakersSettings::resolve(cmd, &common)?, printer)
        }
        Command::Eval(cmd) => {
            commands::eval::run(&EvalSettings::resolve(cmd, &cli.global)?, printer)
        }
    }
}
