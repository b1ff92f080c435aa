//! Streaming mono resampler to whisper's 16 kHz.
//!
//! Wraps rubato's FFT resampler (a band-limited, anti-aliased converter; a
//! naive linear interpolator measurably hurts recognition). Input arrives in
//! blocks of any size; output leaves as soon as a full resampler chunk is in,
//! so memory stays constant whatever the length of the recording. The
//! resampler's own delay is trimmed from the start and the tail is flushed at
//! the end, so output length is exactly `ceil(input * 16000 / rate)`.

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _, WindowFunction};

use crate::error::{Error, Result};

/// Input frames per resampler call, at least this many…
const MIN_CHUNK: usize = 2048;

/// …and a power-of-two multiple of the rates' smallest whole ratio, so the
/// FFT sizes factor into small primes (48 kHz → 3·1024; 44.1 kHz → 441·8).
/// An awkward size (such as 2·3·683) makes the FFT several times slower.
fn chunk_size(rate_in: u32, rate_out: u32) -> usize {
    let (mut a, mut b) = (rate_in as usize, rate_out as usize);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let min_in = rate_in as usize / a;
    if min_in > 8 * MIN_CHUNK {
        return MIN_CHUNK;
    }
    let mut chunk = min_in;
    while chunk < MIN_CHUNK {
        chunk *= 2;
    }
    chunk
}

pub struct Resampler {
    inner: Option<Fft<f32>>,
    pending: Vec<f32>,
    out_buf: Vec<f32>,
    ratio: f64,
    /// Output frames still to drop: the resampler's delay.
    to_skip: usize,
    frames_in: u64,
    frames_out: u64,
}

