//! One input through every stage to finished minutes: the recording
//! transcribed on a blocking thread while the summary's map starts on the
//! segments as they come, then the reduce, the checks and the rendering.
//!
//! `summarize` and the service's jobs both make minutes here, so a job
//! gives the same document the command writes: the edges differ in where
//! inputs come from and where documents go, never in how they are made.

mod make;
mod recipe;

use std::path::PathBuf;
use std::time::Duration;

use crate::llm::select::LlmChoice;
use crate::summarize::Tuning;

pub use make::{Cancel, Document, Progress, endpoint, make};
pub use recipe::Recipe;

/// How minutes are to be made, as asked: flags, environment and the config
/// file merged by `settings`. What depends on the LLM chosen or on files
/// (glossary, prompts, redaction terms) is settled by [`Recipe::prepare`].
#[derive(Debug, Clone)]
pub struct MinutesSpec {
    pub llm: LlmChoice,
    pub models_dir: PathBuf,
    pub tuning: Tuning,
    /// `--redact` / `--no-redact`; `None`: on for a server beyond this machine.
    pub redact: Option<bool>,
    pub redact_terms: Option<PathBuf>,
    pub glossary: Option<PathBuf>,
    /// `--template`: a prompt set's name or folder; `None` is the default set.
    pub template: Option<String>,
    /// Where named prompt sets live (`$XDG_CONFIG_HOME/minutes`).
    pub config_dir: Option<PathBuf>,
    /// `--request-timeout`; the default depends on the LLM chosen.
    pub request_timeout: Option<Duration>,
    pub retries: u32,
    /// The LLM work of one input in all, retries included.
    pub deadline: Option<Duration>,
}
