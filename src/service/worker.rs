//! The recogniser's thread: recordings from the queue, one at a time,
//! through the transcription stage every command uses.
//!
//! One whisper model is loaded at a time (a request for another model
//! drops the loaded one first, so memory holds one). A request whose
//! client has gone is skipped, or stopped at the next block if it is
//! running, and a panic in one request answers that request with an error
//! instead of taking the server down.

use std::panic::AssertUnwindSafe;

use tempfile::TempPath;
use tokio::sync::{mpsc, oneshot};

use super::metrics::{Ended, Metrics};
use crate::batch::cache::Cache;
use crate::error::{Error, Result};
use crate::stt::SttOptions;
use crate::transcript::Transcript;
use crate::transcription::{Transcriber, TranscriptionSettings};
use crate::ui::Printer;

/// One recording to transcribe, and where the answer goes.
pub struct Work {
    pub audio: TempPath,
    /// The model's name; `None`: the server's default.
    pub model: Option<String>,
    pub stt: SttOptions,
    pub reply: oneshot::Sender<Result<Transcript>>,
}

pub struct Recogniser<'a> {
    pub settings: &'a TranscriptionSettings,
    pub cache: Option<&'a Cache>,
    pub printer: &'a Printer,
    pub default_model: &'a str,
    pub metrics: &'a Metrics,
}

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
        while let Some(work) = queue.blocking_recv() {
            let Work {
                audio,
                model,
                stt,
                reply,
            } = work;
            if reply.is_closed() {
                continue;
            }
            let started = std::time::Instant::now();
            let name = model.as_deref().unwrap_or(self.default_model);
            if !loaded.as_ref().is_ok_and(|(n, _)| n == name) {
                // The old engine goes before the new one comes.
                drop(loaded);
                loaded = self.load(name);
            }
            let result = match &loaded {
                Ok((_, stage)) => std::panic::catch_unwind(AssertUnwindSafe(|| {
                    stage.transcript_with(&audio, None, &stt, &mut |_| !reply.is_closed())
                }))
                .unwrap_or_else(|_| Err(Error::internal("transcription failed unexpectedly"))),
                Err(e) => Err(Error::new(e.kind(), e.message().to_string())),
            };
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
    }

    /// The stage for `model`, its engine loaded.
    fn load(&self, model: &str) -> Result<(String, Transcriber<'a>)> {
        let stage = Transcriber::with_model(self.settings, model, self.cache, self.printer)?;
        stage.load()?;
        Ok((model.to_string(), stage))
    }
}
