//! Grouping embeddings by voice.
//!
//! Embeddings are mean-centred before the tree is built: what all windows
//! of a recording share (the channel, the room, the microphone) is
//! removed, and what tells voices apart is left.
//!
//! Then average linkage (each merge joins the two groups whose members are,
//! on average, closest) builds the tree once, and it is cut at a requested
//! number of groups, or at the number of voices [`crate::count`] finds
//! ([`Stop::Auto`]), after which groups holding too little of the speech
//! to be a participant (a cough, a burst of crosstalk) are folded into the
//! nearest real one.

use kodama::{Dendrogram, Method, linkage};

/// Where to cut the tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// As many groups (up to `max`) as [`crate::count::speakers`] finds voices.
    Auto { max: usize },
    /// Exactly this many groups (fewer when there are fewer items).
    Count(usize),
}

/// Groups whose mean raw embeddings are at least this alike (cosine) are
/// one voice when the count is found automatically (as 3D-Speaker merges
/// CAM++ clusters). Measured: a single reader's recording cut in two gives
/// halves 0.81–0.94 alike; two different people at most 0.55.
pub const MERGE_COS: f32 = 0.8;

/// A group must hold at least this share of the weight to stand alone
/// when the count is found automatically.
pub const MIN_SHARE: f64 = 0.05;

/// The outcome of [`cluster`].
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    /// Group id of each embedding, `0..k` in order of first appearance.
    pub labels: Vec<usize>,
    /// The graph eigenvalues the count was read from (logs, calibration).
    pub eigenvalues: Vec<f32>,
    /// Heights (centred cosine distance) of the last merges of the tree.
    pub heights: Vec<f32>,
}

/// Groups `embeddings`, each weighted (seconds of speech) by `weights`.
pub fn cluster(embeddings: &[Vec<f32>], weights: &[f64], stop: Stop) -> Clusters {
    let n = embeddings.len();
    if n < 2 {
        return Clusters {
            labels: vec![0; n],
            ..Clusters::default()
        };
    }
    let centred = centre(embeddings, weights);
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            condensed.push(1.0 - dot(&centred[i], &centred[j]));
        }
    }
    let dendrogram = linkage(&mut condensed, n, Method::Average);
    let mut eigenvalues = Vec::new();
    let steps = dendrogram.steps();
    let heights = steps[steps.len().saturating_sub(6)..]
        .iter()
        .map(|s| s.dissimilarity)
        .collect();
    let roots = match stop {
        Stop::Count(k) => cut(&dendrogram, n, k),
        Stop::Auto { max } => {
            let (k, values) = crate::count::speakers(embeddings, max);
            eigenvalues = values;
            let mut roots = cut(&dendrogram, n, k);
            absorb_small(&mut roots, &centred, weights);
            merge_alike(&mut roots, embeddings);
            roots
        }
    };
    // Renumber in order of first appearance.
    let mut order: Vec<usize> = Vec::new();
    let labels = roots
        .iter()
        .map(|r| match order.iter().position(|o| o == r) {
            Some(i) => i,
            None => {
                order.push(*r);
                order.len() - 1
            }
        })
        .collect();
    Clusters {
        labels,
        eigenvalues,
        heights,
    }
}

/// The root item of each item's group when the tree is cut into `k` groups.
fn cut(dendrogram: &Dendrogram<f32>, n: usize, k: usize) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    // Representative item of each dendrogram node (leaves, then steps).
    let mut repr: Vec<usize> = (0..n).collect();
    let mut left = n;
    for step in dendrogram.steps() {
        if left <= k.max(1) {
            break;
        }
        let (a, b) = (
            find(&mut parent, repr[step.cluster1]),
            find(&mut parent, repr[step.cluster2]),
        );
        parent[b] = a;
        repr.push(a);
        left -= 1;
    }
    (0..n).map(|i| find(&mut parent, i)).collect()
}

/// Unit vectors of the embeddings minus their weighted mean.
fn centre(embeddings: &[Vec<f32>], weights: &[f64]) -> Vec<Vec<f32>> {
    let dim = embeddings[0].len();
    let mut mean = vec![0f64; dim];
    let mut total = 0.0;
    for (e, w) in embeddings
        .iter()
        .zip(weights.iter().chain(std::iter::repeat(&1.0)))
    {
        let w = w.max(1e-6);
        total += w;
        mean.iter_mut()
            .zip(e)
            .for_each(|(m, v)| *m += w * f64::from(*v));
    }
    mean.iter_mut().for_each(|m| *m /= total);
    embeddings
        .iter()
        .map(|e| {
            let v: Vec<f32> = e.iter().zip(&mean).map(|(x, m)| x - *m as f32).collect();
            let norm = dot(&v, &v).sqrt().max(1e-12);
            v.iter().map(|x| x / norm).collect()
        })
        .collect()
}

