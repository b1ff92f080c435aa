//! Speech to text: whisper.cpp models, their registry and download, the
//! CTranslate2 import, voice activity detection and the transcription loop.

pub mod ct2;
pub mod import;
pub mod registry;
mod stock;
pub mod vad;
mod vocab;
pub mod whisper;

/// How to transcribe, resolved once from flags, environment and config.
#[derive(Debug, Clone)]
pub struct SttOptions {
    /// `auto`, or a language code such as `en` or `ko`.
    pub language: String,
    pub threads: usize,
    /// Beam width; `None` is greedy decoding with temperature fallback.
    pub beam: Option<usize>,
    /// Vocabulary hint passed as whisper's initial prompt.
    pub prompt: Option<String>,
    /// The first decoding temperature (0: the most likely words; fallback
    /// raises it where the output looks wrong).
    pub temperature: f32,
}

impl SttOptions {
    /// The fields that shape a transcript, for cache and manifest keys.
    /// Threads are left out: they change the speed, not the text.
    pub fn key(&self) -> String {
        let SttOptions {
            language,
            threads: _,
            beam,
            prompt,
            temperature,
        } = self;
        let key = format!("language={language}|beam={beam:?}|prompt={prompt:?}");
        // Left out at its default, so transcripts cached before it existed still count.
        if *temperature == 0.0 {
            key
        } else {
            format!("{key}|temperature={temperature}")
        }
    }
}
