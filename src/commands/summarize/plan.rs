//! What a `summarize` run works with, found and read once before its first
//! input: the inputs, the LLM, the prompts, the glossary, the stage cache.
//! Settings only record what was asked; this is where the file system and
//! the models directory are looked at.

use std::path::PathBuf;
use std::time::Duration;

use crate::batch::cache::Cache;
use crate::batch::discover;
use crate::error::{Error, Result};
use crate::llm::retry::RetryPolicy;
use crate::llm::select::{Endpoint, select};
use crate::settings::SummarizeSettings;
use crate::summarize::{self, prompts::PromptSet};
use crate::transcription::{Transcriber, TranscriptionSettings};

pub struct Plan {
    pub inputs: Vec<PathBuf>,
    pub endpoint: Endpoint,
    pub options: summarize::Options,
    pub prompts: PromptSet,
    /// Recognition settings with the glossary's words in the recogniser's prompt.
    pub transcription: TranscriptionSettings,
    pub cache: Option<Cache>,
    pub retry: RetryPolicy,
}

impl Plan {
    pub fn prepare(settings: &SummarizeSettings) -> Result<Plan> {
        let mut exts = discover::MEDIA.to_vec();
        exts.extend_from_slice(discover::TRANSCRIPTS);
        let inputs = discover::inputs(&settings.inputs, settings.batch.recursive, &exts)?;
        settings.output.check_inputs(inputs.len())?;
        if settings.speech.wav.is_some() && inputs.len() > 1 {
            return Err(Error::usage("--speak-to takes one input"));
        }
        let endpoint = select(&settings.llm, &settings.models_dir)?;
        let glossary = match &settings.glossary {
            Some(p) => std::fs::read_to_string(p).map_err(|e| Error::read(p, &e))?,
            None => String::new(),
        };
        let mut transcription = settings.transcription.clone();
        transcription.stt.prompt = (!glossary.trim().is_empty())
            .then(|| glossary.split_whitespace().collect::<Vec<_>>().join(" "));
        let mut prompts =
            PromptSet::load(settings.template.as_deref(), settings.config_dir.as_deref())?;
        prompts.language = settings.tuning.language.clone();
        prompts.with_examples = endpoint.local.is_none();
        let mut options = summarize::Options::new(&settings.tuning, &endpoint, glossary);
        if redacts(settings.redact, &endpoint) {
            options.redact = Some(match &settings.redact_terms {
                Some(p) => crate::redact::read_terms(p)?,
                None => Vec::new(),
            });
        }
        // The bundled model on a slow laptop may need long for one call; a
        // crash of it is noticed at once anyway.
        let default_timeout = if endpoint.local.is_some() { 1800 } else { 300 };
        let retry = RetryPolicy {
            request_timeout: settings
                .request_timeout
                .unwrap_or(Duration::from_secs(default_timeout)),
            max_attempts: settings.retries + 1,
            ..RetryPolicy::default()
        };
        Ok(Plan {
            inputs,
            endpoint,
            options,
            prompts,
            transcription,
            cache: settings.batch.open_cache()?,
            retry,
        })
    }

    /// Everything that shapes the minutes, for the manifest: a changed
    /// setting, prompt or model makes an input's minutes again; tuning
    /// (jobs, threads, timeouts, retries) does not.
    pub fn key(&self, settings: &SummarizeSettings, stage: &Transcriber<'_>) -> String {
        let stt = stage.model().map(|m| m.key()).unwrap_or_default();
        crate::hash::parts(&[
            env!("CARGO_PKG_VERSION"),
            "summarize",
            &stt,
            &self.transcription.stt.key(),
            &stage.voices_key(),
            &stage.profiles_key(),
            &self.endpoint.base_url,
            &self.endpoint.model,
            &self.options.key(),
            &self.prompts.hash,
            &format!(
                "{:?}|{}|{:?}|{}|{:?}|{}|{:?}",
                settings.format,
                settings.include_transcript,
                settings.tuning.language,
                settings.batch.name,
                settings.transcription.date,
                settings.transcription.speakers.key(),
                settings.transcription.speaker_names,
            ),
        ])
    }
}

/// Whether personal data is replaced before the LLM sees it: as asked, else
/// when the server is not on this machine (the bundled model and loopback
/// servers see the transcript as it is).
fn redacts(asked: Option<bool>, endpoint: &Endpoint) -> bool {
    let remote = endpoint.local.is_none() && !crate::llm::is_loopback(&endpoint.base_url);
    asked.unwrap_or(remote)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(url: &str, local: bool) -> Endpoint {
        Endpoint {
            base_url: url.into(),
            model: "m".into(),
            key: Default::default(),
            local: local.then(|| PathBuf::from("m.gguf")),
        }
    }

    #[test]
    fn personal_data_is_redacted_by_default_only_beyond_this_machine() {
        assert!(redacts(None, &at("https://api.openai.com/v1", false)));
        assert!(redacts(None, &at("http://10.1.2.3:8000/v1", false)));
        assert!(!redacts(None, &at("http://127.0.0.1:11434/v1", false)));
        assert!(!redacts(None, &at("http://localhost:8080/v1", false)));
        assert!(!redacts(None, &at("local", true)));
        assert!(!redacts(
            Some(false),
            &at("https://api.openai.com/v1", false)
        ));
        assert!(redacts(Some(true), &at("local", true)));
    }
}
