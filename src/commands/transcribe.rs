//! `minutes transcribe`: recordings in, transcripts out.
//!
//! The model is loaded once for all inputs. Each input is decoded as a
//! stream and transcribed block by block; its transcript is written only when
//! complete (atomically for files), so a failure never leaves half a
//! transcript behind. One bad input does not stop the others.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::Failures;
use crate::cli::TranscriptFormat;
use crate::error::Result;
use crate::settings::{Output, TranscribeSettings};
use crate::stt::whisper::WhisperEngine;
use crate::transcript::Transcript;
use crate::ui::Printer;
use crate::{media, sink};

pub fn run(settings: &TranscribeSettings, printer: &Printer) -> Result<()> {
    // Refuse obviously bad inputs before spending seconds on loading the model.
    let mut failures = Failures::default();
    let mut ready = Vec::new();
    for path in &settings.inputs {
        match media::open(path) {
            Ok(_) => ready.push(path),
            Err(err) => failures.record(printer, &err),
        }
    }
    if !ready.is_empty() {
        let engine = WhisperEngine::load(&settings.model_name, &settings.model_path)?;
        for path in ready {
            let result = transcribe_one(&engine, path, settings, printer)
                .and_then(|t| emit(&t, path, settings));
            if let Err(err) = result {
                failures.record(printer, &err);
            }
        }
    }
    failures.into_result(settings.inputs.len())
}

/// Transcribes one file with the loaded engine.
pub fn transcribe_one(
    engine: &WhisperEngine,
    path: &Path,
    settings: &TranscribeSettings,
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
        &settings.stt,
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

fn emit(t: &Transcript, input: &Path, settings: &TranscribeSettings) -> Result<()> {
    match &settings.output {
        Output::Stdout => {
            // Several JSON transcripts on stdout are written as JSON lines.
            let compact = settings.inputs.len() > 1;
            sink::stdout(render(t, settings.format, compact).as_bytes())
        }
        Output::File(path) => {
            sink::write_atomic(path, render(t, settings.format, false).as_bytes())
        }
        Output::Dir(dir) => {
            let path = out_path(dir, input, settings.format);
            sink::write_atomic(&path, render(t, settings.format, false).as_bytes())
        }
    }
}

/// `<dir>/<input stem>.<format extension>`.
pub fn out_path(dir: &Path, input: &Path, format: TranscriptFormat) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "transcript".into());
    let ext = match format {
        TranscriptFormat::Txt => "txt",
        TranscriptFormat::Srt => "srt",
        TranscriptFormat::Vtt => "vtt",
        TranscriptFormat::Json => "json",
    };
    dir.join(format!("{stem}.{ext}"))
}

fn short_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
