//! Slaney-style mel filterbanks (`librosa.filters.mel`): the one Whisper was
//! trained with (`n_mels=80|128`), which whisper.cpp expects inside every
//! model file (`minutes models import` writes it there).

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
}
