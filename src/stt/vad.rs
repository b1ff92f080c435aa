//! Voice activity detection: which stretches of a block are worth sending to
//! whisper.
//!
//! Whisper invents sentences on long silence and steady noise; not sending it
//! those stretches is the reliable cure, and a faster one. earshot's small
//! neural detector (pure Rust, 16 ms frames) scores each frame. The rule errs
//! towards keeping audio: only a non-voice stretch of at least [`MIN_GAP`] is
//! dropped, and [`PAD`] of it is kept on each side of speech, so quiet word
//! onsets and trailing syllables stay in.

use crate::media::SAMPLE_RATE;

pub const FRAME: usize = 256;
/// A frame scoring at least this is voice. Lower than earshot's 0.5 to keep quiet speech.
const THRESHOLD: f32 = 0.3;
/// Non-voice stretches shorter than this are kept whole.
const MIN_GAP: f64 = 2.0;
/// Audio kept on each side of a voiced stretch.
const PAD: f64 = 0.5;

fn frames(seconds: f64) -> usize {
    (seconds * f64::from(SAMPLE_RATE) / FRAME as f64).round() as usize
}

/// Per-frame voice flags for `samples` (the last partial frame counts as voice).
pub fn voiced_frames(samples: &[f32]) -> Vec<bool> {
    let mut detector = earshot::Detector::default();
    samples
        .chunks(FRAME)
        .map(|chunk| {
            if chunk.len() < FRAME {
                return true;
            }
            detector.predict_f32(chunk) >= THRESHOLD
        })
        .collect()
}

/// Sample ranges `[start, end)` to keep: voice, padded, with short gaps filled.
pub fn keep_ranges(samples: &[f32]) -> Vec<(usize, usize)> {
    keep_ranges_of(&voiced_frames(samples), samples.len())
}

/// [`keep_ranges`] from frame flags already computed for `len` samples.
pub fn keep_ranges_of(flags: &[bool], len: usize) -> Vec<(usize, usize)> {
    let (pad, min_gap) = (frames(PAD), frames(MIN_GAP));
    let n = flags.len();
    let mut keep = vec![false; n];
    for (i, _) in flags.iter().enumerate().filter(|(_, v)| **v) {
        let (a, b) = (i.saturating_sub(pad), (i + pad + 1).min(n));
        keep[a..b].iter_mut().for_each(|k| *k = true);
    }
    // Fill gaps shorter than MIN_GAP between kept stretches.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        if !keep[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && keep[i] {
            i += 1;
        }
        match ranges.last_mut() {
            Some(last) if start - last.1 < min_gap => last.1 = i,
            _ => ranges.push((start, i)),
        }
    }
    ranges
        .into_iter()
        .map(|(a, b)| (a * FRAME, (b * FRAME).min(len)))
        .filter(|(a, b)| b > a)
        .collect()
}

/// The voiced part of `[start, end]` (seconds from the first flag): from
/// the first voiced frame in it to the end of the last, widened by
/// [`EDGE`] on each side but never past the span; `None` when no frame in it
/// is voice. Recogniser segments run over the pauses around speech; this is
/// where the voice in them starts and stops.
pub fn voiced_span(flags: &[bool], start: f64, end: f64) -> Option<(f64, f64)> {
    let frame = FRAME as f64 / f64::from(SAMPLE_RATE);
    let first = ((start / frame).floor().max(0.0) as usize).min(flags.len());
    let last = ((end / frame).ceil().max(0.0) as usize).min(flags.len());
    let inside = flags.get(first..last)?;
    let a = inside.iter().position(|v| *v)?;
    let b = inside.iter().rposition(|v| *v)?;
    let voice_start = (first + a) as f64 * frame - EDGE;
    let voice_end = (first + b + 1) as f64 * frame + EDGE;
    Some((
        start.max(voice_start),
        end.min(voice_end).max(start.max(voice_start)),
    ))
}

/// Kept on each side of the voice a span is trimmed to: the detector's
/// frames are 16 ms and word onsets are quiet.
const EDGE: f64 = 0.1;

