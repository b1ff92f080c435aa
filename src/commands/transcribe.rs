//! `minutes transcribe`: recordings in, transcripts out.
//!
//! The transcription stage (shared with `summarize`) loads the model once,
//! when the first input needs it, and decodes each input as a stream; a
//! transcript is written only when complete (atomically for files), so a failure never
//! leaves half a transcript behind. One bad input does not stop the others;
//! with `--out-dir`, unchanged inputs are skipped and transcripts are cached.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::batch::report::{FileReport, Status};
use crate::batch::{Made, Names, Run, discover, output_name};
use crate::cli::TranscriptFormat;
use crate::error::Result;
use crate::settings::{Output, TranscribeSettings};
use crate::sink;
use crate::transcript::Transcript;
use crate::transcription::Transcriber;
use crate::ui::Printer;

pub fn run(settings: &TranscribeSettings, printer: &Printer) -> Result<()> {
    let inputs = discover::inputs(&settings.inputs, settings.batch.recursive, discover::MEDIA)?;
    settings.output.check_inputs(inputs.len())?;
    let cache = settings.batch.open_cache()?;
    let stage = Transcriber::new(&settings.transcription, true, cache.as_ref(), printer)?;
    let mut batch = Run::start(
        &settings.batch,
        settings.output.dir(),
        key(settings, &stage),
        printer,
    )?;
    let several = inputs.len() > 1;
    let inputs = batch.select(inputs);
    for path in &inputs {
        batch.process(path, |hash, names| {
            let started = Instant::now();
            let transcript = stage.transcript(path, hash, &mut |_| true)?;
            let output = emit(&transcript, path, settings, several, names)?;
            let mut report = FileReport::new(path, Status::Done, output.clone(), started);
            report
                .stage_seconds
                .insert("transcribe".into(), report.seconds);
            Ok(Made { output, report })
        });
    }
    batch.finish()
}

/// Everything that shapes a transcript file, for the manifest.
fn key(settings: &TranscribeSettings, stage: &Transcriber<'_>) -> String {
    crate::hash::parts(&[
        env!("CARGO_PKG_VERSION"),
        "transcribe",
        &stage.model().map(|m| m.key()).unwrap_or_default(),
        &settings.transcription.stt.key(),
        &stage.voices_key(),
        &stage.profiles_key(),
        &format!(
            "{:?}|{:?}|{}|{:?}|{}|{:?}",
            settings.format,
            settings.cue_words,
            settings.batch.name,
            settings.transcription.date,
            settings.transcription.speakers.key(),
            settings.transcription.speaker_names,
        ),
    ])
}

fn render(t: &Transcript, settings: &TranscribeSettings, compact_json: bool) -> String {
    match settings.format {
        TranscriptFormat::Txt => t.to_txt(),
        TranscriptFormat::Srt => t.to_srt_cues(settings.cue_words),
        TranscriptFormat::Vtt => t.to_vtt_cues(settings.cue_words),
        TranscriptFormat::Rttm => t.to_rttm(),
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
    several: bool,
    names: &Names<'_>,
) -> Result<Option<PathBuf>> {
    match &settings.output {
        Output::Stdout => {
            // Several JSON transcripts on stdout are written as JSON lines.
            sink::stdout(render(t, settings, several).as_bytes())?;
            Ok(None)
        }
        Output::File(path) => {
            sink::write_atomic(path, render(t, settings, false).as_bytes())?;
            Ok(Some(path.clone()))
        }
        Output::Dir(dir) => {
            let date = t.date.map(|d| d.to_string()).unwrap_or_default();
            let path = names.free(dir.join(output_name(
                &settings.batch.name,
                input,
                &date,
                "",
                extension(settings.format),
            )));
            sink::write_atomic(&path, render(t, settings, false).as_bytes())?;
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
        TranscriptFormat::Rttm => "rttm",
    }
}
