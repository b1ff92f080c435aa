//! Diarization error rate, as the NIST scorer (md-eval) and pyannote count it,
//! for checking `minutes`' speaker labels against the reference RTTM files
//! that scripts/make-fixtures.sh writes.
//!
//! Time is cut into slices at every turn boundary. In each slice the scorer
//! counts the reference speakers and the hypothesis speakers that are active,
//! so overlapping speech is scored per speaker: a slice with two reference
//! speakers and one hypothesis speaker has one speaker's worth of missed
//! speech. Slices within `collar` seconds of a reference turn's start or end
//! are not scored (nobody agrees on a boundary to the millisecond). Labels
//! are not compared by name: each reference speaker is paired with at most
//! one hypothesis speaker, the pairing that maximises the time they speak
//! together (the Hungarian method, so many hypothesis labels stay cheap), and
//! a paired hypothesis speaker talking over their reference speaker counts
//! as correct.
//!
//! Exact on the slice boundaries, no frames: a test can assert equalities.

use std::collections::BTreeSet;
use std::path::Path;

/// One speaker talking from `start` to `end` (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub start: f64,
    pub end: f64,
    pub speaker: String,
}

impl Turn {
    pub fn new(start: f64, end: f64, speaker: &str) -> Turn {
        Turn {
            start,
            end,
            speaker: speaker.to_string(),
        }
    }
}

/// Scored time, in speaker-seconds (an overlap of two speakers for one second
/// is two seconds of reference speech).
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Reference speech with too few hypothesis speakers.
    pub missed: f64,
    /// Hypothesis speech beyond the number of reference speakers.
    pub false_alarm: f64,
    /// Speech given to the wrong speaker, after the best pairing of labels.
    pub confusion: f64,
    /// All scored reference speech: the denominator.
    pub reference_speech: f64,
    /// The pairing used: (reference label, hypothesis label), sorted by
    /// reference label; reference speakers left unpaired are absent.
    pub mapping: Vec<(String, String)>,
}

impl Score {
    /// (missed + false alarm + confusion) / reference speech. With no scored
    /// reference speech: 0 when nothing was said either, else infinite.
    pub fn error(&self) -> f64 {
        let errors = self.missed + self.false_alarm + self.confusion;
        if self.reference_speech > 0.0 {
            errors / self.reference_speech
        } else if errors > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }

    /// The hypothesis label paired with reference speaker `reference`.
    pub fn label_of(&self, reference: &str) -> Option<&str> {
        self.mapping
            .iter()
            .find(|(r, _)| r == reference)
            .map(|(_, h)| h.as_str())
    }
}

/// The `SPEAKER` lines of an RTTM file (other line types are skipped).
pub fn read_rttm(path: impl AsRef<Path>) -> Vec<Turn> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read RTTM {}: {e}", path.display()));
    parse_rttm(&text)
}

/// The `SPEAKER` lines of RTTM text, e.g. `minutes transcribe -f rttm` output:
/// `SPEAKER <file> <channel> <start> <duration> <NA> <NA> <label> <NA> <NA>`.
pub fn parse_rttm(text: &str) -> Vec<Turn> {
    text.lines()
        .filter(|l| l.split_whitespace().next() == Some("SPEAKER"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 8, "RTTM line has too few fields: {l:?}");
            let num = |s: &str| -> f64 {
                s.parse()
                    .unwrap_or_else(|_| panic!("RTTM field {s:?} is not a number in {l:?}"))
            };
            let (start, dur) = (num(f[3]), num(f[4]));
            assert!(
                start >= 0.0 && dur >= 0.0,
                "negative time in RTTM line {l:?}"
            );
            Turn::new(start, start + dur, f[7])
        })
        .collect()
}

/// Diarization error of `hypothesis` against `reference`, not scoring
/// `collar` seconds either side of each reference turn boundary.
pub fn der(reference: &[Turn], hypothesis: &[Turn], collar: f64) -> Score {
    assert!(collar >= 0.0, "negative collar");
    let labels = |turns: &[Turn]| -> Vec<String> {
        let set: BTreeSet<&str> = turns.iter().map(|t| t.speaker.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    };
    let (refs, hyps) = (labels(reference), labels(hypothesis));
    let boundaries: Vec<f64> = reference.iter().flat_map(|t| [t.start, t.end]).collect();

    let mut cuts: Vec<f64> = reference
        .iter()
        .chain(hypothesis)
        .flat_map(|t| [t.start, t.end])
        .chain(
            boundaries
                .iter()
                .flat_map(|b| [(b - collar).max(0.0), b + collar]),
        )
        .collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();

    // Who speaks in each scored slice, as indexes into refs / hyps.
    let active = |turns: &[Turn], names: &[String], t: f64| -> Vec<usize> {
        let set: BTreeSet<usize> = turns
            .iter()
            .filter(|x| x.start <= t && t < x.end)
            .map(|x| names.iter().position(|n| *n == x.speaker).unwrap())
            .collect();
        set.into_iter().collect()
    };
    let mut slices: Vec<(f64, Vec<usize>, Vec<usize>)> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mid = (a + b) / 2.0;
        if b <= a || boundaries.iter().any(|x| (mid - x).abs() < collar) {
            continue;
        }
        slices.push((
            b - a,
            active(reference, &refs, mid),
            active(hypothesis, &hyps, mid),
        ));
    }

    // Time each (reference, hypothesis) pair speaks together, then the pairing
    // that maximises the total.
    let mut together = vec![vec![0.0; hyps.len()]; refs.len()];
    for (dur, r, h) in &slices {
        for &i in r {
            for &j in h {
                together[i][j] += dur;
            }
        }
    }
    let pairs = best_pairing(&together);

    let mut score = Score {
        missed: 0.0,
        false_alarm: 0.0,
        confusion: 0.0,
        reference_speech: 0.0,
        mapping: pairs
            .iter()
            .map(|&(i, j)| (refs[i].clone(), hyps[j].clone()))
            .collect(),
    };
    for (dur, r, h) in &slices {
        let (nr, nh) = (r.len() as f64, h.len() as f64);
        let correct = pairs
            .iter()
            .filter(|(i, j)| r.contains(i) && h.contains(j))
            .count() as f64;
        score.reference_speech += dur * nr;
        score.missed += dur * (nr - nh).max(0.0);
        score.false_alarm += dur * (nh - nr).max(0.0);
        score.confusion += dur * (nr.min(nh) - correct);
    }
    score
}

/// The one-to-one pairing of rows with columns that maximises the sum of
/// `gain` (Hungarian method on the square matrix padded with zeros); pairs
/// with no time together are dropped.
fn best_pairing(gain: &[Vec<f64>]) -> Vec<(usize, usize)> {
    let rows = gain.len();
    let cols = gain.first().map_or(0, Vec::len);
    let n = rows.max(cols);
    if n == 0 {
        return Vec::new();
    }
    let top = gain.iter().flatten().copied().fold(0.0, f64::max);
    let cost = |i: usize, j: usize| -> f64 {
        top - if i < rows && j < cols {
            gain[i][j]
        } else {
            0.0
        }
    };
    // Potentials u, v and the column matching p, 1-based with 0 as the root.
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let (mut p, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = (1..=n)
        .map(|j| (p[j] - 1, j - 1))
        .filter(|&(i, j)| i < rows && j < cols && gain[i][j] > 0.0)
        .collect();
    pairs.sort();
    pairs
}
