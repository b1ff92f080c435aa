//! Settings of `minutes summarize`: what was asked, merged from flags,
//! environment and the config file. What depends on the LLM chosen or on
//! files (glossary, prompts, terms) is settled by the command's plan.

use std::path::PathBuf;
use std::time::Duration;

use super::{
    Common, MAX_CHUNK_TOKENS, Output, SpeechSettings, config_dir, language_name, llm_calls,
    seconds, stt_options, transcription,
};
use crate::batch::BatchSettings;
use crate::cli::{MinutesFormat, SummarizeArgs};
use crate::error::{Error, Result};
use crate::llm::Secret;
use crate::llm::select::LlmChoice;
use crate::transcription::TranscriptionSettings;

/// How to summarise, as asked; what depends on the LLM chosen (concurrency
/// and chunk defaults of a local or a large model) is settled when the
/// command has chosen it (`summarize::Options::new`).
#[derive(Debug, Clone)]
pub struct SummaryTuning {
    /// The language code of the minutes asked for, if any (front matter).
    pub language: Option<String>,
    /// How the prompts name the language asked for; `None`: the recording's.
    pub language_name: Option<String>,
    pub correct: bool,
    pub chunk_tokens: Option<usize>,
    pub jobs: Option<usize>,
    pub allow_partial: bool,
    /// `--keep-unverified`: items whose evidence is not found stay, marked.
    pub keep_unverified: bool,
    /// Sampling temperature of every LLM call (0–2).
    pub temperature: f32,
    /// `--seed`, sent where the server supports it.
    pub seed: Option<u32>,
}

/// Settings of `minutes summarize`.
#[derive(Debug)]
pub struct SummarizeSettings {
    /// Files, directories and globs, as given.
    pub inputs: Vec<PathBuf>,
    pub llm: LlmChoice,
    pub models_dir: PathBuf,
    /// Recognition of recordings; the glossary's words are added to the
    /// recogniser's prompt once it is read.
    pub transcription: TranscriptionSettings,
    pub tuning: SummaryTuning,
    /// `--redact` / `--no-redact`; `None`: on for a server beyond this machine.
    pub redact: Option<bool>,
    pub redact_terms: Option<PathBuf>,
    pub glossary: Option<PathBuf>,
    /// `--template`: a prompt set's name or folder; `None` is the default set.
    pub template: Option<String>,
    /// Where named prompt sets live (`$XDG_CONFIG_HOME/minutes`).
    pub config_dir: Option<PathBuf>,
    pub format: MinutesFormat,
    pub include_transcript: bool,
    pub output: Output,
    /// `--request-timeout`; the default depends on the LLM chosen.
    pub request_timeout: Option<Duration>,
    pub retries: u32,
    pub deadline: Option<Duration>,
    pub speech: SpeechSettings,
    pub batch: BatchSettings,
}

impl SummarizeSettings {
    pub fn resolve(args: SummarizeArgs, common: &Common) -> Result<Self> {
        let SummarizeArgs {
            files,
            llm,
            llm_model,
            language,
            audio_language,
            stt_model,
            threads,
            recording,
            no_correct,
            glossary,
            chunk_tokens,
            jobs,
            allow_partial,
            keep_unverified,
            temperature,
            seed,
            redaction,
            template,
            format,
            include_transcript,
            output,
            out_dir,
            request_timeout,
            retries,
            deadline,
            speak,
            speak_to,
            voice,
            batch,
        } = args;
        let cfg = &common.config;
        let batch = BatchSettings::resolve(&batch)?;
        let speech = SpeechSettings::resolve(&voice, speak, speak_to)?;
        let stt = stt_options(audio_language, threads, None, None, cfg)?;
        let language = language
            .or_else(|| cfg.summary_language.clone())
            .map(|l| l.to_lowercase());
        let language_name = language.as_deref().map(language_name).transpose()?;
        let jobs = jobs.or(cfg.jobs);
        llm_calls(jobs, retries)?;
        let chunk_tokens = chunk_tokens.or(cfg.chunk_tokens);
        if chunk_tokens.is_some_and(|c| !(100..=MAX_CHUNK_TOKENS).contains(&c)) {
            return Err(Error::usage(format!(
                "--chunk-tokens must be between 100 and {MAX_CHUNK_TOKENS}, not {}",
                chunk_tokens.unwrap_or_default()
            )));
        }
        let tuning = SummaryTuning {
            language,
            language_name,
            correct: !no_correct,
            chunk_tokens,
            jobs,
            allow_partial,
            keep_unverified,
            temperature,
            seed,
        };
        if !(0.0..=2.0).contains(&tuning.temperature) {
            return Err(Error::usage(format!(
                "--temperature must be between 0 and 2, not {}",
                tuning.temperature
            )));
        }
        Ok(SummarizeSettings {
            inputs: files,
            llm: LlmChoice {
                llm: llm.or_else(|| cfg.llm.clone()),
                model: llm_model.or_else(|| cfg.llm_model.clone()),
                key: crate::env::llm_api_key()
                    .map(Secret::new)
                    .or_else(|| cfg.llm_api_key.clone()),
                openai_key: crate::env::openai_api_key().map(Secret::new),
            },
            models_dir: common.models_dir.clone(),
            transcription: transcription(stt_model, stt, recording, common)?,
            tuning,
            redact: redaction.resolve()?,
            redact_terms: redaction.redact_terms,
            glossary: glossary.or_else(|| cfg.glossary.clone()),
            template: template.or_else(|| cfg.template.clone()),
            config_dir: config_dir(),
            format,
            include_transcript,
            output: Output::new(output, out_dir),
            request_timeout: request_timeout
                .map(|t| seconds("--request-timeout", t))
                .transpose()?,
            retries,
            deadline: deadline.map(|d| seconds("--deadline", d)).transpose()?,
            speech,
            batch,
        })
    }
}
