//! `minutes summarize`: recordings or transcripts in, minutes out.
//!
//! A recording is transcribed on a blocking thread while the async side
//! chunks the segments and starts LLM calls as chunks fill up, so with a
//! remote model the run takes about as long as transcription plus one map
//! call and the reduce. The document is written only when complete.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;

use crate::batch::report::{FileReport, Status};
use crate::batch::{Made, Names, Run, output_name};
use crate::cli::MinutesFormat;
use crate::error::ErrorKind;
use crate::error::{Error, Result};
use crate::llm::Secret;
use crate::llm::local::LocalServer;
use crate::llm::openai::OpenAiLlm;
use crate::llm::{UsageBook, retry::RetryPolicy};
use crate::render::{self, Provenance};
use crate::settings::{Output, SummarizeSettings};
use crate::stt::whisper::WhisperEngine;
use crate::summarize::{self, Event};
use crate::transcript::{Segment, parse};
use crate::ui::Printer;
use crate::{media, sink};

pub fn run(settings: &SummarizeSettings, printer: &Printer) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("async runtime: {e}")))?;
    let mut batch = Run::start(
        &settings.batch,
        settings.output.dir(),
        settings.settings_hash.clone(),
        printer,
    )?;
    let inputs = batch.select(settings.inputs.clone());
    let mut engine: Option<Arc<WhisperEngine>> = None;
    // The bundled local model is started once per run, when the first input needs it.
    let mut local: Option<LocalServer> = None;
    for input in &inputs {
        batch.process(input, |hash, names| {
            let started = Instant::now();
            let endpoint = endpoint(settings, &mut local, printer)?;
            let doc = summarize_one(
                &runtime,
                input,
                hash,
                settings,
                &endpoint,
                &mut engine,
                printer,
            )
            .map_err(|e| {
                let crashed = local.as_mut().is_some_and(|server| !server.alive());
                match crashed {
                    true => Error::new(
                        ErrorKind::Unavailable,
                        format!(
                            "the local model server stopped unexpectedly while summarising {}",
                            input.display()
                        ),
                    )
                    .with_hint("run with -vv to see its log; it may have run out of memory"),
                    false => e,
                }
            })?;
            let output = emit(&doc, input, settings, names)?;
            // The minutes are written before anything is said: a missing speech backend loses nothing.
            super::speak::speak_markdown(&doc.markdown, &settings.speech, printer)?;
            let mut report = FileReport::new(input, Status::Done, output.clone(), started);
            report.prompt_tokens = doc.usage.prompt_tokens;
            report.cached_prompt_tokens = doc.usage.cached_prompt_tokens;
            report.completion_tokens = doc.usage.completion_tokens;
            let s = &doc.report.seconds;
            for (stage, secs) in [
                ("transcribe", doc.transcribe_seconds),
                ("map", s.map),
                ("collapse", s.collapse),
                ("reduce", s.reduce),
            ] {
                report
                    .stage_seconds
                    .insert(stage.into(), (secs * 1000.0).round() / 1000.0);
            }
            Ok(Made { output, report })
        });
    }
    batch.finish()
}

/// Where segments come from, and what is known about them once they are in.
struct Source {
    stt_model: String,
    language: Arc<Mutex<String>>,
    duration: Arc<Mutex<f64>>,
}

/// The rendered document, the markdown to speak from, and what making it cost.
struct Document {
    text: String,
    markdown: String,
    title: String,
    date: String,
    usage: crate::llm::Usage,
    report: summarize::Report,
    transcribe_seconds: f64,
}

/// The server URL and key to use: the configured server, or the bundled one (started on first use).
fn endpoint(
    settings: &SummarizeSettings,
    local: &mut Option<LocalServer>,
    printer: &Printer,
) -> Result<(String, Secret)> {
    let Some(model) = &settings.llm.local else {
        return Ok((settings.llm.base_url.clone(), settings.llm.key.clone()));
    };
    if local.as_mut().is_none_or(|s| !s.alive()) {
        printer.status(format!("starting the local model {}", model.display()));
        *local = Some(LocalServer::start(model, None)?);
    }
    let server = local.as_ref().expect("started above");
    Ok((server.base_url.clone(), server.token.clone()))
}