impl Resampler {
    /// A resampler from `rate_in` to `rate_out`; a pass-through when they match.
    pub fn new(rate_in: u32, rate_out: u32) -> Result<Self> {
        let ratio = f64::from(rate_out) / f64::from(rate_in);
        let inner = if rate_in == rate_out {
            None
        } else {
            // One FFT block per chunk (no sub-chunks), so the FFT has the size chosen above.
            let fft = Fft::<f32>::new_custom(
                rate_in as usize,
                rate_out as usize,
                chunk_size(rate_in, rate_out),
                1,
                1,
                WindowFunction::BlackmanHarris2,
                FixedSync::Input,
            )
            .map_err(|e| Error::internal(format!("cannot resample {rate_in} Hz: {e}")))?;
            Some(fft)
        };
        let (out_max, to_skip) = match &inner {
            Some(r) => (r.output_frames_max(), r.output_delay()),
            None => (0, 0),
        };
        Ok(Resampler {
            inner,
            pending: Vec::new(),
            out_buf: vec![0.0; out_max],
            ratio,
            to_skip,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Feeds mono samples; appends whatever output is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.frames_in += input.len() as u64;
        let Some(fft) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.frames_out += input.len() as u64;
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let mut start = 0;
        while self.pending.len() - start >= fft.input_frames_next() {
            let need = fft.input_frames_next();
            let chunk = &self.pending[start..start + need];
            let produced = run(fft, chunk, None, &mut self.out_buf)?;
            start += need;
            emit(
                &self.out_buf[..produced],
                &mut self.to_skip,
                &mut self.frames_out,
                None,
                out,
            );
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Flushes the tail: the last partial chunk and the resampler's delay line.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let Some(fft) = self.inner.as_mut() else {
            return Ok(());
        };
        let expected = (self.frames_in as f64 * self.ratio).ceil() as u64;
        let mut zeros = vec![0.0f32; fft.input_frames_max()];
        let mut partial = std::mem::take(&mut self.pending);
        let mut guard = 0;
        while self.frames_out < expected && guard < 64 {
            guard += 1;
            let need = fft.input_frames_next();
            let valid = partial.len().min(need);
            zeros[..valid].copy_from_slice(&partial[..valid]);
            zeros[valid..need].iter_mut().for_each(|s| *s = 0.0);
            partial.drain(..valid);
            let produced = run(fft, &zeros[..need], Some(valid), &mut self.out_buf)?;
            let limit = Some(expected);
            emit(
                &self.out_buf[..produced],
                &mut self.to_skip,
                &mut self.frames_out,
                limit,
                out,
            );
        }
        Ok(())
    }
}

fn run(fft: &mut Fft<f32>, chunk: &[f32], valid: Option<usize>, out: &mut [f32]) -> Result<usize> {
    let frames_out = out.len();
    let input = InterleavedSlice::new(chunk, 1, chunk.len())
        .map_err(|e| Error::internal(format!("resampler input: {e}")))?;
    let mut output = InterleavedSlice::new_mut(out, 1, frames_out)
        .map_err(|e| Error::internal(format!("resampler output: {e}")))?;
    let indexing = valid.map(|n| Indexing {
        input_offset: 0,
        output_offset: 0,
        partial_len: Some(n),
        active_channels_mask: None,
    });
    let (_, produced) = fft
        .process_into_buffer(&input, &mut output, indexing.as_ref())
        .map_err(|e| Error::internal(format!("resampler: {e}")))?;
    Ok(produced)
}

fn emit(
    produced: &[f32],
    skip: &mut usize,
    count: &mut u64,
    limit: Option<u64>,
    out: &mut Vec<f32>,
) {
    let drop = (*skip).min(produced.len());
    *skip -= drop;
    let mut rest = &produced[drop..];
    if let Some(limit) = limit {
        let room = limit.saturating_sub(*count) as usize;
        rest = &rest[..rest.len().min(room)];
    }
    *count += rest.len() as u64;
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    fn resample_in_blocks(input: &[f32], rate: u32, block: usize) -> Vec<f32> {
        let mut r = Resampler::new(rate, 16_000).unwrap();
        let mut out = Vec::new();
        for b in input.chunks(block) {
            r.push(b, &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn output_length_is_exact_for_any_block_size() {
        let input = sine(44_100, 440.0, 1.37);
        let expected = (input.len() as f64 * 16_000.0 / 44_100.0).ceil() as usize;
        for block in [1, 100, 1024, 4096, 70_000] {
            assert_eq!(
                resample_in_blocks(&input, 44_100, block).len(),
                expected,
                "block {block}"
            );
        }
    }

    #[test]
    fn tone_keeps_its_phase_after_delay_trim() {
        // A 440 Hz tone resampled from 48 kHz must match the same tone made at 16 kHz:
        // this fails if the resampler's delay is not trimmed or aliasing is bad.
        let out = resample_in_blocks(&sine(48_000, 440.0, 1.0), 48_000, 777);
        let reference = sine(16_000, 440.0, 1.0);
        let mid = 2_000..14_000;
        let err: f32 = mid
            .clone()
            .map(|i| (out[i] - reference[i]).powi(2))
            .sum::<f32>()
            / mid.len() as f32;
        assert!(err < 1e-4, "mean squared error {err}");
    }

    #[test]
    fn removes_content_above_nyquist() {
        // 12 kHz cannot exist at 16 kHz; it must be filtered, not folded to 4 kHz.
        let out = resample_in_blocks(&sine(48_000, 12_000.0, 1.0), 48_000, 4096);
        let rms = (out[2000..14000].iter().map(|s| s * s).sum::<f32>() / 12000.0).sqrt();
        assert!(rms < 0.01, "aliased energy {rms}");
    }

    #[test]
    fn chunk_sizes_factor_nicely() {
        assert_eq!(chunk_size(48_000, 16_000), 3 * 1024);
        assert_eq!(chunk_size(44_100, 16_000), 441 * 8);
        assert_eq!(chunk_size(8_000, 16_000), 2048);
        assert_eq!(chunk_size(96_001, 16_000), MIN_CHUNK);
    }

    #[test]
    fn same_rate_passes_through() {
        let input = sine(16_000, 300.0, 0.5);
        assert_eq!(resample_in_blocks(&input, 16_000, 333), input);
    }
}