/// Where each kept piece sits in the original and in the joined audio.
#[derive(Debug, Clone)]
pub struct TimeMap {
    /// (joined start, original start, length) in samples.
    pieces: Vec<(usize, usize, usize)>,
}

impl TimeMap {
    /// Joins the kept ranges of `samples` and returns the audio with its map.
    pub fn join(samples: &[f32], ranges: &[(usize, usize)]) -> (Vec<f32>, TimeMap) {
        let mut joined = Vec::with_capacity(ranges.iter().map(|(a, b)| b - a).sum());
        let mut pieces = Vec::with_capacity(ranges.len());
        for &(a, b) in ranges {
            pieces.push((joined.len(), a, b - a));
            joined.extend_from_slice(&samples[a..b]);
        }
        (joined, TimeMap { pieces })
    }

    /// The original times (seconds) of a segment given in joined time.
    ///
    /// whisper's end times are a little imprecise; an end that lands just past
    /// a joint (within [`SLOP`]) belongs to the piece before it, not after
    /// the silence that was dropped there.
    pub fn span(&self, start: f64, end: f64) -> (f64, f64) {
        let rate = f64::from(SAMPLE_RATE);
        let to_samples = |t: f64| (t.max(0.0) * rate) as usize;
        let (s, e) = (to_samples(start), to_samples(end));
        let (Some(si), Some(ei)) = (self.piece_at(s), self.piece_at(e)) else {
            return (start, end);
        };
        let orig = |i: usize, t: usize| {
            let (j, o, len) = self.pieces[i];
            (o + t.saturating_sub(j).min(len)) as f64 / rate
        };
        let (ej, _, _) = self.pieces[ei];
        let end = if ei > si && e - ej < to_samples(SLOP) {
            let (_, o, len) = self.pieces[ei - 1];
            (o + len) as f64 / rate
        } else {
            orig(ei, e)
        };
        let start = orig(si, s);
        (start, end.max(start))
    }

    fn piece_at(&self, t: usize) -> Option<usize> {
        let found = self.pieces.iter().rposition(|(j, _, _)| *j <= t);
        found.or(if self.pieces.is_empty() {
            None
        } else {
            Some(0)
        })
    }
}

/// How far past a joint a segment end may land and still count as before it.
const SLOP: f64 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_dropped_entirely() {
        let silence = vec![0.0f32; SAMPLE_RATE as usize * 90];
        assert!(keep_ranges(&silence).is_empty());
    }

    #[test]
    fn a_span_is_trimmed_to_the_voice_inside_it() {
        let frame = FRAME as f64 / f64::from(SAMPLE_RATE);
        // Voice in frames 100..200 (1.6 s to 3.2 s) of 400.
        let flags: Vec<bool> = (0..400).map(|i| (100..200).contains(&i)).collect();
        let (a, b) = voiced_span(&flags, 0.0, 6.0).unwrap();
        assert!((a - (100.0 * frame - EDGE)).abs() < 1e-9, "{a}");
        assert!((b - (200.0 * frame + EDGE)).abs() < 1e-9, "{b}");
        // A span inside the voice stays as it is; one over silence has none.
        assert_eq!(voiced_span(&flags, 2.0, 3.0), Some((2.0, 3.0)));
        assert_eq!(voiced_span(&flags, 4.0, 6.0), None);
    }

    #[test]
    fn time_map_restores_original_times() {
        let samples = vec![0.0f32; 16_000 * 10];
        let ranges = [(16_000, 32_000), (80_000, 96_000)];
        let (joined, map) = TimeMap::join(&samples, &ranges);
        assert_eq!(joined.len(), 32_000);
        assert_eq!(map.span(0.0, 0.5), (1.0, 1.5));
        assert_eq!(map.span(1.25, 2.0), (5.25, 6.0));
        // An end just past the joint stays before the dropped silence…
        assert_eq!(map.span(0.5, 1.2), (1.5, 2.0));
        // …but a segment that really runs on into the next piece keeps its end.
        assert_eq!(map.span(0.5, 1.875), (1.5, 5.875));
    }
}