#[allow(clippy::too_many_arguments)]
fn summarize_one(
    runtime: &tokio::runtime::Runtime,
    input: &Path,
    known_hash: Option<&str>,
    settings: &SummarizeSettings,
    (base_url, key): &(String, Secret),
    engine: &mut Option<Arc<WhisperEngine>>,
    printer: &Printer,
) -> Result<Document> {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel::<Segment>(1024);
    let source = Source {
        stt_model: String::new(),
        language: Arc::new(Mutex::new(String::new())),
        duration: Arc::new(Mutex::new(0.0)),
    };
    let cache_key = match (&settings.stt_model, parse::is_transcript(input)) {
        (Some((name, path)), false) => super::transcribe::transcript_key(
            settings.batch.cache.as_ref(),
            known_hash,
            input,
            name,
            path,
            &settings.stt,
        )?,
        _ => None,
    };
    let cached = cache_key
        .as_ref()
        .and_then(|(c, k)| super::transcribe::cached_transcript(c, k));
    if cached.is_some() {
        printer.status(format!("{}: transcript from the cache", input.display()));
    }
    let transcribe_started = Instant::now();
    let transcribe_seconds = Arc::new(Mutex::new(0.0f64));
    let (source, transcription) = if parse::is_transcript(input) || cached.is_some() {
        let t = match cached {
            Some(t) => t,
            None => parse::read(input)?,
        };
        *source.language.lock().unwrap_or_else(|p| p.into_inner()) = t.language.clone();
        *source.duration.lock().unwrap_or_else(|p| p.into_inner()) = t.duration;
        printer.status(format!(
            "summarising transcript {} ({} segments)",
            input.display(),
            t.segments.len()
        ));
        let feed = std::thread::spawn(move || {
            for s in t.segments {
                if tx.blocking_send(s).is_err() {
                    break;
                }
            }
            Ok(())
        });
        (
            Source {
                stt_model: t.model,
                ..source
            },
            feed,
        )
    } else {
        let stream = media::open(input)?;
        let engine = match engine {
            Some(e) => e.clone(),
            None => {
                let (name, path) = settings
                    .stt_model
                    .as_ref()
                    .ok_or_else(|| Error::internal("no speech model resolved"))?;
                let loaded = Arc::new(WhisperEngine::load(name, path)?);
                *engine = Some(loaded.clone());
                loaded
            }
        };
        let total = stream.info().duration_seconds;
        printer.status(format!(
            "transcribing and summarising {} ({}, model {}, LLM {})",
            input.display(),
            total
                .map(|d| format!("{d:.1} s"))
                .unwrap_or_else(|| "unknown length".into()),
            engine.name(),
            settings.llm.model
        ));
        let bar = printer.progress(
            total.map(|d| (d * 10.0) as u64).unwrap_or(0),
            "transcribing",
        );
        let (language, duration) = (source.language.clone(), source.duration.clone());
        let stt = settings.stt.clone();
        let worker = engine.clone();
        let (source_name, seconds) = (input.display().to_string(), transcribe_seconds.clone());
        let feed = std::thread::spawn(move || {
            let progress_bar = bar.clone();
            let progress: crate::stt::whisper::Progress =
                Arc::new(move |d: f64| progress_bar.set_position((d * 10.0) as u64));
            let mut all = Vec::new();
            let mut forward = |s: Segment| {
                all.push(s.clone());
                tx.blocking_send(s).is_ok()
            };
            let outcome = worker.transcribe(stream, &stt, &mut forward, progress);
            bar.finish_and_clear();
            *seconds.lock().unwrap_or_else(|p| p.into_inner()) =
                transcribe_started.elapsed().as_secs_f64();
            let outcome = outcome?;
            tracing::info!("transcription finished: {:.1} s of audio", outcome.duration);
            if let Some((cache, key)) = cache_key {
                let t = crate::transcript::Transcript {
                    source: source_name,
                    model: worker.name().to_string(),
                    language: outcome.language.clone(),
                    duration: outcome.duration,
                    segments: all,
                };
                cache.put("transcripts", &key, t.to_json().as_bytes());
            }
            *language.lock().unwrap_or_else(|p| p.into_inner()) = outcome.language;
            *duration.lock().unwrap_or_else(|p| p.into_inner()) = outcome.duration;
            Ok(())
        });
        (
            Source {
                stt_model: engine.name().to_string(),
                ..source
            },
            feed,
        )
    };

    let usage = Arc::new(UsageBook::default());
    let retry = RetryPolicy {
        deadline: settings.deadline.map(|d| std::time::Instant::now() + d),
        ..settings.retry.clone()
    };
    let llm = OpenAiLlm::new(base_url, &settings.llm.model, key, retry, usage.clone())?;
    let events = event_printer(printer);
    let duration_cell = source.duration.clone();
    let outcome = runtime.block_on(summarize::run(
        &llm,
        &settings.prompts,
        &settings.options,
        settings
            .batch
            .cache
            .as_ref()
            .map(|c| c as &dyn summarize::StageCache),
        rx,
        move || *duration_cell.lock().unwrap_or_else(|p| p.into_inner()),
        &events,
    ));
    // A transcription failure explains an empty or short transcript better than the LLM side can.
    let transcribed: Result<()> = transcription
        .join()
        .unwrap_or_else(|_| Err(Error::internal("transcription thread panicked")));
    transcribed?;
    let (minutes, report, transcript) = outcome?;

    let duration = *source.duration.lock().unwrap_or_else(|p| p.into_inner());
    let spoken = source
        .language
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let provenance = Provenance {
        source: input.display().to_string(),
        date: meeting_date(input),
        duration,
        language: settings.language.clone().unwrap_or(if spoken.is_empty() {
            "unknown".into()
        } else {
            spoken
        }),
        stt_model: if source.stt_model.is_empty() {
            "unknown".into()
        } else {
            source.stt_model
        },
        llm_model: settings.llm.model.clone(),
        prompts: settings.prompts.name.clone(),
        prompts_version: settings.prompts.versions.clone(),
        prompts_hash: settings.prompts.hash.clone(),
    };
    let total = usage.total();
    printer.status(format!(
        "made minutes of {} in {:.1} s: {} chunks, {} LLM calls, {} prompt ({} cached) + {} completion tokens",
        input.display(),
        started.elapsed().as_secs_f64(),
        report.chunks,
        total.calls,
        total.prompt_tokens,
        total.cached_prompt_tokens,
        total.completion_tokens
    ));
    let transcript = settings.include_transcript.then_some(transcript.as_slice());
    let markdown = render::markdown(&minutes, &provenance, &report, transcript);
    let transcribe_seconds = *transcribe_seconds.lock().unwrap_or_else(|p| p.into_inner());
    let text = match settings.format {
        MinutesFormat::Md => markdown.clone(),
        MinutesFormat::Json => render::json(
            &minutes,
            &provenance,
            &report,
            &usage.snapshot(),
            &total,
            transcript,
        ),
    };
    Ok(Document {
        text,
        markdown,
        title: minutes.title.clone(),
        date: provenance.date.clone(),
        usage: total,
        report,
        transcribe_seconds,
    })
}

