//! Media decoding: any audio or video file in, 16 kHz mono `f32` blocks out.
//!
//! symphonia decodes the common meeting formats (mp4/m4a AAC, wav, mp3, flac,
//! ogg/vorbis, mkv, caf, aiff) in-process; whatever it cannot (Opus in webm,
//! HE-AAC, wma, …) goes through an `ffmpeg` subprocess when one is on PATH.
//! Audio is downmixed and resampled as it streams, so memory does not grow
//! with the input's native rate or channel count. Bad files are refused with a
//! one-line reason before any output is made.

pub mod created;
mod ffmpeg;
pub mod levels;
mod native;
pub mod resample;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// Whisper's input rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// Which decoder reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Symphonia,
    Ffmpeg,
}

/// What `minutes probe` reports of one file.
#[derive(Debug, Clone, Serialize)]
pub struct MediaInfo {
    pub file: PathBuf,
    pub container: String,
    pub codec: String,
    pub channels: Option<u32>,
    pub sample_rate: Option<u32>,
    pub duration_seconds: Option<f64>,
    pub decodable: bool,
    /// Which decoder will read it; absent when none can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoder: Option<Backend>,
    /// Why it cannot be decoded, when it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the recording was made, as the container says (not the file's time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<jiff::Timestamp>,
}

/// Describes a media file without decoding it.
pub fn probe(path: &Path) -> Result<MediaInfo> {
    check_readable(path)?;
    match native::probe(path) {
        Ok(info) if info.decodable => Ok(info),
        Ok(info) => Ok(match ffmpeg::available() {
            true => ffmpeg::probe(path).unwrap_or(info),
            false => info,
        }),
        Err(err) => {
            if err.unrecognised
                && ffmpeg::available()
                && let Ok(info) = ffmpeg::probe(path)
            {
                return Ok(info);
            }
            Err(err.error)
        }
    }
}

/// A decoding stream of 16 kHz mono blocks; iterate it to get the audio.
pub struct AudioStream {
    info: MediaInfo,
    source: Source,
}

enum Source {
    Native(Box<native::NativeStream>),
    Ffmpeg(ffmpeg::FfmpegStream),
}

impl AudioStream {
    pub fn info(&self) -> &MediaInfo {
        &self.info
    }

    /// Per-channel levels of what was decoded so far, for a file with more
    /// than one channel.
    pub fn channel_levels(&self) -> Option<levels::ChannelLevels> {
        match &self.source {
            Source::Native(s) => s.channel_levels(),
            Source::Ffmpeg(s) => s.channel_levels(),
        }
    }
}

impl Iterator for AudioStream {
    type Item = Result<Vec<f32>>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = match &mut self.source {
            Source::Native(s) => s.next_block(),
            Source::Ffmpeg(s) => s.next_block(),
        };
        next.transpose()
    }
}

/// Opens a file for decoding, choosing symphonia or ffmpeg.
pub fn open(path: &Path) -> Result<AudioStream> {
    let info = probe(path)?;
    let source = match info.decoder {
        Some(Backend::Symphonia) => Source::Native(Box::new(native::NativeStream::open(path)?)),
        Some(Backend::Ffmpeg) => Source::Ffmpeg(ffmpeg::FfmpegStream::spawn(path, info.channels)?),
        None => {
            let reason = info
                .reason
                .clone()
                .unwrap_or_else(|| "cannot be decoded".into());
            let err = Error::file(ErrorKind::BadInput, path, &reason);
            return Err(match ffmpeg::available() {
                true => err,
                false => err.with_hint("install ffmpeg (apt install ffmpeg) to decode this codec"),
            });
        }
    };
    Ok(AudioStream { info, source })
}

/// The average of each frame's channels.
fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    let scale = 1.0 / channels as f32;
    interleaved
        .chunks_exact(channels)
        .map(|f| f.iter().sum::<f32>() * scale)
        .collect()
}

/// Decodes a whole file into memory (16 kHz mono). Fails on a file with no samples.
pub fn decode_all(path: &Path) -> Result<(MediaInfo, Vec<f32>)> {
    let mut stream = open(path)?;
    let mut samples = Vec::new();
    for block in stream.by_ref() {
        samples.extend_from_slice(&block?);
    }
    if samples.is_empty() {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "no audio samples in the file",
        ));
    }
    Ok((stream.info, samples))
}

/// Fails early with a clear reason for missing, unreadable, empty or directory paths.
fn check_readable(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, &e))?;
    if meta.is_dir() {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "is a directory, not a media file",
        ));
    }
    if meta.len() == 0 {
        return Err(Error::file(ErrorKind::BadInput, path, "empty file"));
    }
    std::fs::File::open(path).map_err(|e| Error::read(path, &e))?;
    Ok(())
}
