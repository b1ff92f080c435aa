//! Settings of `minutes summarize`: what was asked, merged from flags,
//! environment and the config file. What depends on the LLM chosen or on
//! files (glossary, prompts, terms) is settled by the flow's recipe.

use std::path::PathBuf;

use super::{
    Common, MAX_CHUNK_TOKENS, Output, SpeechSettings, config_dir, language_name, llm_calls,
    seconds, stt_options, transcription,
};
use crate::batch::BatchSettings;
use crate::cli::{MinutesArgs, MinutesFormat, SummarizeArgs};
use crate::error::{Error, Result};
use crate::flow::MinutesSpec;
use crate::llm::Secret;
use crate::llm::select::LlmChoice;
use crate::summarize::Tuning;
use crate::transcription::TranscriptionSettings;

/// Settings of `minutes summarize`.
#[derive(Debug)]
pub struct SummarizeSettings {
    /// Files, directories and globs, as given.
    pub inputs: Vec<PathBuf>,
    /// How the minutes are made (the LLM, the summary, redaction, retries).
    pub minutes: MinutesSpec,
    /// Recognition of recordings; the glossary's words are added to the
    /// recogniser's prompt once it is read.
    pub transcription: TranscriptionSettings,
    pub format: MinutesFormat,
    pub include_transcript: bool,
    pub output: Output,
    pub speech: SpeechSettings,
    pub batch: BatchSettings,
}

impl SummarizeSettings {
    pub fn resolve(args: SummarizeArgs, common: &Common) -> Result<Self> {
        let SummarizeArgs {
            files,
            minutes,
            audio_language,
            stt_model,
            threads,
            recording,
            format,
            include_transcript,
            output,
            out_dir,
            speak,
            speak_to,
            voice,
            batch,
        } = args;
        let cfg = &common.config;
        let batch = BatchSettings::resolve(&batch)?;
        let speech = SpeechSettings::resolve(&voice, speak, speak_to)?;
        let stt = stt_options(audio_language, threads, None, None, cfg)?;
        Ok(SummarizeSettings {
            inputs: files,
            minutes: minutes_spec(minutes, common)?,
            transcription: transcription(stt_model, stt, recording, common)?,
            format,
            include_transcript,
            output: Output::new(output, out_dir),
            speech,
            batch,
        })
    }
}

/// How minutes are made, for `summarize` and `serve`: flags, then the
/// environment, then the config file.
pub(crate) fn minutes_spec(args: MinutesArgs, common: &Common) -> Result<MinutesSpec> {
    let MinutesArgs {
        llm,
        llm_model,
        language,
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
        request_timeout,
        retries,
        deadline,
    } = args;
    let cfg = &common.config;
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
    if !(0.0..=2.0).contains(&temperature) {
        return Err(Error::usage(format!(
            "--temperature must be between 0 and 2, not {temperature}"
        )));
    }
    let tuning = Tuning {
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
    Ok(MinutesSpec {
        llm: LlmChoice {
            llm: llm.or_else(|| cfg.llm.clone()),
            model: llm_model.or_else(|| cfg.llm_model.clone()),
            key: crate::env::llm_api_key()
                .map(Secret::new)
                .or_else(|| cfg.llm_api_key.clone()),
            openai_key: crate::env::openai_api_key().map(Secret::new),
        },
        models_dir: common.models_dir.clone(),
        tuning,
        redact: redaction.resolve()?,
        redact_terms: redaction.redact_terms,
        glossary: glossary.or_else(|| cfg.glossary.clone()),
        template: template.or_else(|| cfg.template.clone()),
        config_dir: config_dir(),
        request_timeout: request_timeout
            .map(|t| seconds("--request-timeout", t))
            .transpose()?,
        retries,
        deadline: deadline.map(|d| seconds("--deadline", d)).transpose()?,
    })
}