fn event_printer(printer: &Printer) -> impl Fn(Event) + Send + Sync + use<> {
    let printer = printer.clone();
    move |event| match event {
        Event::ChunkReady { index } => tracing::info!("part {index} ready"),
        Event::ChunkDone { index } => printer.status(format!("map: part {index} summarised")),
        Event::Warning(w) => printer.warn(w),
        Event::Collapse { round, groups } => {
            printer.status(format!("collapse: round {round}, {groups} groups"))
        }
        Event::Reduce => printer.status("reduce: writing the minutes"),
    }
}

/// The recording's modification date (when the meeting most likely ended), as ISO 8601.
pub fn meeting_date(input: &Path) -> String {
    let time = std::fs::metadata(input)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| std::time::SystemTime::now());
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    civil_date(secs.div_euclid(86_400))
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Writes the document where the settings say; returns the file written, if any.
fn emit(
    doc: &Document,
    input: &Path,
    settings: &SummarizeSettings,
    names: &Names<'_>,
) -> Result<Option<PathBuf>> {
    match &settings.output {
        Output::Stdout => sink::stdout(doc.text.as_bytes()).map(|_| None),
        Output::File(path) => {
            sink::write_atomic(path, doc.text.as_bytes()).map(|_| Some(path.clone()))
        }
        Output::Dir(dir) => {
            let ext = if settings.format == MinutesFormat::Json {
                "json"
            } else {
                "md"
            };
            let path = names.free(dir.join(output_name(
                &settings.batch.name,
                input,
                &doc.date,
                &doc.title,
                ext,
            )));
            sink::write_atomic(&path, doc.text.as_bytes()).map(|_| Some(path))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_date(0), "1970-01-01");
        assert_eq!(super::civil_date(20_417), "2025-11-25");
        assert_eq!(super::civil_date(11_016), "2000-02-29");
    }
}
