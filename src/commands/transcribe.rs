//! `minutes transcribe`: recordings in, transcripts out.
//!
//! The model is loaded once, when the first input needs it. Each input is
//! decoded as a stream and transcribed block by block; its transcript is
//! written only when complete (atomically for files), so a failure never
//! leaves half a transcript behind. One bad input does not stop the others;
//! with `--out-dir`, unchanged inputs are skipped and transcripts are cached.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::batch::report::{FileReport, Status};
use crate::batch::{Made, Names, Run, cache::Cache, output_name};
use crate::cli::TranscriptFormat;
use crate::error::Result;
use crate::settings::{Output, TranscribeSettings};
use crate::stt::SttOptions;
use crate::stt::whisper::WhisperEngine;
use crate::transcript::Transcript;
use crate::ui::Printer;
use crate::{media, sink};

pub fn run(settings: &TranscribeSettings, printer: &Printer) -> Result<()> {
    let mut batch = Run::start(
        &settings.batch,
        settings.output.dir(),
        settings.settings_hash.clone(),
        printer,
    )?;
    let inputs = batch.select(settings.inputs.clone());
    let mut engine: Option<WhisperEngine> = None;
    for path in &inputs {
        batch.process(path, |hash, names| {
            let started = Instant::now();
            let key = transcript_key(
                settings.batch.cache.as_ref(),
                hash,
                path,
                &settings.model_name,
                &settings.model_path,
                &settings.stt,
            )?;
            let transcript = match key
                .as_ref()
                .and_then(|(cache, key)| cached_transcript(cache, key))
            {
                Some(t) => {
                    printer.status(format!("{}: transcript from the cache", path.display()));
                    t
                }
                None => {
                    media::open(path)?;
                    if engine.is_none() {
                        engine = Some(WhisperEngine::load(
                            &settings.model_name,
                            &settings.model_path,
                        )?);
                    }
                    let engine = engine.as_ref().expect("loaded above");
                    let t = transcribe_one(engine, path, &settings.stt, printer)?;
                    if let Some((cache, key)) = &key {
                        cache.put("transcripts", key, t.to_json().as_bytes());
                    }
                    t
                }
            };
            let output = emit(&transcript, path, settings, names)?;
            let mut report = FileReport::new(path, Status::Done, output.clone(), started);
            report
                .stage_seconds
                .insert("transcribe".into(), report.seconds);
            Ok(Made { output, report })
        });
    }
    batch.finish()
}

/// The cache and key of a recording's transcript, when caching is on: the
/// audio's content hash with everything that shapes recognition.
pub fn transcript_key(
    cache: Option<&Cache>,
    known_hash: Option<&str>,
    input: &Path,
    model_name: &str,
    model_path: &Path,
    stt: &SttOptions,
) -> Result<Option<(Cache, String)>> {
    let Some(cache) = cache else { return Ok(None) };
    let audio = match known_hash {
        Some(h) => h.to_string(),
        None => crate::hash::file(input)?,
    };
    let model_size = std::fs::metadata(model_path).map(|m| m.len()).unwrap_or(0);
    let key = crate::hash::parts(&[
        "transcript-v1",
        &audio,
        model_name,
        &model_size.to_string(),
        &format!("{stt:?}"),
    ]);
    Ok(Some((cache.clone(), key)))
}

/// A cached transcript, if intact and parseable.
pub fn cached_transcript(cache: &Cache, key: &str) -> Option<Transcript> {
    cache
        .get("transcripts", key)
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Transcribes one file with the loaded engine.
pub fn transcribe_one(
    engine: &WhisperEngine,
    path: &Path,
    stt: &SttOptions,
    printer: &Printer,
) -> Result<Transcript> {
    let stream = media::open(path)?;
    let duration = stream.info().duration_seconds;
    printer.status(format!(
        "transcribing {} ({}, model {})",
        path.display(),
        duration
            .map(|d| format!("{d:.1} s"))
            .unwrap_or_else(|| "unknown length".into()),
        engine.name()
    ));
    let started = Instant::now();
    let bar = printer.progress(
        duration.map(|d| (d * 10.0) as u64).unwrap_or(0),
        short_name(path),
    );
    let mut segments = Vec::new();
    let outcome = engine.transcribe(
        stream,
        stt,
        &mut |segment| {
            tracing::info!(
                "[{:.2} → {:.2}] {}",
                segment.start,
                segment.end,
                segment.text
            );
            segments.push(segment);
            true
        },
        {
            let bar = bar.clone();
            Arc::new(move |done: f64| bar.set_position((done * 10.0) as u64))
        },
    );
    bar.finish_and_clear();
    let outcome = outcome?;
    let wall = started.elapsed().as_secs_f64();
    printer.status(format!(
        "transcribed {}: {} segments, {:.1} s of audio in {:.1} s ({:.1}× real time)",
        path.display(),
        segments.len(),
        outcome.duration,
        wall,
        outcome.duration / wall.max(1e-9)
    ));
    Ok(Transcript {
        source: path.display().to_string(),
        model: engine.name().to_string(),
        language: outcome.language,
        duration: (outcome.duration * 1000.0).round() / 1000.0,
        segments,
    })
}

fn render(t: &Transcript, format: TranscriptFormat, compact_json: bool) -> String {
    match format {
        TranscriptFormat::Txt => t.to_txt(),
        TranscriptFormat::Srt => t.to_srt(),
        TranscriptFormat::Vtt => t.to_vtt(),
        TranscriptFormat::Json if compact_json => {
            let mut s = serde_json::to_string(t).unwrap_or_default();
            s.push('\n');
            s
        }
        TranscriptFormat::Json => t.to_json(),
    }
}

/// Writes the transcript where the settings say; returns the file written, if any.
fn emit(
    t: &Transcript,
    input: &Path,
    settings: &TranscribeSettings,
    names: &Names<'_>,
) -> Result<Option<PathBuf>> {
    match &settings.output {
        Output::Stdout => {
            // Several JSON transcripts on stdout are written as JSON lines.
            let compact = settings.inputs.len() > 1;
            sink::stdout(render(t, settings.format, compact).as_bytes())?;
            Ok(None)
        }
        Output::File(path) => {
            sink::write_atomic(path, render(t, settings.format, false).as_bytes())?;
            Ok(Some(path.clone()))
        }
        Output::Dir(dir) => {
            let date = crate::commands::summarize::meeting_date(input);
            let path = names.free(dir.join(output_name(
                &settings.batch.name,
                input,
                &date,
                "",
                extension(settings.format),
            )));
            sink::write_atomic(&path, render(t, settings.format, false).as_bytes())?;
            Ok(Some(path))
        }
    }
}

fn extension(format: TranscriptFormat) -> &'static str {
    match format {
        TranscriptFormat::Txt => "txt",
        TranscriptFormat::Srt => "srt",
        TranscriptFormat::Vtt => "vtt",
        TranscriptFormat::Json => "json",
    }
}

fn short_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
