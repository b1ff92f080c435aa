//! How loud each channel is, 100 ms at a time, measured while decoding,
//! before channels are mixed down for the recogniser. A call or a
//! two-microphone recording carries each talker on a channel of its own;
//! these levels are all speaker labelling by channel needs, and they cost
//! a few bytes a second instead of keeping the audio.

/// Mean-square level per channel for consecutive frames of `frame_seconds`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelLevels {
    pub frame_seconds: f64,
    pub channels: usize,
    /// `frames[i][c]`: channel `c` in frame `i`.
    pub frames: Vec<Vec<f32>>,
}

impl ChannelLevels {
    /// Summed level per channel over `[start, end)` seconds.
    pub fn between(&self, start: f64, end: f64) -> Vec<f64> {
        let mut sum = vec![0.0f64; self.channels];
        if self.frame_seconds <= 0.0 {
            return sum;
        }
        let first = (start / self.frame_seconds).floor().max(0.0) as usize;
        let last = ((end / self.frame_seconds).ceil().max(0.0) as usize).min(self.frames.len());
        for frame in self.frames.get(first..last).unwrap_or(&[]) {
            for (s, v) in sum.iter_mut().zip(frame) {
                *s += f64::from(*v);
            }
        }
        sum
    }
}

/// Accumulates [`ChannelLevels`] from interleaved samples at the native rate.
#[derive(Debug)]
pub struct Meter {
    frame_len: usize,
    acc: Vec<f64>,
    filled: usize,
    levels: ChannelLevels,
}

/// One level per 100 ms.
const FRAME_SECONDS: f64 = 0.1;

impl Meter {
    pub fn new(rate: u32, channels: usize) -> Meter {
        Meter {
            frame_len: ((f64::from(rate) * FRAME_SECONDS) as usize).max(1),
            acc: vec![0.0; channels],
            filled: 0,
            levels: ChannelLevels {
                frame_seconds: FRAME_SECONDS,
                channels,
                frames: Vec::new(),
            },
        }
    }

    pub fn channels(&self) -> usize {
        self.acc.len()
    }

    pub fn push(&mut self, interleaved: &[f32]) {
        let channels = self.acc.len();
        if channels == 0 {
            return;
        }
        for frame in interleaved.chunks_exact(channels) {
            for (a, v) in self.acc.iter_mut().zip(frame) {
                *a += f64::from(*v) * f64::from(*v);
            }
            self.filled += 1;
            if self.filled == self.frame_len {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        let n = self.filled.max(1) as f64;
        self.levels
            .frames
            .push(self.acc.iter().map(|a| (*a / n) as f32).collect());
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        self.filled = 0;
    }

    /// The levels so far, the partial last frame included.
    pub fn levels(&self) -> ChannelLevels {
        let mut levels = self.levels.clone();
        if self.filled > 0 {
            let n = self.filled as f64;
            levels
                .frames
                .push(self.acc.iter().map(|a| (*a / n) as f32).collect());
        }
        levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_loud_channel() {
        let mut m = Meter::new(1000, 2);
        // 0.1 s left only, then 0.1 s right only.
        let mut samples = Vec::new();
        for _ in 0..100 {
            samples.extend_from_slice(&[0.5, 0.0]);
        }
        for _ in 0..100 {
            samples.extend_from_slice(&[0.0, 0.5]);
        }
        m.push(&samples);
        let l = m.levels();
        assert_eq!(l.frames.len(), 2);
        assert_eq!(l.between(0.0, 0.1), vec![0.25f32 as f64, 0.0]);
        assert_eq!(l.between(0.1, 0.2), vec![0.0, 0.25f32 as f64]);
        assert_eq!(l.between(0.0, 5.0).len(), 2);
    }
}
