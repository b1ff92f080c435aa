//! Speaker embeddings of a recording, computed while it is transcribed.
//!
//! The transcription loop hands every decoded chunk of 16 kHz audio to an
//! [`Embedder`], which copies it to a worker thread. The channel has no
//! bound of its own: the loop reads at most one block (a few minutes of
//! audio) ahead of whisper, and a bounded channel would stall that read
//! until the embeddings caught up, making the two run in turn instead of
//! side by side. The worker keeps at most ~20 s of audio, cuts it into 1.6 s
//! windows every [`STEP_SECONDS`], skips windows that are mostly not voice,
//! and runs the rest through the speaker encoder in batches. Only the
//! embeddings (1 KiB each) outlive the audio, so a three-hour meeting costs
//! a few megabytes, and the work overlaps whisper's instead of following it.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use minutes_voice::encoder::{Embedding, Ge2e, WINDOW_FRAMES};
use minutes_voice::mel::{BANDS, HOP, PowerMel};

use crate::error::{Error, ErrorKind, Result};
use crate::media::SAMPLE_RATE;
use crate::stt::vad;

/// Window length in samples (1.6 s).
pub const WINDOW: usize = WINDOW_FRAMES * HOP;
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
/// Windows are brought up to this level (-30 dBFS, as the encoder was
/// trained), never turned down.
const TARGET_RMS: f32 = 0.031_622_776;
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

/// Loads the converted speaker encoder (`speakers-ge2e.safetensors`).
pub fn load(path: &Path) -> Result<Ge2e> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let bad = |why: String| {
        Error::file(ErrorKind::BadInput, path, why).with_hint(
            "convert it again with `minutes models pull speakers-ge2e --force` or `minutes models import pretrained.pt`",
        )
    };
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a speaker model file: {e}")))?;
    Ge2e::from_tensors(|name| {
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
    pub fn start(model: Arc<Ge2e>) -> Embedder {
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
pub fn embed_all(model: &Ge2e, audio: &[f32]) -> Vec<Window> {
    let mut state = State::new(model, ENROLL_STEP);
    state.buffer.extend_from_slice(audio);
    state.run(true);
    state.out
}

fn work(model: &Ge2e, chunks: Receiver<Vec<f32>>) -> Vec<Window> {
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
    model: &'a Ge2e,
    mel: PowerMel,
    buffer: Vec<f32>,
    /// Samples between window starts.
    step: usize,
    /// Samples of the recording before `buffer`; always a multiple of `step`.
    offset: usize,
    out: Vec<Window>,
}

impl<'a> State<'a> {
    fn new(model: &'a Ge2e, step: usize) -> Self {
        State {
            model,
            mel: PowerMel::new(),
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
            let mels: Vec<Vec<f32>> = batch
                .iter()
                .map(|s| self.window_mel(&self.buffer, *s))
                .collect();
            let views: Vec<&[f32]> = mels.iter().map(Vec::as_slice).collect();
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

    /// The window's mel frames, brought up to the encoder's level.
    fn window_mel(&self, audio: &[f32], start: usize) -> Vec<f32> {
        let end = (start + WINDOW).min(audio.len());
        let samples = &audio[start..end];
        let rms = (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt();
        let gain = if rms > 1e-6 && rms < TARGET_RMS {
            TARGET_RMS / rms
        } else {
            1.0
        };
        // Frames centred on the window's hops; the encoder sees the window only.
        let mut frames = self.mel.frames(samples, WINDOW_FRAMES);
        debug_assert_eq!(frames.len(), WINDOW_FRAMES * BANDS);
        let power = gain * gain;
        frames.iter_mut().for_each(|v| *v *= power);
        frames
    }
}