/// Folds groups with less than [`MIN_SHARE`] of the weight into the group
/// whose centroid is nearest, as long as some group is big enough.
fn absorb_small(roots: &mut [usize], centred: &[Vec<f32>], weights: &[f64]) {
    let weight = |i: usize| weights.get(i).copied().unwrap_or(1.0);
    let total: f64 = (0..roots.len()).map(weight).sum();
    let mut groups: Vec<usize> = roots.to_vec();
    groups.sort_unstable();
    groups.dedup();
    let share = |g: usize, roots: &[usize]| {
        (0..roots.len())
            .filter(|i| roots[*i] == g)
            .map(weight)
            .sum::<f64>()
            / total.max(1e-12)
    };
    let big: Vec<usize> = groups
        .iter()
        .copied()
        .filter(|g| share(*g, roots) >= MIN_SHARE)
        .collect();
    if big.is_empty() {
        return;
    }
    let centroid = |g: usize, roots: &[usize]| {
        let mut c = vec![0f32; centred[0].len()];
        for (i, e) in centred.iter().enumerate() {
            if roots[i] == g {
                c.iter_mut().zip(e).for_each(|(s, v)| *s += v);
            }
        }
        c
    };
    let centroids: Vec<(usize, Vec<f32>)> = big.iter().map(|g| (*g, centroid(*g, roots))).collect();
    for i in 0..roots.len() {
        if big.contains(&roots[i]) {
            continue;
        }
        let nearest = centroids
            .iter()
            .max_by(|a, b| cos(&centred[i], &a.1).total_cmp(&cos(&centred[i], &b.1)))
            .map(|c| c.0);
        if let Some(g) = nearest {
            roots[i] = g;
        }
    }
}

/// Merges the two groups whose mean raw embeddings are most alike while
/// that is at least [`MERGE_COS`].
fn merge_alike(roots: &mut [usize], raw: &[Vec<f32>]) {
    loop {
        let mut ids = roots.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let centroids: Vec<Vec<f32>> = ids
            .iter()
            .map(|g| {
                let mut c = vec![0f32; raw[0].len()];
                for (e, r) in raw.iter().zip(roots.iter()) {
                    if r == g {
                        c.iter_mut().zip(e).for_each(|(s, v)| *s += v);
                    }
                }
                c
            })
            .collect();
        let mut best: Option<(f32, usize, usize)> = None;
        for a in 0..ids.len() {
            for b in a + 1..ids.len() {
                let c = cos(&centroids[a], &centroids[b]);
                if c >= MERGE_COS && best.is_none_or(|(bc, _, _)| c > bc) {
                    best = Some((c, ids[a], ids[b]));
                }
            }
        }
        let Some((_, keep, gone)) = best else { return };
        roots
            .iter_mut()
            .filter(|r| **r == gone)
            .for_each(|r| *r = keep);
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt()).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points around `centres`, `per` each, with a little deterministic noise.
    fn blobs(centres: &[[f32; 3]], per: usize) -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        let mut seed = 7u32;
        for i in 0..per {
            for c in centres {
                let _ = i;
                let v: Vec<f32> = c
                    .iter()
                    .map(|x| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        x + ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.1
                    })
                    .collect();
                out.push(v);
            }
        }
        out
    }

    const DISTINCT: Stop = Stop::Auto { max: 6 };

    #[test]
    fn one_voice_stays_one_group() {
        let e = blobs(&[[1.0, 0.2, 0.1]], 30);
        let w = vec![1.0; e.len()];
        assert!(cluster(&e, &w, DISTINCT).labels.iter().all(|l| *l == 0));
    }

    #[test]
    fn separate_voices_are_found_by_distance_and_by_count() {
        let e = blobs(&[[1.0, 0.2, 0.1], [0.2, 1.0, 0.1], [0.1, 0.2, 1.0]], 10);
        let w = vec![1.0; e.len()];
        let labels = cluster(&e, &w, DISTINCT).labels;
        assert_eq!(&labels[..3], &[0, 1, 2]);
        assert!(labels.chunks(3).all(|c| c == [0, 1, 2]), "{labels:?}");
        let two = cluster(&e, &w, Stop::Count(2)).labels;
        assert_eq!(two.iter().max(), Some(&1));
        let one = cluster(&e, &w, Stop::Count(1)).labels;
        assert!(one.iter().all(|l| *l == 0));
    }

    #[test]
    fn a_stray_window_joins_the_nearest_voice() {
        let mut e = blobs(&[[1.0, 0.2, 0.1], [0.2, 1.0, 0.1]], 20);
        e.push(vec![0.9, 0.1, 1.0]);
        let w = vec![1.0; e.len()];
        let labels = cluster(&e, &w, DISTINCT).labels;
        assert_eq!(labels.iter().max(), Some(&1), "{labels:?}");
        assert_eq!(labels[40], 0);
    }
}
