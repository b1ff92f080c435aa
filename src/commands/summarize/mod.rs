//! `minutes summarize`: recordings or transcripts in, minutes out.
//!
//! A recording is transcribed on a blocking thread while the async side
//! chunks the segments and starts LLM calls as chunks fill up, so with a
//! remote model the run takes about as long as transcription plus one map
//! call and the reduce. The document is written only when complete.

mod plan;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::batch::report::{FileReport, Status};
use crate::batch::{Made, Names, Run, output_name};
use crate::cli::MinutesFormat;
use crate::error::ErrorKind;
use crate::error::{Error, Result};
use crate::llm::Secret;
use crate::llm::local::LocalServer;
use crate::llm::openai::OpenAiLlm;
use crate::llm::select::Endpoint;
use crate::llm::{UsageBook, retry::RetryPolicy};
use crate::render::{self, Provenance};
use crate::settings::{Output, SummarizeSettings};
use crate::sink;
use crate::summarize::{self, Event};
use crate::transcript::{Segment, Transcript, parse};
use crate::transcription::Transcriber;
use crate::ui::Printer;
use plan::Plan;

pub fn run(settings: &SummarizeSettings, printer: &Printer) -> Result<()> {
    let plan = Plan::prepare(settings)?;
    let recordings = plan.inputs.iter().any(|f| !parse::is_transcript(f));
    let stage = Transcriber::new(
        &plan.transcription,
        recordings,
        plan.cache.as_ref(),
        printer,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("async runtime: {e}")))?;
    let mut batch = Run::start(
        &settings.batch,
        settings.output.dir(),
        plan.key(settings, &stage),
        printer,
    )?;
    let inputs = batch.select(plan.inputs.clone());
    // The bundled local model is started once per run, when the first input needs it.
    let mut local: Option<LocalServer> = None;
    for input in &inputs {
        batch.process(input, |hash, names| {
            let started = Instant::now();
            let endpoint = endpoint(&plan.endpoint, &mut local, printer)?;
            let doc = summarize_one(
                &runtime, input, hash, settings, &plan, &endpoint, &stage, printer,
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
            let speech = crate::speak::from_minutes(
                &doc.minutes,
                Some(&doc.language),
                &settings.speech.sections,
            );
            crate::speak::say(&speech, &settings.speech, printer)?;
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

/// The rendered document, the minutes to speak from, and what making it cost.
struct Document {
    text: String,
    /// The minutes and their language, to speak from.
    minutes: summarize::schema::Minutes,
    language: String,
    title: String,
    date: String,
    usage: crate::llm::Usage,
    report: summarize::Report,
    transcribe_seconds: f64,
}

/// The server URL and key to use: the configured server, or the bundled one (started on first use).
fn endpoint(
    chosen: &Endpoint,
    local: &mut Option<LocalServer>,
    printer: &Printer,
) -> Result<(String, Secret)> {
    let Some(model) = &chosen.local else {
        return Ok((chosen.base_url.clone(), chosen.key.clone()));
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
    plan: &Plan,
    (base_url, key): &(String, Secret),
    stage: &Transcriber<'_>,
    printer: &Printer,
) -> Result<Document> {
    let started = Instant::now();
    let usage = Arc::new(UsageBook::default());
    let retry = RetryPolicy {
        // A deadline past what the clock can hold is no deadline.
        deadline: settings
            .deadline
            .and_then(|d| std::time::Instant::now().checked_add(d)),
        ..plan.retry.clone()
    };
    let llm = OpenAiLlm::new(base_url, &plan.endpoint.model, key, retry, usage.clone())?;
    let events = event_printer(printer);
    let cache = plan.cache.as_ref().map(|c| c as &dyn summarize::StageCache);
    // Segments flow to the map as they are recognised; the transcript, with
    // the recording's facts, comes back when transcription ends.
    let (tx, rx) = mpsc::channel::<Segment>(1024);
    let (done_tx, done_rx) = oneshot::channel::<Result<Transcript>>();
    let (summary, transcribe_seconds) = std::thread::scope(|scope| {
        let transcription = scope.spawn(move || {
            let started = Instant::now();
            let transcript = stage.transcript(input, known_hash, &mut |s| {
                tx.blocking_send(s.clone()).is_ok()
            });
            drop(tx);
            let _ = done_tx.send(transcript);
            started.elapsed().as_secs_f64()
        });
        let recording = async {
            done_rx
                .await
                .unwrap_or_else(|_| Err(Error::internal("transcription thread panicked")))
        };
        let summary = runtime.block_on(summarize::run(
            &llm,
            &plan.prompts,
            &plan.options,
            cache,
            rx,
            recording,
            &events,
        ));
        (summary, transcription.join().unwrap_or_default())
    });
    let summary = summary?;
    let summarize::Summary {
        minutes,
        report,
        transcript,
        recording,
    } = summary;
    let provenance =
        Provenance {
            source: input.display().to_string(),
            date: recording.date.map(|d| d.to_string()).unwrap_or_default(),
            duration: recording.duration,
            language: settings.tuning.language.clone().unwrap_or(
                if recording.language.is_empty() {
                    "unknown".into()
                } else {
                    recording.language.clone()
                },
            ),
            stt_model: if recording.model.is_empty() {
                "unknown".into()
            } else {
                recording.model.clone()
            },
            llm_model: plan.endpoint.model.clone(),
            prompts: plan.prompts.name.clone(),
            prompts_version: plan.prompts.versions.clone(),
            prompts_hash: plan.prompts.hash.clone(),
            temperature: plan.options.temperature,
            seed: plan.options.seed,
        };
    if !report.redactions.is_empty() {
        let kinds: Vec<String> = report
            .redactions
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        printer.status(format!(
            "kept personal data off the LLM, restored in the minutes: {}",
            kinds.join(", ")
        ));
    }
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
    let text = match settings.format {
        MinutesFormat::Md => render::markdown(&minutes, &provenance, &report, transcript),
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
        title: minutes.title.clone(),
        minutes,
        language: provenance.language.clone(),
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
