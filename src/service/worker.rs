//! The recogniser's thread: recordings from the queue and jobs from the
//! store, one at a time, through the transcription stage every command uses
//! and, for jobs, the flow `summarize` makes minutes with.
//!
//! One whisper model is loaded at a time (a request for another model
//! drops the loaded one first, so memory holds one). Requests come before
//! jobs: a client is waiting on each. A request whose client has gone is
//! skipped, or stopped at the next block if it is running, and a panic in
//! one request or job answers it with an error instead of taking the
//! server down.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

use tempfile::TempPath;
use tokio::sync::{mpsc, oneshot};

use super::api::ApiError;
use super::jobs::Board;
use super::metrics::{Ended, Metrics};
use super::store::{Job, Tokens};
use crate::batch::cache::Cache;
use crate::error::{Error, Result};
use crate::flow::{self, Cancel, Recipe};
use crate::llm::local::LocalServer;
use crate::stt::SttOptions;
use crate::transcript::Transcript;
use crate::transcription::{Transcriber, TranscriptionSettings};
use crate::ui::Printer;

/// What the recogniser is handed.
pub enum Work {
    /// One recording to transcribe, and where the answer goes.
    Transcribe {
        audio: TempPath,
        /// The model's name; `None`: the server's default.
        model: Option<String>,
        stt: SttOptions,
        reply: oneshot::Sender<Result<Transcript>>,
    },
    /// A job was queued: look in the store.
    Jobs,
}

pub struct Recogniser<'a> {
    pub settings: &'a TranscriptionSettings,
    pub cache: Option<&'a Cache>,
    pub printer: &'a Printer,
    pub default_model: &'a str,
    pub metrics: &'a Metrics,
    pub board: &'a Board,
    /// How jobs' minutes are made; `None`: no LLM is configured.
    pub recipe: Option<&'a Recipe>,
    /// Set once the server stops: no job is started after it, and the one
    /// running, if cut off, is resumed at the next start.
    pub stopping: &'a AtomicBool,
}

type Loaded<'a> = Result<(String, Transcriber<'a>)>;

