//! The transcription loop around whisper.cpp (through whisper-rs).
//!
//! Audio arrives as a stream and is cut into blocks of a few minutes at pauses,
//! so memory stays bounded and segments come out while the recording is still
//! being read (later stages can start on them). In each block only voiced
//! stretches are sent to whisper (see `vad`), and times are mapped back.
//!
//! Decoding defaults are chosen against whisper's known failures on meeting
//! audio: no text context is carried between windows (a hallucination or a
//! repetition loop cannot feed itself), blank and non-speech tokens are
//! suppressed, and temperature fallback re-decodes windows whose output looks
//! degenerate (compression/entropy and log-probability thresholds). The only
//! recognised text ever deleted is a segment made of whisper's stock phrases
//! over audio that is not speech (see `stock`).

use std::path::Path;
use std::sync::Arc;

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::SttOptions;
use super::vad::{self, TimeMap};
use crate::error::{Error, ErrorKind, Result};
use crate::media::SAMPLE_RATE;
use crate::transcript::{Segment, Word};

/// Blocks are cut after about this much audio…
const BLOCK_SECONDS: usize = 180;
/// …at a pause found in the last this many seconds of the block.
const CUT_WINDOW_SECONDS: usize = 30;

/// Called with the seconds of audio transcribed so far (from whisper's own thread).
pub type Progress = Arc<dyn Fn(f64) + Send + Sync>;

/// One block of audio and where it sits in the recording.
struct Block<'a> {
    samples: &'a [f32],
    /// Samples before the block.
    offset: usize,
    language: &'a str,
}

pub struct WhisperEngine {
    ctx: WhisperContext,
    name: String,
}

/// What a finished transcription reports besides its segments.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub language: String,
    /// Seconds of audio read.
    pub duration: f64,
}

