//! In-process decoding with symphonia 0.6.
//!
//! Packets are decoded one at a time, encoder delay and padding are trimmed
//! (AAC in MP4 carries 1024 priming frames that symphonia's MP4 reader does
//! not remove, since it does not apply edit lists), channels are averaged to
//! mono and the result is resampled to 16 kHz block by block.

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::resample::Resampler;
use super::{Backend, MediaInfo, SAMPLE_RATE};
use crate::error::{Error, ErrorKind, Result};

/// AAC encoders put this many silent priming frames before the audio.
const AAC_PRIMING: u64 = 1024;
/// Consecutive undecodable packets after which a file is called corrupt.
const MAX_BAD_PACKETS: usize = 100;
const UNRECOGNISED: &str = "not a recognised audio or video file";
const TRUNCATED_MP4: &str =
    "truncated or corrupt MP4 (its index, the moov box, is missing: was the recording cut off?)";

/// Why symphonia cannot read a file, and whether that is because it does
/// not know the format (then ffmpeg may): decided from symphonia's error
/// variant, never from message text.
pub struct OpenError {
    pub error: Error,
    pub unrecognised: bool,
}

impl From<Error> for OpenError {
    fn from(error: Error) -> Self {
        OpenError {
            error,
            unrecognised: false,
        }
    }
}

impl From<OpenError> for Error {
    fn from(e: OpenError) -> Self {
        e.error
    }
}

fn open_reader(path: &Path) -> std::result::Result<Box<dyn FormatReader>, OpenError> {
    let file = File::open(path).map_err(|e| Error::read(path, &e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| OpenError {
            error: Error::file(ErrorKind::BadInput, path, open_reason(&e, path)),
            unrecognised: matches!(e, SymError::Unsupported(_) | SymError::DecodeError(_)),
        })
}

/// Whether the file starts like an ISO media file (MP4, M4A, MOV).
fn is_iso_media(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head[4..8] == b"ftyp"
}

fn open_reason(err: &SymError, path: &Path) -> String {
    match err {
        SymError::Unsupported(_) if is_iso_media(path) => TRUNCATED_MP4.to_string(),
        SymError::Unsupported(_) => UNRECOGNISED.to_string(),
        SymError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated or corrupt file (ended before its headers did)".to_string()
        }
        SymError::IoError(e) => crate::error::io_reason(e),
        SymError::DecodeError(msg) => format!("corrupt or truncated file ({msg})"),
        SymError::LimitError(msg) => format!("file exceeds a decoder limit ({msg})"),
        other => format!("cannot read the file ({other})"),
    }
}

/// Short, ffmpeg-style codec names, also for codecs symphonia cannot decode.
pub fn codec_name(id: AudioCodecId) -> String {
    if let Some(dec) = symphonia::default::get_codecs().get_audio_decoder(id) {
        return dec.codec.info.short_name.to_string();
    }
    let name = match id {
        CODEC_ID_OPUS => "opus",
        CODEC_ID_WMA => "wma",
        CODEC_ID_AC3 => "ac3",
        CODEC_ID_EAC3 => "eac3",
        CODEC_ID_SPEEX => "speex",
        CODEC_ID_DCA => "dts",
        CODEC_ID_TRUEHD => "truehd",
        CODEC_ID_WAVPACK => "wavpack",
        CODEC_ID_AAC => "aac",
        CODEC_ID_MP3 => "mp3",
        _ => return format!("unknown ({id})"),
    };
    name.to_string()
}

pub fn probe(path: &Path) -> std::result::Result<MediaInfo, OpenError> {
    let reader = open_reader(path)?;
    let container = reader.format_info().short_name.to_string();
    let Some(track) = reader.default_track(TrackType::Audio) else {
        let reason = if reader.tracks().is_empty() {
            "no audio track".to_string()
        } else {
            "no audio track (the file holds only video or other streams)".to_string()
        };
        return Err(Error::file(ErrorKind::BadInput, path, reason).into());
    };
    let Some(CodecParameters::Audio(params)) = track.codec_params.as_ref() else {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "audio track has no codec parameters",
        )
        .into());
    };
    let codec = codec_name(params.codec);
    let sample_rate = params.sample_rate;
    let channels = params.channels.as_ref().map(|c| c.count() as u32);
    let duration_seconds = match (track.num_frames, sample_rate) {
        (Some(n), Some(rate)) if rate > 0 => Some(n as f64 / f64::from(rate)),
        _ => track
            .time_base
            .zip(track.duration)
            .and_then(|(tb, d)| tb.calc_duration(d))
            .map(|t| t.as_secs_f64()),
    };
    if track.num_frames == Some(0) {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "no audio samples (header without data)",
        )
        .into());
    }
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default());
    let (decodable, reason) = match decoder {
        Ok(_) if sample_rate.is_some() => (true, None),
        Ok(_) => (false, Some("audio track has no sample rate".to_string())),
        Err(_) => (false, Some(format!("unsupported audio codec {codec}"))),
    };
    Ok(MediaInfo {
        file: path.to_path_buf(),
        container: container.clone(),
        codec,
        channels,
        sample_rate,
        duration_seconds,
        decodable,
        decoder: decodable.then_some(Backend::Symphonia),
        reason,
        recorded: (container == "isomp4")
            .then(|| super::created::mp4_creation_time(path))
            .flatten(),
    })
}