impl<'a> Recogniser<'a> {
    pub fn run(self, mut queue: mpsc::Receiver<Work>) {
        let mut loaded = self.load(self.default_model);
        match &loaded {
            Ok(_) => self.metrics.set_ready(),
            Err(e) => self.printer.warn(format!(
                "the speech model {} does not load: {}",
                self.default_model,
                e.message()
            )),
        }
        let mut local: Option<LocalServer> = None;
        // The jobs' LLM calls run on a runtime of this thread's own: the
        // server's is shut down at the stop, which ends the requests in
        // flight, while a job may still be finishing.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build();
        loop {
            let work = match queue.try_recv() {
                Ok(work) => work,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    if let Some(job) = self.next_job() {
                        match &runtime {
                            Ok(runtime) => self.job(job, runtime, &mut loaded, &mut local),
                            Err(e) => {
                                let message = format!("async runtime: {e}");
                                let _ = self.board.store.fail(&job.id, "internal", &message);
                            }
                        }
                        continue;
                    }
                    match queue.blocking_recv() {
                        Some(work) => work,
                        None => break,
                    }
                }
            };
            if let Work::Transcribe {
                audio,
                model,
                stt,
                reply,
            } = work
            {
                self.transcribe(audio, model, &stt, reply, &mut loaded);
            }
        }
    }

    fn next_job(&self) -> Option<Job> {
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        match self.board.store.next_queued() {
            Ok(job) => job,
            Err(e) => {
                self.printer.warn(e.message());
                None
            }
        }
    }

    fn transcribe(
        &self,
        audio: TempPath,
        model: Option<String>,
        stt: &SttOptions,
        reply: oneshot::Sender<Result<Transcript>>,
        loaded: &mut Loaded<'a>,
    ) {
        if reply.is_closed() {
            return;
        }
        let started = std::time::Instant::now();
        let name = model.as_deref().unwrap_or(self.default_model).to_string();
        let result = self.with_model(&name, loaded, |stage| {
            stage.transcript_with(&audio, None, stt, &mut |_| !reply.is_closed())
        });
        let (ended, heard) = match &result {
            Ok(t) => (Ended::Done, t.duration),
            Err(_) if reply.is_closed() => (Ended::Cancelled, 0.0),
            Err(_) => (Ended::Failed, 0.0),
        };
        self.metrics
            .transcribed(ended, started.elapsed().as_secs_f64(), heard);
        // The upload is gone before the answer: nothing outlives a request.
        drop(audio);
        let _ = reply.send(result);
    }

    /// Runs `f` with the stage for `model`, loading it first if another is loaded.
    fn with_model<T>(
        &self,
        model: &str,
        loaded: &mut Loaded<'a>,
        f: impl FnOnce(&Transcriber<'a>) -> Result<T>,
    ) -> Result<T> {
        if !loaded.as_ref().is_ok_and(|(n, _)| n == model) {
            // The old engine goes before the new one comes.
            *loaded = Err(Error::internal("no model loaded"));
            *loaded = self.load(model);
        }
        match loaded {
            Ok((_, stage)) => std::panic::catch_unwind(AssertUnwindSafe(|| f(stage)))
                .unwrap_or_else(|_| Err(Error::internal("transcription failed unexpectedly"))),
            Err(e) => Err(Error::new(e.kind(), e.message().to_string())),
        }
    }

    /// One job, from its recording to its minutes on disk.
    fn job(
        &self,
        job: Job,
        runtime: &tokio::runtime::Runtime,
        loaded: &mut Loaded<'a>,
        local: &mut Option<LocalServer>,
    ) {
        let store = &self.board.store;
        let id = job.id.clone();
        let Some(recipe) = self.recipe else {
            let _ = store.fail(&id, "unavailable", "no LLM is configured on the server");
            return;
        };
        let input = store.folder(&id).join(&job.input);
        let failed = |e: &Error| {
            let said = ApiError::from_stage(e, &input.display().to_string(), &job.name);
            let _ = store.fail(&id, said.kind, &said.message);
        };
        let recipe = match self.board.recipe_for(recipe, &job.asked) {
            Ok(r) => r,
            Err(e) => return failed(&e),
        };
        match store.start(&id) {
            Ok(true) => {}
            // Cancelled since it was picked.
            Ok(false) => return,
            Err(e) => return self.printer.warn(e.message()),
        }
        let cancel = Cancel::default();
        self.board.set_running(Some((id.clone(), cancel.clone())));
        let started = std::time::Instant::now();
        let source = job.name.clone();
        let chunks = std::sync::atomic::AtomicU64::new(0);
        let progress = |made: flow::Progress<'_>| match made {
            flow::Progress::Heard(s) => {
                let _ = store.heard(&id, s);
            }
            flow::Progress::Summary(event) => {
                if matches!(event, crate::summarize::Event::ChunkDone { .. }) {
                    chunks.fetch_add(1, Ordering::SeqCst);
                }
                let _ = store.summarizing(&id, chunks.load(Ordering::SeqCst));
            }
        };
        let result = self.with_model(self.default_model, loaded, |stage| {
            let endpoint = flow::endpoint(&recipe.endpoint, local, self.printer)?;
            let doc = flow::make(
                runtime,
                &recipe,
                &endpoint,
                stage,
                (&input, &source, None),
                &cancel,
                &progress,
                self.printer,
            )?;
            super::jobs::write_outputs(&store.folder(&id), &doc)?;
            Ok(doc)
        });
        self.board.set_running(None);
        let heard = result.as_ref().map_or(0.0, |d| d.recording.duration);
        match result {
            Ok(doc) => {
                let t = &doc.total;
                let tokens = Tokens {
                    prompt_tokens: t.prompt_tokens,
                    cached_prompt_tokens: t.cached_prompt_tokens,
                    completion_tokens: t.completion_tokens,
                    calls: t.calls,
                };
                if let Err(e) = store.done(&id, doc.recording.duration, &tokens) {
                    self.printer.warn(e.message());
                }
                self.metrics
                    .job_ended("done", started.elapsed().as_secs_f64(), heard);
            }
            // Cut off by the stop: it stays where it was, and resumes at the next start.
            Err(_) if cancel.is_cancelled() && self.stopping.load(Ordering::SeqCst) => {}
            // Cancelled by its client: the store says so already.
            Err(_) if cancel.is_cancelled() => self.metrics.job_ended("cancelled", 0.0, 0.0),
            Err(e) => {
                self.printer
                    .warn(format!("{source} failed: {}", e.message()));
                failed(&e);
                self.metrics.job_ended("failed", 0.0, 0.0);
            }
        }
    }

    /// The stage for `model`, its engine loaded.
    fn load(&self, model: &str) -> Result<(String, Transcriber<'a>)> {
        let stage = Transcriber::with_model(self.settings, model, self.cache, self.printer)?;
        stage.load()?;
        Ok((model.to_string(), stage))
    }
}
