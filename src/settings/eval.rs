//! Settings of `minutes eval`: one struct per kind of evaluation. Nothing is
//! read here; references, transcripts, minutes and expected facts are opened
//! by the command.

use std::path::PathBuf;

use std::time::Duration;

use super::{Common, llm_calls, redaction, seconds};
use super::{HistoryEvalSettings, SuiteEvalSettings};
use crate::cli::{
    EvalCalibrateArgs, EvalCommand, EvalCompareArgs, EvalFormat, EvalMinutesArgs,
    EvalTranscriptArgs, GlobalArgs, JudgeArgs, Normalization,
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
    Suite(SuiteEvalSettings),
    History(HistoryEvalSettings),
    Calibrate(CalibrateEvalSettings),
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
    /// `--judge-llm` and how to reach it; `None`: no rubric scores.
    pub judge: Option<LlmSettings>,
    /// `--samples`: judge answers per file (1 without a judge).
    pub samples: usize,
    /// `--rubric`; `None` is the built-in scoring rubric.
    pub rubric: Option<PathBuf>,
    pub format: EvalFormat,
}

/// The most answers `--samples` may ask of the judge per file.
pub const MAX_SAMPLES: usize = 20;

/// Settings of `minutes eval compare`. Whether A and B are files or
/// directories, and which endpoint the judge choice names, is found by the
/// command.
#[derive(Debug)]
pub struct CompareEvalSettings {
    pub a: PathBuf,
    pub b: PathBuf,
    pub transcript: PathBuf,
    pub judge: LlmSettings,
    /// `--rubric`; `None` is the built-in rubric.
    pub rubric: Option<PathBuf>,
    pub format: EvalFormat,
}

/// Settings of `minutes eval calibrate`.
#[derive(Debug)]
pub struct CalibrateEvalSettings {
    pub judge: LlmSettings,
    /// `--rubric`; `None` is the built-in rubric of `eval compare`.
    pub rubric: Option<PathBuf>,
    pub format: EvalFormat,
}

/// An LLM as asked for (a judge, or the summariser of `eval suite`): which
/// one, and how it is reached. Which endpoint the choice names is found by
/// the command.
#[derive(Debug)]
pub struct LlmSettings {
    /// The LLM, as asked (`--judge-llm`, `--judge-model`, API keys).
    pub choice: LlmChoice,
    pub models_dir: PathBuf,
    /// `--jobs`; `None`: 4, or 1 for the bundled model.
    pub jobs: Option<usize>,
    /// `--redact` / `--no-redact`; `None`: on for a judge beyond this machine.
    pub redact: Option<bool>,
    /// `--redact-terms`: more to hide than the patterns find (read by the command).
    pub redact_terms: Option<PathBuf>,
    /// `--request-timeout`; the default depends on the judge chosen.
    pub request_timeout: Option<Duration>,
    pub retries: u32,
}

impl EvalSettings {
    /// `global` is read (with the config file) only where an LLM is asked
    /// for: by `eval compare`, `eval suite`, `eval calibrate`, and `eval
    /// minutes --judge-llm`.
    pub fn resolve(command: EvalCommand, global: &GlobalArgs) -> Result<EvalSettings> {
        match command {
            EvalCommand::Transcript(args) => Ok(EvalSettings::Transcript(
                TranscriptEvalSettings::resolve(args)?,
            )),
            EvalCommand::Minutes(args) => Ok(EvalSettings::Minutes(MinutesEvalSettings::resolve(
                args, global,
            )?)),
            EvalCommand::Compare(args) => Ok(EvalSettings::Compare(CompareEvalSettings::resolve(
                args,
                &Common::resolve(global)?,
            )?)),
            EvalCommand::Suite(args) => Ok(EvalSettings::Suite(SuiteEvalSettings::resolve(
                args,
                &Common::resolve(global)?,
            )?)),
            EvalCommand::History(args) => {
                Ok(EvalSettings::History(HistoryEvalSettings::resolve(args)?))
            }
            EvalCommand::Calibrate(args) => {
                let EvalCalibrateArgs {
                    judge_llm,
                    rubric,
                    judge,
                    format,
                } = args;
                Ok(EvalSettings::Calibrate(CalibrateEvalSettings {
                    judge: LlmSettings::resolve(judge_llm, judge, &Common::resolve(global)?)?,
                    rubric,
                    format,
                }))
            }
        }
    }
}

impl MinutesEvalSettings {
    /// The config file is read only when a judge is asked for.
    fn resolve(args: EvalMinutesArgs, global: &GlobalArgs) -> Result<MinutesEvalSettings> {
        let EvalMinutesArgs {
            minutes,
            transcript,
            expected,
            judge_llm,
            samples,
            rubric,
            judge,
            format,
        } = args;
        let samples = samples.unwrap_or(1);
        if !(1..=MAX_SAMPLES).contains(&samples) {
            return Err(Error::usage(format!(
                "--samples must be between 1 and {MAX_SAMPLES}, not {samples}"
            )));
        }
        let judge = match judge_llm {
            Some(llm) => Some(LlmSettings::resolve(llm, judge, &Common::resolve(global)?)?),
            None => None,
        };
        Ok(MinutesEvalSettings {
            minutes,
            transcript,
            expected,
            judge,
            samples,
            rubric,
            format,
        })
    }
}

impl CompareEvalSettings {
    fn resolve(args: EvalCompareArgs, common: &Common) -> Result<CompareEvalSettings> {
        let EvalCompareArgs {
            a,
            b,
            transcript,
            judge_llm,
            rubric,
            judge,
            format,
        } = args;
        Ok(CompareEvalSettings {
            a,
            b,
            transcript,
            judge: LlmSettings::resolve(judge_llm, judge, common)?,
            rubric,
            format,
        })
    }
}

impl LlmSettings {
    fn resolve(judge_llm: String, args: JudgeArgs, common: &Common) -> Result<LlmSettings> {
        let JudgeArgs {
            judge_model,
            jobs,
            redact,
            no_redact,
            redact_terms,
            request_timeout,
            retries,
        } = args;
        llm_calls(jobs, retries)?;
        Ok(LlmSettings {
            // The judge is always named: it is never the summariser's LLM by default.
            choice: LlmChoice {
                llm: Some(judge_llm),
                model: judge_model,
                key: crate::env::llm_api_key()
                    .map(Secret::new)
                    .or_else(|| common.config.llm_api_key.clone()),
                openai_key: crate::env::openai_api_key().map(Secret::new),
            },
            models_dir: common.models_dir.clone(),
            jobs,
            redact: redaction(redact, no_redact, redact_terms.is_some())?,
            redact_terms,
            request_timeout: request_timeout
                .map(|t| seconds("--request-timeout", t))
                .transpose()?,
            retries,
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