pub struct NativeStream {
    path: std::path::PathBuf,
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    resampler: Resampler,
    /// Leading frames still to drop (encoder priming not marked on packets).
    skip_frames: u64,
    interleaved: Vec<f32>,
    /// Channel levels, for files with several channels.
    meter: Option<super::levels::Meter>,
    bad_packets: usize,
    done: bool,
}

impl NativeStream {
    pub fn open(path: &Path) -> Result<Self> {
        let reader = open_reader(path)?;
        let container = reader.format_info().short_name;
        let track = reader
            .default_track(TrackType::Audio)
            .ok_or_else(|| Error::file(ErrorKind::BadInput, path, "no audio track"))?;
        let Some(CodecParameters::Audio(params)) = track.codec_params.as_ref() else {
            return Err(Error::file(
                ErrorKind::BadInput,
                path,
                "audio track has no codec parameters",
            ));
        };
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|_| {
                let codec = codec_name(params.codec);
                Error::file(
                    ErrorKind::BadInput,
                    path,
                    format!("unsupported audio codec {codec}"),
                )
            })?;
        let rate = params.sample_rate.ok_or_else(|| {
            Error::file(ErrorKind::BadInput, path, "audio track has no sample rate")
        })?;
        // Readers that know the encoder delay mark it on packets (trim_start);
        // MP4's edit list is not applied, so AAC priming is dropped here.
        let skip_frames = match (params.codec, track.delay) {
            (CODEC_ID_AAC, None) if container == "isomp4" => AAC_PRIMING,
            _ => 0,
        };
        let meter = params
            .channels
            .as_ref()
            .map(|c| c.count())
            .filter(|n| *n >= 2)
            .map(|n| super::levels::Meter::new(rate, n));
        Ok(NativeStream {
            path: path.to_path_buf(),
            track_id: track.id,
            reader,
            decoder,
            resampler: Resampler::new(rate, SAMPLE_RATE)?,
            skip_frames,
            interleaved: Vec::new(),
            meter,
            bad_packets: 0,
            done: false,
        })
    }

    pub fn channel_levels(&self) -> Option<super::levels::ChannelLevels> {
        self.meter.as_ref().map(|m| m.levels())
    }

    /// The next block of 16 kHz mono audio, or `None` at the end.
    pub fn next_block(&mut self) -> Result<Option<Vec<f32>>> {
        let mut out = Vec::new();
        while out.is_empty() {
            if self.done {
                return Ok(None);
            }
            match self.reader.next_packet() {
                Ok(Some(packet)) => {
                    if packet.track_id != self.track_id {
                        continue;
                    }
                    let trim_start = packet.trim_start.get();
                    if trim_start > 0 {
                        self.skip_frames = 0;
                    }
                    let trim_end = packet.trim_end.get();
                    match self.decoder.decode(&packet) {
                        Ok(buf) => {
                            self.bad_packets = 0;
                            let channels = buf.spec().channels().count().max(1);
                            buf.copy_to_vec_interleaved(&mut self.interleaved);
                            if let Some(m) =
                                self.meter.as_mut().filter(|m| m.channels() == channels)
                            {
                                m.push(&self.interleaved);
                            }
                            let mono = super::downmix(&self.interleaved, channels);
                            let mono = trim(&mono, trim_start + self.skip_frames, trim_end);
                            self.skip_frames = self
                                .skip_frames
                                .saturating_sub((self.interleaved.len() / channels) as u64);
                            self.resampler.push(mono, &mut out)?;
                        }
                        Err(SymError::DecodeError(msg)) => {
                            self.bad_packets += 1;
                            tracing::debug!(
                                "{}: skipping undecodable packet: {msg}",
                                self.path.display()
                            );
                            if self.bad_packets >= MAX_BAD_PACKETS {
                                return Err(self.corrupt(msg));
                            }
                        }
                        Err(SymError::IoError(_)) => continue,
                        Err(e) => return Err(self.corrupt(&e.to_string())),
                    }
                }
                Ok(None) => self.finish(&mut out)?,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    tracing::warn!(
                        "{}: file ends early (truncated?); using what was decoded",
                        self.path.display()
                    );
                    self.finish(&mut out)?;
                }
                Err(SymError::ResetRequired) => {
                    return Err(self.corrupt("the stream changes format mid-file"));
                }
                Err(e) => return Err(self.corrupt(&e.to_string())),
            }
        }
        Ok(Some(out))
    }

    fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        self.done = true;
        self.resampler.finish(out)
    }

    fn corrupt(&self, why: &str) -> Error {
        Error::file(
            ErrorKind::BadInput,
            &self.path,
            format!("corrupt audio data ({why})"),
        )
    }
}

/// Drops `start` frames from the front and `end` from the back.
fn trim(mono: &[f32], start: u64, end: u64) -> &[f32] {
    let len = mono.len();
    let s = (start as usize).min(len);
    let e = len.saturating_sub(end as usize).max(s);
    &mono[s..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_averages_channels() {
        assert_eq!(
            super::super::downmix(&[1.0, 0.0, 0.5, 0.5], 2),
            vec![0.5, 0.5]
        );
    }

    #[test]
    fn trim_never_panics() {
        let d = [1.0, 2.0, 3.0];
        assert_eq!(trim(&d, 1, 1), &[2.0]);
        assert!(trim(&d, 5, 0).is_empty());
        assert!(trim(&d, 2, 5).is_empty());
    }
}
