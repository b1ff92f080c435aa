//! `minutes summarize`: recordings or transcripts in, minutes out.
//!
//! Each input's minutes are made by the flow (`crate::flow`): with a remote
//! model a run takes about as long as transcription plus one map call and
//! the reduce. This edge finds the inputs, keeps the batch's manifest, and
//! writes each document only when it is complete.

mod plan;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::batch::report::{FileReport, Status};
use crate::batch::{Made, Names, Run, output_name};
use crate::cli::MinutesFormat;
use crate::error::{Error, ErrorKind, Result};
use crate::flow::{self, Cancel, Document};
use crate::llm::local::LocalServer;
use crate::settings::{Output, SummarizeSettings};
use crate::sink;
use crate::summarize::Event;
use crate::transcript::parse;
use crate::transcription::Transcriber;
use crate::ui::Printer;
use plan::Plan;

pub fn run(settings: &SummarizeSettings, printer: &Printer) -> Result<()> {
    let plan = Plan::prepare(settings)?;
    let recordings = plan.inputs.iter().any(|f| !parse::is_transcript(f));
    let stage = Transcriber::new(
        &plan.recipe.transcription,
        recordings,
        plan.recipe.cache.as_ref(),
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
    let progress = progress_printer(printer);
    // The bundled local model is started once per run, when the first input needs it.
    let mut local: Option<LocalServer> = None;
    for input in &inputs {
        batch.process(input, |hash, names| {
            let started = Instant::now();
            let endpoint = flow::endpoint(&plan.recipe.endpoint, &mut local, printer)?;
            let source = input.display().to_string();
            let doc = flow::make(
                &runtime,
                &plan.recipe,
                &endpoint,
                &stage,
                (input, &source, hash),
                &Cancel::default(),
                &progress,
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
            let text = match settings.format {
                MinutesFormat::Md => doc.markdown(settings.include_transcript),
                MinutesFormat::Json => doc.json(settings.include_transcript),
            };
            let output = emit(&text, &doc, input, settings, names)?;
            // The minutes are written before anything is said: a missing speech backend loses nothing.
            let speech = crate::speak::from_minutes(
                &doc.minutes,
                Some(&doc.provenance.language),
                &settings.speech.sections,
            );
            crate::speak::say(&speech, &settings.speech, printer)?;
            let mut report = FileReport::new(input, Status::Done, output.clone(), started);
            report.prompt_tokens = doc.total.prompt_tokens;
            report.cached_prompt_tokens = doc.total.cached_prompt_tokens;
            report.completion_tokens = doc.total.completion_tokens;
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

fn progress_printer(printer: &Printer) -> impl Fn(flow::Progress<'_>) + Send + Sync + use<> {
    let printer = printer.clone();
    move |made| match made {
        flow::Progress::Heard(_) => {}
        flow::Progress::Summary(event) => match event {
            Event::ChunkReady { index } => tracing::info!("part {index} ready"),
            Event::ChunkDone { index } => printer.status(format!("map: part {index} summarised")),
            Event::Warning(w) => printer.warn(w),
            Event::Collapse { round, groups } => {
                printer.status(format!("collapse: round {round}, {groups} groups"))
            }
            Event::Reduce => printer.status("reduce: writing the minutes"),
        },
    }
}

/// Writes the document where the settings say; returns the file written, if any.
fn emit(
    text: &str,
    doc: &Document,
    input: &Path,
    settings: &SummarizeSettings,
    names: &Names<'_>,
) -> Result<Option<PathBuf>> {
    match &settings.output {
        Output::Stdout => sink::stdout(text.as_bytes()).map(|_| None),
        Output::File(path) => sink::write_atomic(path, text.as_bytes()).map(|_| Some(path.clone())),
        Output::Dir(dir) => {
            let ext = if settings.format == MinutesFormat::Json {
                "json"
            } else {
                "md"
            };
            let path = names.free(dir.join(output_name(
                &settings.batch.name,
                input,
                &doc.provenance.date,
                &doc.minutes.title,
                ext,
            )));
            sink::write_atomic(&path, text.as_bytes()).map(|_| Some(path))
        }
    }
}