impl WhisperEngine {
    /// Loads a ggml model file.
    pub fn load(name: &str, path: &Path) -> Result<Self> {
        let mut params = WhisperContextParameters::default();
        params.use_gpu(cfg!(any(
            feature = "cuda",
            feature = "vulkan",
            feature = "metal",
            feature = "hipblas",
            feature = "coreml"
        )));
        let path_str = path
            .to_str()
            .ok_or_else(|| Error::file(ErrorKind::BadInput, path, "model path is not UTF-8"))?;
        let ctx = WhisperContext::new_with_params(path_str, params).map_err(|_| {
            Error::file(ErrorKind::BadInput, path, "not a usable whisper.cpp model file (corrupt or wrong format)")
                .with_hint("pull it again with `minutes models pull NAME --force`, or import it with `minutes models import`")
        })?;
        Ok(WhisperEngine {
            ctx,
            name: name.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_multilingual(&self) -> bool {
        self.ctx.is_multilingual()
    }

    /// Transcribes a stream of 16 kHz mono blocks, calling `on_segment` for
    /// each segment as soon as it is recognised (it returns `false` to stop
    /// after the current block) and `on_progress` with the seconds of audio done.
    pub fn transcribe<I>(
        &self,
        audio: I,
        opts: &SttOptions,
        on_segment: &mut dyn FnMut(Segment) -> bool,
        on_progress: Progress,
    ) -> Result<Outcome>
    where
        I: Iterator<Item = Result<Vec<f32>>>,
    {
        if !self.is_multilingual() && !matches!(opts.language.as_str(), "en" | "auto") {
            return Err(Error::usage(format!(
                "model {} understands English only; language {} needs a multilingual model",
                self.name, opts.language
            )));
        }
        let mut state = self
            .ctx
            .create_state()
            .map_err(|e| Error::internal(format!("whisper state: {e}")))?;
        let mut language = if self.is_multilingual() {
            opts.language.clone()
        } else {
            "en".to_string()
        };
        let mut buffer: Vec<f32> = Vec::new();
        let mut offset = 0usize; // samples before `buffer`
        let block = BLOCK_SECONDS * SAMPLE_RATE as usize;
        let mut ended = false;
        let mut audio = audio.fuse();
        while !ended || !buffer.is_empty() {
            while !ended && buffer.len() < block + CUT_WINDOW_SECONDS * SAMPLE_RATE as usize {
                match audio.next() {
                    Some(chunk) => buffer.extend_from_slice(&chunk?),
                    None => ended = true,
                }
            }
            let cut = if ended {
                buffer.len()
            } else {
                cut_point(&buffer, block)
            };
            let part = Block {
                samples: &buffer[..cut],
                offset,
                language: &language,
            };
            let (detected, go_on) =
                self.run_block(&mut state, part, opts, on_segment, &on_progress)?;
            if language == "auto"
                && let Some(lang) = detected
            {
                language = lang;
            }
            offset += cut;
            buffer.drain(..cut);
            on_progress(offset as f64 / f64::from(SAMPLE_RATE));
            if !go_on {
                break;
            }
        }
        let language = if language == "auto" {
            "unknown".to_string()
        } else {
            language
        };
        Ok(Outcome {
            language,
            duration: offset as f64 / f64::from(SAMPLE_RATE),
        })
    }

    /// Transcribes one block; returns the language whisper detected, if any,
    /// and whether the consumer wants more.
    fn run_block(
        &self,
        state: &mut WhisperState,
        block: Block,
        opts: &SttOptions,
        on_segment: &mut dyn FnMut(Segment) -> bool,
        on_progress: &Progress,
    ) -> Result<(Option<String>, bool)> {
        let Block {
            samples: block,
            offset,
            language,
        } = block;
        let flags = vad::voiced_frames(block);
        let ranges = vad::keep_ranges_of(&flags, block.len());
        if ranges.is_empty() {
            return Ok((None, true));
        }
        let (voiced, map) = TimeMap::join(block, &ranges);
        // whisper.cpp needs at least one second of audio; pad very short speech.
        let mut voiced = voiced;
        if voiced.len() < SAMPLE_RATE as usize + SAMPLE_RATE as usize / 10 {
            voiced.resize(SAMPLE_RATE as usize + SAMPLE_RATE as usize / 10, 0.0);
        }
        let mut params = full_params(language, opts);
        let (start, length) = (
            offset as f64 / f64::from(SAMPLE_RATE),
            block.len() as f64 / f64::from(SAMPLE_RATE),
        );
        let progress = on_progress.clone();
        params.set_progress_callback_safe(move |pct: i32| {
            progress(start + length * f64::from(pct) / 100.0)
        });
        state
            .full(params, &voiced)
            .map_err(|e| Error::internal(format!("whisper.cpp failed: {e}")))?;
        let base = offset as f64 / f64::from(SAMPLE_RATE);
        let detected =
            whisper_rs::get_lang_str(state.full_lang_id_from_state()).map(str::to_string);
        let spoken = match language {
            "auto" => detected.as_deref().unwrap_or("auto"),
            stated => stated,
        };
        let mut go_on = true;
        for segment in state.as_iter() {
            let text = segment
                .to_str_lossy()
                .map(|t| t.into_owned())
                .unwrap_or_default();
            if !is_speech(&text) {
                continue;
            }
            let t0 = segment.start_timestamp() as f64 / 100.0;
            let t1 = segment.end_timestamp() as f64 / 100.0;
            let (start, end) = map.span(t0, t1);
            let at = |t: f64| ((t * f64::from(SAMPLE_RATE)) as usize).min(block.len());
            if super::stock::is_invented(&text, spoken, &block[at(start)..at(end).max(at(start))]) {
                tracing::info!(
                    "dropped {:?} at {start:.1} s: a stock phrase over no speech",
                    text.trim()
                );
                continue;
            }
            // Times where the voice is, not where whisper's window edges fell.
            let (start, end) = vad::voiced_span(&flags, start, end).unwrap_or((start, end));
            let words = self
                .words_of(&segment, &map)
                .into_iter()
                .map(|w| Word {
                    start: round_ms(base + w.start.clamp(start, end)),
                    end: round_ms(base + w.end.clamp(start, end)),
                    ..w
                })
                .collect();
            go_on &= on_segment(Segment {
                start: round_ms(base + start),
                end: round_ms(base + end),
                text: text.trim().to_string(),
                speaker: None,
                words,
            });
        }
        Ok((detected, go_on))
    }
}

impl WhisperEngine {
    /// A segment's words with their times in the block: tokens grouped
    /// into words at the ones that start with a space, special tokens left
    /// out, bytes joined before decoding (a Hangul syllable may span
    /// tokens); a word's probability is the mean of its tokens'.
    fn words_of(&self, segment: &whisper_rs::WhisperSegment, map: &TimeMap) -> Vec<Word> {
        let eot = self.ctx.token_eot();
        // (start, end, bytes, sum of token probabilities, tokens)
        let mut out: Vec<(f64, f64, Vec<u8>, f32, u32)> = Vec::new();
        for i in 0..segment.n_tokens() {
            let Some(token) = segment.get_token(i) else {
                continue;
            };
            if token.token_id() >= eot {
                continue;
            }
            let Ok(bytes) = token.to_bytes() else {
                continue;
            };
            let data = token.token_data();
            let (t0, t1) = map.span(data.t0 as f64 / 100.0, data.t1 as f64 / 100.0);
            match out.last_mut() {
                Some(word) if !bytes.starts_with(b" ") => {
                    word.1 = word.1.max(t1);
                    word.2.extend_from_slice(bytes);
                    word.3 += data.p;
                    word.4 += 1;
                }
                _ => out.push((t0, t1, bytes.to_vec(), data.p, 1)),
            }
        }
        out.into_iter()
            .map(|(t0, t1, bytes, p, n)| Word {
                text: String::from_utf8_lossy(&bytes).into_owned(),
                start: t0,
                end: t1.max(t0),
                probability: (p / n as f32 * 1000.0).round() / 1000.0,
                speaker: None,
            })
            .collect()
    }
}

fn full_params<'a>(language: &'a str, opts: &'a SttOptions) -> FullParams<'a, 'a> {
    let strategy = match opts.beam {
        Some(width) if width > 1 => SamplingStrategy::BeamSearch {
            beam_size: width as i32,
            patience: -1.0,
        },
        _ => SamplingStrategy::Greedy { best_of: 5 },
    };
    let mut p = FullParams::new(strategy);
    p.set_n_threads(opts.threads.max(1) as i32);
    p.set_language(Some(language));
    p.set_translate(false);
    p.set_no_context(true);
    p.set_suppress_blank(true);
    p.set_suppress_nst(true);
    p.set_temperature(opts.temperature);
    p.set_temperature_inc(0.2);
    p.set_entropy_thold(2.4);
    p.set_logprob_thold(-1.0);
    p.set_no_speech_thold(0.6);
    p.set_print_progress(false);
    p.set_print_realtime(false);
    p.set_print_special(false);
    p.set_print_timestamps(false);
    // Word times, for splitting a segment where the speaker changes.
    p.set_token_timestamps(true);
    if let Some(prompt) = opts.prompt.as_deref() {
        p.set_initial_prompt(prompt);
    }
    p
}

/// Where to end a block: the middle of the longest pause in its last
/// [`CUT_WINDOW_SECONDS`], or the quietest frame there if nobody pauses.
fn cut_point(buffer: &[f32], block: usize) -> usize {
    let from = block.saturating_sub(CUT_WINDOW_SECONDS * SAMPLE_RATE as usize / 2);
    let to = (block + CUT_WINDOW_SECONDS * SAMPLE_RATE as usize / 2).min(buffer.len());
    let window = &buffer[from..to];
    let flags = vad::voiced_frames(window);
    let (mut best, mut best_len, mut run_start) = (None, 0usize, None);
    for (i, voiced) in flags.iter().chain(std::iter::once(&true)).enumerate() {
        match (voiced, run_start) {
            (false, None) => run_start = Some(i),
            (true, Some(s)) => {
                if i - s > best_len {
                    best_len = i - s;
                    best = Some((s + i) / 2);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    let frame = best.unwrap_or_else(|| {
        window
            .chunks(vad::FRAME)
            .enumerate()
            .min_by(|a, b| energy(a.1).total_cmp(&energy(b.1)))
            .map(|(i, _)| i)
            .unwrap_or(0)
    });
    (from + frame * vad::FRAME).clamp(1, buffer.len())
}

/// Whether recognised text holds words: whisper marks noise and music with
/// symbol-only or bracketed segments (`♪♪`, `[Music]`, `(applause)`,
/// `[BLANK_AUDIO]`); those carry no speech and are not kept. Text with any
/// word outside brackets is kept whole.
fn is_speech(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            c if c.is_alphanumeric() && depth <= 0 => return true,
            _ => {}
        }
    }
    false
}

fn energy(frame: &[f32]) -> f32 {
    frame.iter().map(|s| s * s).sum()
}

fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::is_speech;

    #[test]
    fn noise_markers_are_not_speech() {
        for noise in ["♪♪", " [Music]", "(upbeat music)", "[BLANK_AUDIO]", " ... "] {
            assert!(!is_speech(noise), "{noise}");
        }
        for speech in [
            "Hello.",
            "[laughs] okay then",
            "(1) first item",
            "네, 좋습니다",
            "42",
        ] {
            assert!(is_speech(speech), "{speech}");
        }
    }
}
