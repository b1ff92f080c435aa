//! Minutes of one input: transcription on a blocking thread, segments
//! streamed to the summary as they are recognised, the transcript with the
//! recording's facts handed over when recognition ends.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::{Notify, mpsc, oneshot};

use super::Recipe;
use crate::error::{Error, ErrorKind, Result};
use crate::llm::local::LocalServer;
use crate::llm::openai::OpenAiLlm;
use crate::llm::retry::RetryPolicy;
use crate::llm::select::Endpoint;
use crate::llm::{Secret, Stage, Usage, UsageBook};
use crate::render::{self, Provenance};
use crate::summarize::{self, Event, Report, schema::Minutes};
use crate::transcript::{Segment, Transcript};
use crate::transcription::Transcriber;
use crate::ui::Printer;

/// A way to stop making minutes from another thread: recognition stops at
/// its next segment, the LLM calls in flight are dropped.
#[derive(Clone, Default)]
pub struct Cancel(Arc<(AtomicBool, Notify)>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    async fn cancelled(&self) {
        let notified = self.0.1.notified();
        if !self.is_cancelled() {
            notified.await;
        }
    }
}

/// What happens while minutes are made, for a progress display.
pub enum Progress<'a> {
    /// Recognition has reached this many seconds of the recording.
    Heard(f64),
    Summary(&'a Event),
}

/// Finished minutes with what they were made from and what they cost.
pub struct Document {
    pub minutes: Minutes,
    pub provenance: Provenance,
    pub report: Report,
    pub usage: BTreeMap<Stage, Usage>,
    pub total: Usage,
    /// The segments after correction.
    pub transcript: Vec<Segment>,
    /// The recognised transcript, with the recording's facts.
    pub recording: Transcript,
    pub transcribe_seconds: f64,
}

impl Document {
    pub fn markdown(&self, include_transcript: bool) -> String {
        let transcript = include_transcript.then_some(self.transcript.as_slice());
        render::markdown(&self.minutes, &self.provenance, &self.report, transcript)
    }

    pub fn json(&self, include_transcript: bool) -> String {
        let transcript = include_transcript.then_some(self.transcript.as_slice());
        render::json(
            &self.minutes,
            &self.provenance,
            &self.report,
            &self.usage,
            &self.total,
            transcript,
        )
    }
}

/// The server URL and key to use: the configured server, or the bundled one
/// (started on first use, and again if it has stopped).
pub fn endpoint(
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

/// Minutes of `input` (shown as `source`), made with `recipe` by the LLM at
/// `(base_url, key)`; `known_hash` is the input's content hash when the
/// caller has it (the stage cache's key).
#[allow(clippy::too_many_arguments)]
pub fn make(
    runtime: &tokio::runtime::Runtime,
    recipe: &Recipe,
    (base_url, key): &(String, Secret),
    stage: &Transcriber<'_>,
    (input, source, known_hash): (&Path, &str, Option<&str>),
    cancel: &Cancel,
    on_progress: &(dyn Fn(Progress<'_>) + Send + Sync),
    printer: &Printer,
) -> Result<Document> {
    let started = Instant::now();
    let usage = Arc::new(UsageBook::default());
    let retry = RetryPolicy {
        // A deadline past what the clock can hold is no deadline.
        deadline: recipe
            .deadline
            .and_then(|d| std::time::Instant::now().checked_add(d)),
        ..recipe.retry.clone()
    };
    let llm = OpenAiLlm::new(base_url, &recipe.endpoint.model, key, retry, usage.clone())?;
    let events = |event: Event| on_progress(Progress::Summary(&event));
    let cache = recipe
        .cache
        .as_ref()
        .map(|c| c as &dyn summarize::StageCache);
    let stopped = || Error::new(ErrorKind::Temporary, format!("{source}: cancelled"));
    // Segments flow to the map as they are recognised; the transcript, with
    // the recording's facts, comes back when transcription ends.
    let (tx, rx) = mpsc::channel::<Segment>(1024);
    let (done_tx, done_rx) = oneshot::channel::<Result<Transcript>>();
    let (summary, transcribe_seconds) = std::thread::scope(|scope| {
        let transcription = scope.spawn(move || {
            let started = Instant::now();
            let stt = &recipe.transcription.stt;
            let transcript = stage.transcript_with(input, known_hash, stt, &mut |s| {
                on_progress(Progress::Heard(s.end));
                !cancel.is_cancelled() && tx.blocking_send(s.clone()).is_ok()
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
        let summary = runtime.block_on(async {
            tokio::select! {
                summary = summarize::run(
                    &llm, &recipe.prompts, &recipe.options, cache, rx, recording, &events,
                ) => summary,
                _ = cancel.cancelled() => Err(stopped()),
            }
        });
        (summary, transcription.join().unwrap_or_default())
    });
    if cancel.is_cancelled() {
        return Err(stopped());
    }
    let summarize::Summary {
        minutes,
        report,
        transcript,
        recording,
    } = summary?;
    let provenance = provenance(recipe, source, &recording);
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
        "made minutes of {source} in {:.1} s: {} chunks, {} LLM calls, {} prompt ({} cached) + {} completion tokens",
        started.elapsed().as_secs_f64(),
        report.chunks,
        total.calls,
        total.prompt_tokens,
        total.cached_prompt_tokens,
        total.completion_tokens
    ));
    Ok(Document {
        minutes,
        provenance,
        report,
        usage: usage.snapshot(),
        total,
        transcript,
        recording,
        transcribe_seconds,
    })
}

fn provenance(recipe: &Recipe, source: &str, recording: &Transcript) -> Provenance {
    let known = |s: &str| match s.is_empty() {
        true => "unknown".to_string(),
        false => s.to_string(),
    };
    Provenance {
        source: source.to_string(),
        date: recording.date.map(|d| d.to_string()).unwrap_or_default(),
        duration: recording.duration,
        language: recipe
            .language
            .clone()
            .unwrap_or_else(|| known(&recording.language)),
        stt_model: known(&recording.model),
        llm_model: recipe.endpoint.model.clone(),
        prompts: recipe.prompts.name.clone(),
        prompts_version: recipe.prompts.versions.clone(),
        prompts_hash: recipe.prompts.hash.clone(),
        temperature: recipe.options.temperature,
        seed: recipe.options.seed,
    }
}
