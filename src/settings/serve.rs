//! Settings of `minutes serve`: how the server listens, the same
//! transcription settings `transcribe` resolves, and the same minutes
//! settings `summarize` resolves (for jobs).

use std::path::PathBuf;
use std::time::Duration;

use super::{Common, seconds, stt_options, transcription};
use crate::cli::{RecordingArgs, ServeArgs};
use crate::error::{Error, Result};
use crate::flow::MinutesSpec;
use crate::transcription::TranscriptionSettings;

/// Uploads past this are refused whatever the flag says (a typo, not a meeting).
const MAX_UPLOAD_MB: u64 = 1024 * 1024;
const MAX_QUEUE: usize = 10_000;

#[derive(Debug)]
pub struct ServeSettings {
    pub host: String,
    pub port: u16,
    /// Read when the server starts (never a flag value: `ps` would show it).
    pub token_file: Option<PathBuf>,
    /// `None`: the default, under the user's state directory.
    pub state_dir: Option<PathBuf>,
    pub max_upload: u64,
    pub queue: usize,
    pub grace: Duration,
    pub transcription: TranscriptionSettings,
    /// How jobs' minutes are made.
    pub minutes: MinutesSpec,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
}

impl ServeSettings {
    pub fn resolve(args: ServeArgs, common: &Common) -> Result<ServeSettings> {
        if !(1..=MAX_UPLOAD_MB).contains(&args.max_upload_mb) {
            return Err(Error::usage(format!(
                "--max-upload-mb must be between 1 and {MAX_UPLOAD_MB}, not {}",
                args.max_upload_mb
            )));
        }
        if !(1..=MAX_QUEUE).contains(&args.queue) {
            return Err(Error::usage(format!(
                "--queue must be between 1 and {MAX_QUEUE}, not {}",
                args.queue
            )));
        }
        let recording = RecordingArgs {
            speakers: args.speakers,
            speaker_names: None,
            date: None,
        };
        let stt = stt_options(
            args.audio_language,
            args.threads,
            args.beam,
            None,
            &common.config,
        )?;
        Ok(ServeSettings {
            host: args.host,
            port: args.port,
            token_file: args.token_file,
            state_dir: args.state_dir,
            max_upload: args.max_upload_mb * 1024 * 1024,
            queue: args.queue,
            grace: seconds("--grace", args.grace)?,
            transcription: transcription(args.stt_model, stt, recording, common)?,
            minutes: super::summarize::minutes_spec(args.minutes, common)?,
            cache_dir: args.cache_dir,
            no_cache: args.no_cache,
        })
    }
}
