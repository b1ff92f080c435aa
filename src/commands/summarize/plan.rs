//! What a `summarize` run works with, found and read once before its first
//! input: the inputs, and the flow's recipe (the LLM, the prompts, the
//! glossary, the stage cache).

use std::path::PathBuf;

use crate::batch::discover;
use crate::error::{Error, Result};
use crate::flow::Recipe;
use crate::settings::SummarizeSettings;
use crate::transcription::Transcriber;

pub struct Plan {
    pub inputs: Vec<PathBuf>,
    pub recipe: Recipe,
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
        let recipe = Recipe::prepare(
            &settings.minutes,
            &settings.transcription,
            settings.batch.open_cache()?,
        )?;
        Ok(Plan { inputs, recipe })
    }

    /// Everything that shapes the minutes, for the manifest: a changed
    /// setting, prompt or model makes an input's minutes again; tuning
    /// (jobs, threads, timeouts, retries) does not.
    pub fn key(&self, settings: &SummarizeSettings, stage: &Transcriber<'_>) -> String {
        let stt = stage.model().map(|m| m.key()).unwrap_or_default();
        let recipe = &self.recipe;
        crate::hash::parts(&[
            env!("CARGO_PKG_VERSION"),
            "summarize",
            &stt,
            &recipe.transcription.stt.key(),
            &stage.voices_key(),
            &stage.profiles_key(),
            &recipe.endpoint.base_url,
            &recipe.endpoint.model,
            &recipe.options.key(),
            &recipe.prompts.hash,
            &format!(
                "{:?}|{}|{:?}|{}|{:?}|{}|{:?}",
                settings.format,
                settings.include_transcript,
                settings.minutes.tuning.language,
                settings.batch.name,
                settings.transcription.date,
                settings.transcription.speakers.key(),
                settings.transcription.speaker_names,
            ),
        ])
    }
}
