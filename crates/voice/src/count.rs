//! How many voices a set of embeddings holds: the eigengap of a pruned
//! similarity graph (spectral clustering's estimate, as 3D-Speaker uses
//! with CAM++).
//!
//! Why not a threshold on a distance: with CAM++, windows of one turn are
//! much more alike than windows of the same person in different turns, and
//! a telephone band pulls two people together, so every fixed cut measured
//! (tree heights, within-minus-across similarity, centroid cosine) either
//! split a single reader or merged the two people of a real call. The
//! graph keeps, for each window, only its few most similar windows; one
//! person's windows then form one connected, densely linked group however
//! much turns differ, and different people are linked weakly. The graph
//! Laplacian has one near-zero eigenvalue per such group, then a jump: the
//! count is where the first eigenvalues jump most.
//!
//! Calibrated on the read-speech fixtures (one, two and three readers;
//! seven one-voice recordings) and two 30 s AMI meeting clips: every
//! one-voice recording counts 1; the meetings are undercounted by one (a
//! participant with a few seconds of speech stays merged), never
//! overcounted. Held out: a real two-person phone call (2) and a
//! four-person AMI clip (4).

use nalgebra::DMatrix;

/// Neighbours each window keeps in the graph (itself aside), at least.
pub const NEIGHBOURS: usize = 6;
/// ... or this share of all windows, for long recordings, where a few
/// neighbours would leave one person's turns unlinked.
pub const NEIGHBOUR_SHARE: f64 = 0.022;
/// The count is looked for among at most this share of the windows: a
/// "speaker" needs several windows, and the last eigenvalues of a small
/// graph jump for no reason.
pub const COUNT_SHARE: f64 = 0.25;
/// Windows the graph is built from at most (evenly spaced over the
/// recording): the eigendecomposition is cubic in them.
pub const MAX_WINDOWS: usize = 400;

/// The estimated number of voices (1 for fewer than four embeddings), and
/// the smallest eigenvalues (logs, calibration).
pub fn speakers(embeddings: &[Vec<f32>], max: usize) -> (usize, Vec<f32>) {
    let step = embeddings.len().div_ceil(MAX_WINDOWS).max(1);
    let units: Vec<Vec<f32>> = embeddings
        .iter()
        .step_by(step)
        .map(|e| {
            let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            e.iter().map(|v| v / norm).collect()
        })
        .collect();
    let n = units.len();
    if n < 4 {
        return (1, Vec::new());
    }
    let sim = DMatrix::<f64>::from_fn(n, n, |i, j| {
        units[i]
            .iter()
            .zip(&units[j])
            .map(|(a, b)| f64::from(a * b))
            .sum()
    });
    // Each row keeps its `keep` most similar others (and itself).
    let keep = NEIGHBOURS
        .max((NEIGHBOUR_SHARE * n as f64).round() as usize)
        .min(n - 1);
    let mut pruned = DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| sim[(i, *b)].total_cmp(&sim[(i, *a)]));
        for j in order.into_iter().take(keep + 1) {
            pruned[(i, j)] = sim[(i, j)].max(0.0);
        }
    }
    let mut graph = (&pruned + pruned.transpose()) * 0.5;
    graph.fill_diagonal(0.0);
    let degrees: Vec<f64> = graph.row_iter().map(|r| r.sum()).collect();
    let laplacian = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            degrees[i] - graph[(i, j)]
        } else {
            -graph[(i, j)]
        }
    });
    let mut eigen: Vec<f64> = laplacian.symmetric_eigenvalues().iter().copied().collect();
    eigen.sort_by(f64::total_cmp);
    let most = max.min((COUNT_SHARE * n as f64) as usize).min(n - 1).max(1);
    let count = (0..most)
        .max_by(|a, b| {
            let gap = |k: usize| eigen[k + 1] - eigen[k];
            gap(*a).total_cmp(&gap(*b)).then(b.cmp(a))
        })
        .map_or(1, |k| k + 1);
    (
        count,
        eigen.iter().take(most + 1).map(|v| *v as f32).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `per` points around each of `centres` with deterministic noise.
    fn blobs(centres: &[Vec<f32>], per: usize, noise: f32) -> Vec<Vec<f32>> {
        let mut seed = 11u32;
        let mut out = Vec::new();
        for _ in 0..per {
            for c in centres {
                out.push(
                    c.iter()
                        .map(|x| {
                            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                            x + ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * noise
                        })
                        .collect(),
                );
            }
        }
        out
    }

    fn axis(i: usize) -> Vec<f32> {
        (0..8).map(|j| if j == i { 1.0 } else { 0.1 }).collect()
    }

    #[test]
    fn one_two_and_three_voices_are_counted() {
        for k in 1..=3 {
            let centres: Vec<Vec<f32>> = (0..k).map(axis).collect();
            let (count, eigen) = speakers(&blobs(&centres, 16, 0.6), 10);
            assert_eq!(count, k, "{eigen:?}");
        }
    }

    #[test]
    fn too_few_windows_are_one_voice_and_the_cap_holds() {
        assert_eq!(speakers(&blobs(&[axis(0), axis(1)], 1, 0.1), 10).0, 1);
        let centres: Vec<Vec<f32>> = (0..4).map(axis).collect();
        assert!(speakers(&blobs(&centres, 16, 0.6), 2).0 <= 2);
    }
}
