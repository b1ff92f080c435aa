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
use crate::speakers::profiles::{self, Store};
use crate::speakers::voices::{self, Embedder, Window};
use crate::speakers::{self, SpeakerMode, convert, diarize};
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
    /// `--voices`: the voice profile store that names enrolled voices.
    pub voices: Option<PathBuf>,
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

/// The stage: settings, the models, the stage cache, and the loaded engines.
pub struct Transcriber<'a> {
    settings: &'a TranscriptionSettings,
    model: Option<Model>,
    /// The speaker encoder, when voices are to be told apart and it is installed.
    voice_model: Option<Model>,
    cache: Option<&'a Cache>,
    printer: &'a Printer,
    engine: Mutex<Option<Arc<WhisperEngine>>>,
    encoder: Mutex<Option<Arc<minutes_voice::campplus::CamPlus>>>,
    /// Whether the missing speaker model has been mentioned.
    told_missing: std::sync::atomic::AtomicBool,
    /// Voice profiles, read when voices are compared.
    profiles: Option<Store>,
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
        Self::build(
            settings,
            recordings,
            settings.model.as_deref(),
            cache,
            printer,
        )
    }

    /// The stage with another whisper model than the settings name (a name
    /// in the models directory or a path), for a server whose requests pick one.
    pub fn with_model(
        settings: &'a TranscriptionSettings,
        model: &str,
        cache: Option<&'a Cache>,
        printer: &'a Printer,
    ) -> Result<Self> {
        Self::build(settings, true, Some(model), cache, printer)
    }

    fn build(
        settings: &'a TranscriptionSettings,
        recordings: bool,
        model: Option<&str>,
        cache: Option<&'a Cache>,
        printer: &'a Printer,
    ) -> Result<Self> {
        let model = match recordings {
            true => {
                let (name, path) = registry::resolve(model, &settings.models_dir)?;
                let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                Some(Model { name, path, bytes })
            }
            false => None,
        };
        let voice_model = match recordings && settings.speakers.by_voice() {
            true => voice_model(settings)?,
            false => None,
        };
        // Profiles name voices, so they are read only when voices are compared.
        let profiles = match (&voice_model, &settings.voices) {
            (Some(_), Some(path)) => Some(Store::load(path)?),
            _ => None,
        };
        Ok(Transcriber {
            settings,
            model,
            voice_model,
            cache,
            printer,
            engine: Mutex::new(None),
            encoder: Mutex::new(None),
            told_missing: std::sync::atomic::AtomicBool::new(false),
            profiles,
        })
    }

    /// Loads the speech model (and the speaker encoder, when voices are
    /// told apart) now rather than on the first recording: a server is
    /// ready once this returns.
    pub fn load(&self) -> Result<()> {
        self.engine()?;
        self.encoder()?;
        Ok(())
    }

    /// The model recordings are transcribed with, when there are any.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// The speaker encoder's identity, for keys: another encoder labels
    /// voices differently.
    pub fn voices_key(&self) -> String {
        self.voice_model
            .as_ref()
            .map_or_else(|| "no-voices".to_string(), Model::key)
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
        self.transcript_with(input, known_hash, &self.settings.stt, on_segment)
    }

    /// [`Self::transcript`] with recognition options of its own (a server's
    /// request names its language and prompt).
    pub fn transcript_with(
        &self,
        input: &Path,
        known_hash: Option<&str>,
        stt: &SttOptions,
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
            let key = self.key(input, known_hash, stt)?;
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
                    let (t, live) = self.recognise(input, stt, on_segment)?;
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
            SpeakerMode::Off => t.segments.iter_mut().for_each(|s| s.label(None)),
            _ => speakers::rename(&mut t.segments, &self.settings.speaker_names),
        }
        if !streamed {
            replay(&t, on_segment);
        }
        Ok(t)
    }

    /// The cache key of a recording's transcript: the audio's content hash
    /// with everything that shapes recognition.
    fn key(
        &self,
        input: &Path,
        known_hash: Option<&str>,
        stt: &SttOptions,
    ) -> Result<Option<String>> {
        let (Some(_), Some(model)) = (self.cache, &self.model) else {
            return Ok(None);
        };
        let audio = match known_hash {
            Some(h) => h.to_string(),
            None => crate::hash::file(input)?,
        };
        Ok(Some(crate::hash::parts(&[
            "transcript-v3",
            &audio,
            &model.key(),
            &stt.key(),
            &self.settings.speakers.key(),
            &self.voices_key(),
            &self.profiles_key(),
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
    ///
    /// A reader that stops it (`false` from `on_segment`) gets an error, not
    /// the part heard so far: a transcript cut short must never be cached
    /// or written as if it were the whole recording.
    fn recognise(
        &self,
        input: &Path,
        stt: &SttOptions,
        on_segment: &mut dyn FnMut(&Segment) -> bool,
    ) -> Result<(Transcript, bool)> {
        let mut stream = media::open(input)?;
        let engine = self.engine()?;
        let embedder = self.encoder()?.map(Embedder::start);
        let live = embedder.is_none()
            && (self.settings.speakers == SpeakerMode::Off
                || stream.info().channels.is_none_or(|c| c < 2));
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
        let mut stopped = false;
        let audio = (&mut stream).inspect(|chunk| {
            if let (Ok(chunk), Some(embedder)) = (chunk, &embedder) {
                embedder.push(chunk);
            }
        });
        let outcome = engine.transcribe(
            audio,
            stt,
            &mut |segment| {
                tracing::info!(
                    "[{:.2} → {:.2}] {}",
                    segment.start,
                    segment.end,
                    segment.text
                );
                let go_on = !live || on_segment(&segment);
                stopped |= !go_on;
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
        if stopped {
            return Err(Error::new(
                crate::error::ErrorKind::Temporary,
                format!("{}: transcription stopped before the end", input.display()),
            ));
        }
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
        let segments = self.label(input, segments, stream.channel_levels(), embedder);
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

impl Transcriber<'_> {
    /// Labels speakers: by channel when the channels carry different
    /// talkers, else by voice when voices were embedded.
    fn label(
        &self,
        input: &Path,
        mut segments: Vec<Segment>,
        levels: Option<crate::media::levels::ChannelLevels>,
        embedder: Option<Embedder>,
    ) -> Vec<Segment> {
        let mode = self.settings.speakers;
        if matches!(mode, SpeakerMode::Auto | SpeakerMode::Channels)
            && let Some(levels) = levels
        {
            let found = speakers::label_by_channels(&mut segments, &levels, mode);
            if found > 0 {
                self.printer.status(format!(
                    "{}: {found} speakers, told apart by channel",
                    input.display()
                ));
                if let Some(embedder) = embedder {
                    self.name_voices(input, &mut segments, &embedder.finish());
                }
                return segments;
            }
        }
        let Some(embedder) = embedder else {
            return segments;
        };
        let started = Instant::now();
        let windows = embedder.finish();
        let count = match mode {
            SpeakerMode::Count(n) => Some(n),
            _ => None,
        };
        let (mut segments, found) = diarize::label_by_voice(segments, &windows, count);
        self.printer.status(format!(
            "{}: {} told apart by voice ({} windows, {:.1} s after transcription)",
            input.display(),
            match found {
                0 => "one speaker,".to_string(),
                n => format!("{n} speakers"),
            },
            windows.len(),
            started.elapsed().as_secs_f64()
        ));
        self.name_voices(input, &mut segments, &windows);
        segments
    }

    /// The loaded speaker encoder when voices are to be compared, loading
    /// it on first use; `None` when the model is not installed.
    fn encoder(&self) -> Result<Option<Arc<minutes_voice::campplus::CamPlus>>> {
        let Some(model) = &self.voice_model else {
            if self.settings.speakers == SpeakerMode::Auto
                && !self
                    .told_missing
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                self.printer.status(format!(
                    "speakers on one microphone are not labelled: the speaker model is not installed (`minutes models pull {}`)",
                    convert::NAME
                ));
            }
            return Ok(None);
        };
        let mut slot = self.encoder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = slot.as_ref() {
            return Ok(Some(e.clone()));
        }
        let encoder = Arc::new(voices::load(&model.path)?);
        *slot = Some(encoder.clone());
        Ok(Some(encoder))
    }
}

impl Transcriber<'_> {
    /// The voice profiles' part of cache and manifest keys: they name voices.
    pub fn profiles_key(&self) -> String {
        self.profiles
            .as_ref()
            .map_or_else(|| "no-profiles".to_string(), Store::key)
    }

    /// Names the voices that match an enrolled profile (`speakers::profiles`).
    fn name_voices(&self, input: &Path, segments: &mut [Segment], windows: &[Window]) {
        let Some(store) = self.profiles.as_ref().filter(|s| !s.profiles().is_empty()) else {
            return;
        };
        let named: Vec<String> = profiles::name_voices(segments, windows, store.profiles())
            .into_iter()
            .filter_map(|n| {
                let (name, (_, similarity)) = (n.name?, n.best?);
                Some(match n.label {
                    Some(label) => format!("{label} is {name} ({similarity:.2})"),
                    None => format!("the speaker is {name} ({similarity:.2})"),
                })
            })
            .collect();
        self.printer.status(match named.is_empty() {
            true => format!("{}: no voice matches a voice profile", input.display()),
            false => format!(
                "{}: by voice profile, {}",
                input.display(),
                named.join(", ")
            ),
        });
    }
}

/// The speaker model in the models directory, if installed; `--speakers N`
/// needs it.
fn voice_model(settings: &TranscriptionSettings) -> Result<Option<Model>> {
    let path = convert::model_path(&settings.models_dir);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(Some(Model {
            name: convert::NAME.to_string(),
            path,
            bytes: meta.len(),
        })),
        _ => match settings.speakers {
            SpeakerMode::Count(n) => Err(Error::new(
                crate::error::ErrorKind::MissingInput,
                format!(
                    "--speakers {n} tells voices apart, and the speaker model is not in {}",
                    settings.models_dir.display()
                ),
            )
            .with_hint(format!("run `minutes models pull {}`", convert::NAME))),
            _ => Ok(None),
        },
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
