//! Speaker embeddings of a recording, computed while it is transcribed.
//!
//! The transcription loop hands every decoded chunk of 16 kHz audio to an
//! [`Embedder`], which copies it to a worker thread. The channel has no
//! bound of its own: the loop reads at most one block (a few minutes of
//! audio) ahead of whisper, and a bounded channel would stall that read
//! until the embeddings caught up, making the two run in turn instead of
//! side by side. The worker keeps at most ~20 s of audio, cuts it into 1.5 s
//! windows every [`STEP_SECONDS`], skips windows that are mostly not voice,
//! and runs the rest through the speaker encoder (CAM++). Only the
//! embeddings (768 bytes each) outlive the audio, so a three-hour meeting costs
//! a few megabytes, and the work overlaps whisper's instead of following it.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use minutes_voice::campplus::CamPlus;
use minutes_voice::encoder::Embedding;

use crate::error::{Error, ErrorKind, Result};
use crate::media::SAMPLE_RATE;
use crate::stt::vad;

/// Window length in samples (1.5 s, the length CAM++ is used with).
pub const WINDOW: usize = minutes_voice::campplus::WINDOW;
/// Seconds between window starts while a recording is transcribed: the
/// embeddings' CPU time competes with whisper's, and closer windows (0.8 s)
/// cost more without telling voices apart better (README, Performance).
pub const STEP_SECONDS: f64 = 1.2;
const STEP: usize = (STEP_SECONDS * SAMPLE_RATE as f64) as usize;
/// Between window starts of an enrollment clip, where time is cheap and
/// a short clip needs every window it can give.
const ENROLL_STEP: usize = (0.8 * SAMPLE_RATE as f64) as usize;
/// Audio gathered before a batch of windows is embedded.
const CHUNK: usize = 20 * SAMPLE_RATE as usize;
/// A window is embedded when at least this share of it is voice.
const VOICED_SHARE: f64 = 0.5;
/// Windows per encoder batch.
const BATCH: usize = 64;

/// One embedded window of the recording.
#[derive(Debug, Clone)]
pub struct Window {
    /// Seconds from the start of the recording.
    pub start: f64,
    pub end: f64,
    pub embedding: Embedding,
}

impl Window {
    pub fn centre(&self) -> f64 {
        (self.start + self.end) / 2.0
    }
}

/// Loads the converted speaker encoder (`speakers-campplus.safetensors`).
pub fn load(path: &Path) -> Result<CamPlus> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let bad = |why: String| {
        Error::file(ErrorKind::BadInput, path, why).with_hint(
            "convert it again with `minutes models pull speakers-campplus --force` or `minutes models import campplus_cn_en_common.pt`",
        )
    };
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a speaker model file: {e}")))?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a speaker model file: {e}")))?;
    let format = meta.metadata().as_ref().and_then(|m| m.get("format"));
    if format.map(String::as_str) != Some(super::convert::FORMAT) {
        return Err(bad(format!(
            "not a {} file (converted by another version of minutes?)",
            super::convert::FORMAT
        )));
    }
    CamPlus::from_tensors(|name| {
        let view = tensors
            .tensor(name)
            .map_err(|_| format!("tensor {name} is missing"))?;
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(format!("tensor {name} is not float32"));
        }
        Ok(view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    })
    .map_err(bad)
}

/// Embeds audio as it streams past; see the module docs.
pub struct Embedder {
    sender: Option<Sender<Vec<f32>>>,
    worker: Option<JoinHandle<Vec<Window>>>,
}

impl Embedder {
    pub fn start(model: Arc<CamPlus>) -> Embedder {
        let (sender, receiver) = channel::<Vec<f32>>();
        let worker = std::thread::Builder::new()
            .name("speaker-embeddings".into())
            .spawn(move || work(&model, receiver))
            .ok();
        Embedder {
            sender: worker.is_some().then_some(sender),
            worker,
        }
    }

    /// Hands on a chunk of 16 kHz mono audio.
    pub fn push(&self, chunk: &[f32]) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(chunk.to_vec());
        }
    }

    /// Waits for the rest of the audio to be embedded.
    pub fn finish(mut self) -> Vec<Window> {
        self.sender = None;
        self.worker
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_default()
    }
}

/// The whole of `audio` embedded at once (enrollment clips, tests).
pub fn embed_all(model: &CamPlus, audio: &[f32]) -> Vec<Window> {
    let mut state = State::new(model, ENROLL_STEP);
    state.buffer.extend_from_slice(audio);
    state.run(true);
    state.out
}

fn work(model: &CamPlus, chunks: Receiver<Vec<f32>>) -> Vec<Window> {
    let mut state = State::new(model, STEP);
    for chunk in chunks {
        state.buffer.extend_from_slice(&chunk);
        if state.buffer.len() >= CHUNK + WINDOW {
            state.run(false);
        }
    }
    state.run(true);
    state.out
}

struct State<'a> {
    model: &'a CamPlus,
    buffer: Vec<f32>,
    /// Samples between window starts.
    step: usize,
    /// Samples of the recording before `buffer`; always a multiple of `step`.
    offset: usize,
    out: Vec<Window>,
}

impl<'a> State<'a> {
    fn new(model: &'a CamPlus, step: usize) -> Self {
        State {
            model,
            buffer: Vec::new(),
            step,
            offset: 0,
            out: Vec::new(),
        }
    }

    /// Embeds every whole window in the buffer (at the end, also a last
    /// window flush with its end) and keeps what later windows still need.
    fn run(&mut self, last: bool) {
        let len = self.buffer.len();
        let mut starts: Vec<usize> = (0..)
            .map(|k| k * self.step)
            .take_while(|s| s + WINDOW <= len)
            .collect();
        if last && len > 0 {
            match starts.last() {
                None => starts.push(0),
                Some(s) if s + WINDOW + self.step / 2 < len => {
                    starts.push(len.saturating_sub(WINDOW))
                }
                _ => {}
            }
        }
        let voiced = vad::voiced_frames(&self.buffer);
        let share = |s: usize| {
            let (a, b) = (
                s / vad::FRAME,
                ((s + WINDOW) / vad::FRAME).min(voiced.len()),
            );
            let n = b.saturating_sub(a).max(1);
            voiced[a.min(b)..b].iter().filter(|v| **v).count() as f64 / n as f64
        };
        let starts: Vec<usize> = starts
            .into_iter()
            .filter(|s| share(*s) >= VOICED_SHARE)
            .collect();
        // Only a last, short stretch needs padding to a whole window.
        if self.buffer.len() < WINDOW {
            self.buffer.resize(WINDOW, 0.0);
        }
        for batch in starts.chunks(BATCH) {
            let views: Vec<&[f32]> = batch
                .iter()
                .map(|s| &self.buffer[*s..(*s + WINDOW).min(self.buffer.len())])
                .collect();
            for (s, embedding) in batch.iter().zip(self.model.embed(&views)) {
                let start = (self.offset + s) as f64 / f64::from(SAMPLE_RATE);
                self.out.push(Window {
                    start,
                    end: start + WINDOW as f64 / f64::from(SAMPLE_RATE),
                    embedding,
                });
            }
        }
        // Keep from the first window start not yet embedded.
        let keep_from = if last {
            self.buffer.len()
        } else {
            (0..)
                .map(|k| k * self.step)
                .find(|s| s + WINDOW > len)
                .unwrap_or(len)
        };
        self.buffer.drain(..keep_from.min(self.buffer.len()));
        self.offset += keep_from;
    }
}
