//! What making minutes works with, found and read once before the first
//! input: the LLM, the prompts, the glossary, the redaction terms, the
//! stage cache. The spec only records what was asked; this is where the
//! file system and the models directory are looked at.

use std::time::Duration;

use super::MinutesSpec;
use crate::batch::cache::Cache;
use crate::error::Result;
use crate::llm::retry::RetryPolicy;
use crate::llm::select::{Endpoint, select};
use crate::summarize::{self, prompts::PromptSet};
use crate::transcription::TranscriptionSettings;

#[derive(Clone)]
pub struct Recipe {
    pub endpoint: Endpoint,
    pub options: summarize::Options,
    pub prompts: PromptSet,
    /// Recognition settings with the glossary's words in the recogniser's prompt.
    pub transcription: TranscriptionSettings,
    pub cache: Option<Cache>,
    pub retry: RetryPolicy,
    /// The LLM work of one input in all, retries included.
    pub deadline: Option<Duration>,
    /// The language code asked for the minutes, if any.
    pub language: Option<String>,
}

impl Recipe {
    pub fn prepare(
        spec: &MinutesSpec,
        transcription: &TranscriptionSettings,
        cache: Option<Cache>,
    ) -> Result<Recipe> {
        let endpoint = select(&spec.llm, &spec.models_dir)?;
        let glossary = match &spec.glossary {
            Some(p) => std::fs::read_to_string(p).map_err(|e| crate::error::Error::read(p, &e))?,
            None => String::new(),
        };
        let mut transcription = transcription.clone();
        transcription.stt.prompt = (!glossary.trim().is_empty())
            .then(|| glossary.split_whitespace().collect::<Vec<_>>().join(" "));
        let mut prompts = PromptSet::load(spec.template.as_deref(), spec.config_dir.as_deref())?;
        prompts.language = spec.tuning.language.clone();
        prompts.with_examples = endpoint.local.is_none();
        let mut options = summarize::Options::new(&spec.tuning, &endpoint, glossary);
        if redacts(spec.redact, &endpoint) {
            options.redact = Some(match &spec.redact_terms {
                Some(p) => crate::redact::read_terms(p)?,
                None => Vec::new(),
            });
        }
        // The bundled model on a slow laptop may need long for one call; a
        // crash of it is noticed at once anyway.
        let default_timeout = if endpoint.local.is_some() { 1800 } else { 300 };
        let retry = RetryPolicy {
            request_timeout: spec
                .request_timeout
                .unwrap_or(Duration::from_secs(default_timeout)),
            max_attempts: spec.retries + 1,
            ..RetryPolicy::default()
        };
        Ok(Recipe {
            endpoint,
            options,
            prompts,
            transcription,
            cache,
            retry,
            deadline: spec.deadline,
            language: spec.tuning.language.clone(),
        })
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
    use std::path::PathBuf;

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
