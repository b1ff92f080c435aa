//! Slaney-style mel filterbanks (`librosa.filters.mel`): the one Whisper was
//! trained with (`n_mels=80|128`), which whisper.cpp expects inside every
//! model file, and the 40-band one of the speaker encoder, whose input is a
//! *power* (not log) mel spectrogram of 25 ms frames every 10 ms
//! (`librosa.feature.melspectrogram(sr=16000, n_fft=400, hop_length=160,
//! n_mels=40)`).

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Hz to mel on the Slaney scale: linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// Row-major `n_mels × (n_fft/2 + 1)` triangular filters with Slaney area
/// normalisation, computed in f64 and stored as f32 like librosa does.
pub fn filterbank(sample_rate: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_freqs = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_freqs)
        .map(|k| k as f64 * sample_rate / n_fft as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut weights = vec![0f32; n_mels * n_freqs];
    for m in 0..n_mels {
        let (left, center, right) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
        let enorm = 2.0 / (right - left);
        for (k, &f) in fft_freqs.iter().enumerate() {
            let lower = (f - left) / (center - left);
            let upper = (right - f) / (right - center);
            let w = lower.min(upper).max(0.0);
            weights[m * n_freqs + k] = (w * enorm) as f32;
        }
    }
    weights
}

/// Samples per frame step (10 ms at 16 kHz).
pub const HOP: usize = 160;
/// FFT and window length (25 ms at 16 kHz).
pub const N_FFT: usize = 400;
/// Bands of the speaker encoder's spectrogram.
pub const BANDS: usize = 40;

/// The speaker encoder's power mel spectrogram.
pub struct PowerMel {
    filters: Vec<f32>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl Default for PowerMel {
    fn default() -> Self {
        Self::new()
    }
}

impl PowerMel {
    pub fn new() -> PowerMel {
        // Periodic Hann window, as `scipy.signal.get_window('hann', 400)`.
        let window = (0..N_FFT)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / N_FFT as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        PowerMel {
            filters: filterbank(16_000.0, N_FFT, BANDS),
            window,
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    /// `frames × BANDS` values, row-major, for frames centred on samples
    /// `0, HOP, 2·HOP, …` of `audio` (librosa's `center=True`; the audio is
    /// mirrored at its ends).
    pub fn frames(&self, audio: &[f32], frames: usize) -> Vec<f32> {
        let n_freqs = N_FFT / 2 + 1;
        let mut out = vec![0f32; frames * BANDS];
        if audio.is_empty() {
            return out;
        }
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0f32; n_freqs];
        let len = audio.len() as isize;
        for (f, row) in out.chunks_mut(BANDS).enumerate() {
            let first = (f * HOP) as isize - (N_FFT / 2) as isize;
            for (i, x) in input.iter_mut().enumerate() {
                *x = audio[reflect(first + i as isize, len)] * self.window[i];
            }
            if self
                .fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .is_err()
            {
                continue;
            }
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (band, value) in row.iter_mut().enumerate() {
                let weights = &self.filters[band * n_freqs..(band + 1) * n_freqs];
                *value = weights.iter().zip(&power).map(|(w, p)| w * p).sum();
            }
        }
        out
    }
}

/// Index `i` of a signal of length `len` mirrored at both ends (numpy's
/// `reflect` padding), clamped for signals shorter than the mirror.
fn reflect(i: isize, len: isize) -> usize {
    if len <= 1 {
        return 0;
    }
    let period = 2 * (len - 1);
    let mut j = i.rem_euclid(period);
    if j >= len {
        j = period - j;
    }
    j as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_is_linear_then_log() {
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-9);
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-9);
        for hz in [0.0, 250.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }

    #[test]
    fn whisper_filterbank_shape_and_normalisation() {
        let fb = filterbank(16_000.0, 400, 80);
        assert_eq!(fb.len(), 80 * 201);
        // Each triangle's area (sum of weights × bin width) is ~1 under Slaney norm.
        let bin_hz = 16_000.0 / 400.0;
        for m in 5..80 {
            let area: f32 = fb[m * 201..(m + 1) * 201].iter().sum::<f32>() * bin_hz;
            assert!((area - 1.0).abs() < 0.15, "filter {m} area {area}");
        }
        // The first filter peaks on bin 1 (40 Hz) and nothing is negative.
        assert!(fb[1] > fb[0] && fb[1] > fb[2]);
        assert!(fb.iter().all(|w| *w >= 0.0));
        // Known value from librosa: filters[0][1] = 0.02486259
        assert!((fb[1] - 0.024_862_59).abs() < 1e-6, "{}", fb[1]);
    }

    #[test]
    fn power_mel_of_a_tone_peaks_in_its_band() {
        let mel = PowerMel::new();
        let audio: Vec<f32> = (0..16_000)
            .map(|i| (std::f32::consts::TAU * 1000.0 * i as f32 / 16_000.0).sin() * 0.5)
            .collect();
        let frames = mel.frames(&audio, 100);
        let row = &frames[50 * BANDS..51 * BANDS];
        let peak = (0..BANDS)
            .max_by(|a, b| row[*a].total_cmp(&row[*b]))
            .unwrap();
        // 1 kHz is mel 15 on the Slaney scale; 40 bands span 0..~42.4 mel.
        let centre = mel_to_hz(hz_to_mel(8000.0) * (peak + 1) as f64 / 41.0);
        assert!(
            (800.0..1250.0).contains(&centre),
            "peak band {peak} at {centre} Hz"
        );
        // Power, not log: half the amplitude is a quarter of the value.
        let quiet: Vec<f32> = audio.iter().map(|s| s * 0.5).collect();
        let q = mel.frames(&quiet, 100);
        let ratio = q[50 * BANDS + peak] / row[peak];
        assert!((ratio - 0.25).abs() < 1e-3, "{ratio}");
    }

    #[test]
    fn reflection_mirrors_without_repeating_the_edge() {
        assert_eq!(reflect(-1, 5), 1);
        assert_eq!(reflect(-2, 5), 2);
        assert_eq!(reflect(5, 5), 3);
        assert_eq!(reflect(2, 5), 2);
        assert_eq!(reflect(7, 1), 0);
    }
}
