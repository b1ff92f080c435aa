//! The one transcription stage every command and batch shares: an input
//! (a recording, or a transcript file made earlier) in, a [`Transcript`] out,
//! with the recording's facts (duration, language, date) as part of the
//! value returned.
//!
//! A recording is looked up in the stage cache first; otherwise it is opened
//! once (one decoder, one ffmpeg process at most) and transcribed by a
//! whisper model loaded on first use and kept for the rest of the run.
//! Segments are handed to `on_segment` as they are recognised, so a caller
//! can start work on them (the map of `summarize`) before the end.
//!
//! The meeting's date is the day the recording was made in the local time
//! zone: the container's own creation time when it has one, else the file's
//! modification time; `--date` overrides both.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::batch::cache::Cache;
use crate::error::{Error, Result};
use crate::media;
use crate::speakers::{self, SpeakerMode};
use crate::stt::whisper::WhisperEngine;
use crate::stt::{SttOptions, registry};
use crate::transcript::{Segment, Transcript, parse};
use crate::ui::Printer;

/// How to transcribe, as asked.
#[derive(Debug, Clone)]
pub struct TranscriptionSettings {
    /// `--stt-model`: a name or a path; `None` takes the best model present.
    pub model: Option<String>,
    pub models_dir: PathBuf,
    pub stt: SttOptions,
    /// `--date`: the meeting's date, whatever the files say.
    pub date: Option<Date>,
    pub speakers: SpeakerMode,
    /// `--speaker-names`: label → name.
    pub speaker_names: Vec<(String, String)>,
}

/// The whisper model a run uses, found in the models directory.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub path: PathBuf,
    /// Its size, so a replaced file counts as another model in cache keys.
    pub bytes: u64,
}

impl Model {
    /// `name:bytes`, for cache and manifest keys.
    pub fn key(&self) -> String {
        format!("{}:{}", self.name, self.bytes)
    }
}

/// The stage: settings, the model, the stage cache, and the loaded engine.
pub struct Transcriber<'a> {
    settings: &'a TranscriptionSettings,
    model: Option<Model>,
    cache: Option<&'a Cache>,
    printer: &'a Printer,
    engine: Mutex<Option<Arc<WhisperEngine>>>,
}

impl<'a> Transcriber<'a> {
    /// The stage for a run; the model is looked up only when some input is
    /// a recording (`recordings`), so transcripts alone need none.
    pub fn new(
        settings: &'a TranscriptionSettings,
        recordings: bool,
        cache: Option<&'a Cache>,
        printer: &'a Printer,
    ) -> Result<Self> {
        let model = match recordings {
            true => {
                let (name, path) =
                    registry::resolve(settings.model.as_deref(), &settings.models_dir)?;
                let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                Some(Model { name, path, bytes })
            }
            false => None,
        };
        Ok(Transcriber {
            settings,
            model,
            cache,
            printer,
            engine: Mutex::new(None),
        })
    }

    /// The model recordings are transcribed with, when there are any.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// The transcript of `input`; `known_hash` is its content hash when the
    /// caller has one. `on_segment` sees every segment in order and returns
    /// `false` to stop early (its reader has gone).
    pub fn transcript(
        &self,
        input: &Path,
        known_hash: Option<&str>,
        on_segment: &mut dyn FnMut(&Segment) -> bool,
    ) -> Result<Transcript> {
        // Segments handed on while recognising; otherwise all at the end,
        // once speakers are labelled and named.
        let mut streamed = false;
        let mut t = if parse::is_transcript(input) {
            let mut t = parse::read(input)?;
            self.printer.status(format!(
                "read transcript {} ({} segments)",
                input.display(),
                t.segments.len()
            ));
            t.date = t.date.or_else(|| Some(recording_date(None, input)));
            t
        } else {
            let key = self.key(input, known_hash)?;
            match key.as_deref().and_then(|k| self.cached(k)) {
                Some(mut t) => {
                    self.printer
                        .status(format!("{}: transcript from the cache", input.display()));
                    // The day depends on the time zone of this run, not of the cached one.
                    let recorded = media::probe(input).ok().and_then(|i| i.recorded);
                    t.date = Some(recording_date(recorded, input));
                    t
                }
                None => {
                    let (t, live) = self.recognise(input, on_segment)?;
                    streamed = live;
                    if let (Some(cache), Some(key)) = (self.cache, &key) {
                        cache.put("transcripts", key, t.to_json().as_bytes());
                    }
                    t
                }
            }
        };
        if let Some(date) = self.settings.date {
            t.date = Some(date);
        }
        match self.settings.speakers {
            // Off means no labels, also on a transcript saved with them.
            SpeakerMode::Off => t.segments.iter_mut().for_each(|s| s.speaker = None),
            _ => speakers::rename(&mut t.segments, &self.settings.speaker_names),
        }
        if !streamed {
            replay(&t, on_segment);
        }
        Ok(t)
    }

