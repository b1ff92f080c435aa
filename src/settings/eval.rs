//! Settings of `minutes eval`: one struct per kind of evaluation. Nothing is
//! read here; references, transcripts, minutes and expected facts are opened
//! by the command.

use std::path::PathBuf;

use std::time::Duration;

use super::{Common, MAX_JOBS, MAX_RETRIES, seconds};
use crate::cli::{
    EvalCommand, EvalCompareArgs, EvalFormat, EvalMinutesArgs, EvalTranscriptArgs, GlobalArgs,
    Normalization,
};
use crate::error::{Error, Result};
use crate::eval::{Normalize, Script};
use crate::llm::Secret;
use crate::llm::select::LlmChoice;

/// Settings of `minutes eval …`.
#[derive(Debug)]
pub enum EvalSettings {
    Transcript(TranscriptEvalSettings),
    Minutes(MinutesEvalSettings),
    Compare(CompareEvalSettings),
}

/// Settings of `minutes eval transcript`.
#[derive(Debug)]
pub struct TranscriptEvalSettings {
    pub reference: PathBuf,
    pub hypotheses: Vec<PathBuf>,
    pub normalize: Normalize,
    pub format: EvalFormat,
    /// How characters are counted; `None`: decided by the reference's letters.
    pub script: Option<Script>,
}

/// Settings of `minutes eval minutes`.
#[derive(Debug)]
pub struct MinutesEvalSettings {
    pub minutes: Vec<PathBuf>,
    pub transcript: PathBuf,
    pub expected: Option<PathBuf>,
    pub format: EvalFormat,
    // A judge LLM (`--judge-llm`) will be one more field here, an endpoint
    // resolved as `summarize` resolves `--llm`; the reference-based scores
    // above need none.
}

/// Settings of `minutes eval compare`. Whether A and B are files or
/// directories, and which endpoint the judge choice names, is found by the
/// command.
#[derive(Debug)]
pub struct CompareEvalSettings {
    pub a: PathBuf,
    pub b: PathBuf,
    pub transcript: PathBuf,
    /// The judge, as asked (`--judge-llm`, `--judge-model`, API keys).
    pub judge: LlmChoice,
    pub models_dir: PathBuf,
    /// `--rubric`; `None` is the built-in rubric.
    pub rubric: Option<PathBuf>,
    /// `--jobs`; `None`: 4, or 1 for the bundled model.
    pub jobs: Option<usize>,
    /// `--redact` / `--no-redact`; `None`: on for a judge beyond this machine.
    pub redact: Option<bool>,
    /// `--request-timeout`; the default depends on the judge chosen.
    pub request_timeout: Option<Duration>,
    pub retries: u32,
    pub format: EvalFormat,
}

impl EvalSettings {
    /// `global` is read (with the config file) only by `eval compare`,
    /// the one kind of evaluation that needs an LLM.
    pub fn resolve(command: EvalCommand, global: &GlobalArgs) -> Result<EvalSettings> {
        match command {
            EvalCommand::Transcript(args) => Ok(EvalSettings::Transcript(
                TranscriptEvalSettings::resolve(args)?,
            )),
            EvalCommand::Minutes(args) => {
                let EvalMinutesArgs {
                    minutes,
                    transcript,
                    expected,
                    format,
                } = args;
                Ok(EvalSettings::Minutes(MinutesEvalSettings {
                    minutes,
                    transcript,
                    expected,
                    format,
                }))
            }
            EvalCommand::Compare(args) => Ok(EvalSettings::Compare(CompareEvalSettings::resolve(
                args,
                &Common::resolve(global)?,
            )?)),
        }
    }
}

impl CompareEvalSettings {
    fn resolve(args: EvalCompareArgs, common: &Common) -> Result<CompareEvalSettings> {
        let EvalCompareArgs {
            a,
            b,
            transcript,
            judge_llm,
            judge_model,
            rubric,
            jobs,
            redact,
            no_redact,
            request_timeout,
            retries,
            format,
        } = args;
        if jobs.is_some_and(|j| !(1..=MAX_JOBS).contains(&j)) {
            return Err(Error::usage(format!(
                "--jobs must be between 1 and {MAX_JOBS}, not {}",
                jobs.unwrap_or_default()
            )));
        }
        if retries > MAX_RETRIES {
            return Err(Error::usage(format!(
                "--retries must be at most {MAX_RETRIES}, not {retries}"
            )));
        }
        Ok(CompareEvalSettings {
            a,
            b,
            transcript,
            // The judge is always named: it is never the summariser's LLM by default.
            judge: LlmChoice {
                llm: Some(judge_llm),
                model: judge_model,
                key: crate::env::llm_api_key()
                    .map(Secret::new)
                    .or_else(|| common.config.llm_api_key.clone()),
                openai_key: crate::env::openai_api_key().map(Secret::new),
            },
            models_dir: common.models_dir.clone(),
            rubric,
            jobs,
            redact: match (redact, no_redact) {
                (true, _) => Some(true),
                (false, true) => Some(false),
                (false, false) => None,
            },
            request_timeout: request_timeout
                .map(|t| seconds("--request-timeout", t))
                .transpose()?,
            retries,
            format,
        })
    }
}

impl TranscriptEvalSettings {
    fn resolve(args: EvalTranscriptArgs) -> Result<TranscriptEvalSettings> {
        let EvalTranscriptArgs {
            reference,
            hypotheses,
            normalize,
            format,
            language,
        } = args;
        Ok(TranscriptEvalSettings {
            reference,
            hypotheses,
            normalize: match normalize {
                Normalization::None => Normalize::None,
                Normalization::Basic => Normalize::Basic,
                Normalization::WhisperEn => Normalize::WhisperEn,
            },
            format,
            script: language.as_deref().map(script).transpose()?.flatten(),
        })
    }
}

/// `-l`: a language code (see [`Script::of_code`]); `auto` is the same as
/// no flag.
fn script(code: &str) -> Result<Option<Script>> {
    Script::of_code(code)
        .map_err(|e| Error::usage(e).with_hint("use a code such as en, ko, ja, zh, de"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_decide_the_script() {
        assert_eq!(script("KO").unwrap(), Some(Script::Cjk));
        assert_eq!(script("zh-TW").unwrap(), Some(Script::Cjk));
        assert_eq!(script("en").unwrap(), Some(Script::Spaced));
        assert_eq!(script("auto").unwrap(), None);
        assert_eq!(script("xx").unwrap(), Some(Script::Spaced));
        let e = script("klingon").unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
    }
}
