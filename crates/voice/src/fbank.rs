//! Kaldi-style log mel filterbank features (`compute-fbank-feats`, as
//! torchaudio's `compliance.kaldi.fbank` computes them with its defaults and
//! 80 bins), the input CAM++ was trained on.
//!
//! Kaldi's recipe differs from librosa's ([`crate::mel`]) in every step, and
//! an embedding model only works on the features it was trained with:
//! 25 ms frames every 10 ms with no padding at the edges (a frame that would
//! run past the end is dropped), each frame's mean removed, pre-emphasis
//! 0.97, a "povey" window (a Hann window raised to 0.85), a 512-point FFT,
//! triangular filters equally spaced on the mel scale `1127·ln(1 + f/700)`
//! from 20 Hz to Nyquist (unnormalised, the Nyquist bin never weighted), and
//! the natural log floored at `f32::EPSILON`. CAM++ then subtracts each
//! bin's mean over the segment (cepstral mean normalisation), which also
//! makes the features independent of the recording's level.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Mel bins.
pub const BINS: usize = 80;
/// Samples per frame (25 ms at 16 kHz).
pub const FRAME: usize = 400;
/// Samples between frame starts (10 ms).
pub const SHIFT: usize = 160;
const FFT: usize = 512;
const LOW_HZ: f64 = 20.0;
const SAMPLE_RATE: f64 = 16_000.0;
const PREEMPHASIS: f32 = 0.97;

fn mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// Frames Kaldi takes from `samples` samples (edge frames dropped).
pub fn frames(samples: usize) -> usize {
    if samples < FRAME {
        0
    } else {
        1 + (samples - FRAME) / SHIFT
    }
}

/// The feature extractor; build once, use for every window.
pub struct Fbank {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Per bin: the first FFT bin it weights and the weights from there.
    filters: Vec<(usize, Vec<f32>)>,
}

impl Default for Fbank {
    fn default() -> Self {
        Self::new()
    }
}

impl Fbank {
    pub fn new() -> Fbank {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT);
        let window = (0..FRAME)
            .map(|n| {
                let hann =
                    0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / (FRAME - 1) as f64).cos();
                hann.powf(0.85) as f32
            })
            .collect();
        let (lo, hi) = (mel(LOW_HZ), mel(SAMPLE_RATE / 2.0));
        let delta = (hi - lo) / (BINS + 1) as f64;
        let width = SAMPLE_RATE / FFT as f64;
        let filters = (0..BINS)
            .map(|m| {
                let left = lo + m as f64 * delta;
                let (center, right) = (left + delta, left + 2.0 * delta);
                // FFT bins 0..FFT/2; the Nyquist bin has weight 0 in Kaldi.
                let weights: Vec<(usize, f32)> = (0..FFT / 2)
                    .filter_map(|k| {
                        let f = mel(k as f64 * width);
                        (f > left && f < right).then(|| {
                            let w = if f <= center {
                                (f - left) / (center - left)
                            } else {
                                (right - f) / (right - center)
                            };
                            (k, w as f32)
                        })
                    })
                    .collect();
                let first = weights.first().map_or(0, |(k, _)| *k);
                (first, weights.into_iter().map(|(_, w)| w).collect())
            })
            .collect();
        Fbank {
            fft,
            window,
            filters,
        }
    }

    /// Log mel features of `samples` (16 kHz, full scale ±1), mean-normalised
    /// over the segment: `frames(samples.len())` rows of [`BINS`], row-major.
    pub fn features(&self, samples: &[f32]) -> Vec<f32> {
        let mut out = self.log_mel(samples);
        let n = out.len() / BINS;
        for b in 0..BINS {
            let mean = (0..n).map(|t| out[t * BINS + b]).sum::<f32>() / n.max(1) as f32;
            (0..n).for_each(|t| out[t * BINS + b] -= mean);
        }
        out
    }

    /// The log mel features before mean normalisation.
    fn log_mel(&self, samples: &[f32]) -> Vec<f32> {
        let n = frames(samples.len());
        let mut out = vec![0f32; n * BINS];
        let mut frame = vec![0f32; FFT];
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0f32; FFT / 2];
        for t in 0..n {
            let src = &samples[t * SHIFT..t * SHIFT + FRAME];
            // Kaldi reads 16-bit samples as integers.
            let mean = src.iter().sum::<f32>() * 32768.0 / FRAME as f32;
            let x: Vec<f32> = src.iter().map(|s| s * 32768.0 - mean).collect();
            frame[0] = (x[0] - PREEMPHASIS * x[0]) * self.window[0];
            for i in 1..FRAME {
                frame[i] = (x[i] - PREEMPHASIS * x[i - 1]) * self.window[i];
            }
            frame[FRAME..].iter_mut().for_each(|v| *v = 0.0);
            if self
                .fft
                .process_with_scratch(&mut frame, &mut spectrum, &mut scratch)
                .is_err()
            {
                continue;
            }
            power
                .iter_mut()
                .zip(&spectrum)
                .for_each(|(p, c)| *p = c.norm_sqr());
            let row = &mut out[t * BINS..(t + 1) * BINS];
            for (v, (first, weights)) in row.iter_mut().zip(&self.filters) {
                let e: f32 = weights
                    .iter()
                    .zip(&power[*first..])
                    .map(|(w, p)| w * p)
                    .sum();
                *v = e.max(f32::EPSILON).ln();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_drop_the_edges() {
        assert_eq!(frames(399), 0);
        assert_eq!(frames(400), 1);
        assert_eq!(frames(24_000), 148);
    }

    #[test]
    fn a_tone_peaks_in_its_bin_and_level_does_not_matter() {
        // 1 kHz for the first half second, 3 kHz for the second.
        let tone = |gain: f32| -> Vec<f32> {
            (0..16_000)
                .map(|i| {
                    let hz = if i < 8000 { 1000.0 } else { 3000.0 };
                    gain * (2.0 * std::f32::consts::PI * hz * i as f32 / 16_000.0).sin()
                })
                .collect()
        };
        let f = Fbank::new();
        let loud = f.features(&tone(0.5));
        let quiet = f.features(&tone(0.05));
        assert_eq!(loud.len(), frames(16_000) * BINS);
        let raw = f.log_mel(&tone(0.5));
        let row = &raw[20 * BINS..21 * BINS];
        let peak = (0..BINS)
            .max_by(|a, b| row[*a].total_cmp(&row[*b]))
            .unwrap_or(0);
        // 1 kHz is mel 1000 → bin (1000 - mel(20)) / delta - 1 ≈ 30.
        let delta = (mel(8000.0) - mel(20.0)) / 81.0;
        let expect = ((mel(1000.0) - mel(20.0)) / delta - 1.0).round() as usize;
        assert!(
            peak.abs_diff(expect) <= 1,
            "peak in bin {peak}, expected {expect}"
        );
        // Level drops out, except in bins so far below the peak that
        // rounding in the FFT decides them.
        let top = raw.iter().copied().fold(f32::MIN, f32::max);
        for ((a, b), r) in loud.iter().zip(&quiet).zip(&raw) {
            if *r > top - 12.0 {
                assert!((a - b).abs() < 1e-2, "{a} vs {b}");
            }
        }
    }
}