    /// The cache key of a recording's transcript: the audio's content hash
    /// with everything that shapes recognition.
    fn key(&self, input: &Path, known_hash: Option<&str>) -> Result<Option<String>> {
        let (Some(_), Some(model)) = (self.cache, &self.model) else {
            return Ok(None);
        };
        let audio = match known_hash {
            Some(h) => h.to_string(),
            None => crate::hash::file(input)?,
        };
        Ok(Some(crate::hash::parts(&[
            "transcript-v2",
            &audio,
            &model.key(),
            &self.settings.stt.key(),
            self.settings.speakers.key(),
        ])))
    }

    /// A cached transcript, if intact and parseable.
    fn cached(&self, key: &str) -> Option<Transcript> {
        self.cache?
            .get("transcripts", key)
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// The loaded model, loading it on first use.
    fn engine(&self) -> Result<Arc<WhisperEngine>> {
        let mut slot = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = slot.as_ref() {
            return Ok(e.clone());
        }
        let model = self
            .model
            .as_ref()
            .ok_or_else(|| Error::internal("no speech model resolved"))?;
        let engine = Arc::new(WhisperEngine::load(&model.name, &model.path)?);
        *slot = Some(engine.clone());
        Ok(engine)
    }

    /// Decodes and transcribes a recording, then labels its speakers.
    /// Segments go to `on_segment` as they are recognised (`true` comes
    /// back) unless labels may follow: a recording with several channels
    /// is labelled once it is all heard, and its segments wait for that.
    fn recognise(
        &self,
        input: &Path,
        on_segment: &mut dyn FnMut(&Segment) -> bool,
    ) -> Result<(Transcript, bool)> {
        let mut stream = media::open(input)?;
        let live = self.settings.speakers == SpeakerMode::Off
            || stream.info().channels.is_none_or(|c| c < 2);
        let engine = self.engine()?;
        let info = stream.info().clone();
        self.printer.status(format!(
            "transcribing {} ({}, model {})",
            input.display(),
            info.duration_seconds
                .map(|d| format!("{d:.1} s"))
                .unwrap_or_else(|| "unknown length".into()),
            engine.name()
        ));
        let started = Instant::now();
        let bar = self.printer.progress(
            info.duration_seconds
                .map(|d| (d * 10.0) as u64)
                .unwrap_or(0),
            short_name(input),
        );
        let mut segments = Vec::new();
        let outcome = engine.transcribe(
            &mut stream,
            &self.settings.stt,
            &mut |segment| {
                tracing::info!(
                    "[{:.2} → {:.2}] {}",
                    segment.start,
                    segment.end,
                    segment.text
                );
                let go_on = !live || on_segment(&segment);
                segments.push(segment);
                go_on
            },
            {
                let bar = bar.clone();
                Arc::new(move |done: f64| bar.set_position((done * 10.0) as u64))
            },
        );
        bar.finish_and_clear();
        let outcome = outcome?;
        tracing::info!("transcription finished: {:.1} s of audio", outcome.duration);
        let wall = started.elapsed().as_secs_f64();
        self.printer.status(format!(
            "transcribed {}: {} segments, {:.1} s of audio in {:.1} s ({:.1}× real time)",
            input.display(),
            segments.len(),
            outcome.duration,
            wall,
            outcome.duration / wall.max(1e-9)
        ));
        if let Some(levels) = stream.channel_levels() {
            let speakers =
                speakers::label_by_channels(&mut segments, &levels, self.settings.speakers);
            if speakers > 0 {
                self.printer.status(format!(
                    "{}: {speakers} speakers, told apart by channel",
                    input.display()
                ));
            }
        }
        let transcript = Transcript {
            source: input.display().to_string(),
            model: engine.name().to_string(),
            language: outcome.language,
            duration: (outcome.duration * 1000.0).round() / 1000.0,
            date: Some(recording_date(info.recorded, input)),
            segments,
        };
        Ok((transcript, live))
    }
}

/// Hands a finished transcript's segments to `on_segment`.
fn replay(t: &Transcript, on_segment: &mut dyn FnMut(&Segment) -> bool) {
    for s in &t.segments {
        if !on_segment(s) {
            break;
        }
    }
}

/// The day a recording was made, in the local time zone (`TZ`, else the
/// system's): the container's creation time, else the file's modification
/// time, else today.
pub fn recording_date(recorded: Option<jiff::Timestamp>, path: &Path) -> Date {
    let when = recorded
        .or_else(|| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| jiff::Timestamp::try_from(t).ok())
        })
        .unwrap_or_else(jiff::Timestamp::now);
    when.to_zoned(TimeZone::system()).date()
}

fn short_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
