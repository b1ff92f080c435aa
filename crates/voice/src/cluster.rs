//! Grouping embeddings by voice.
//!
//! Embeddings are mean-centred before anything else: GE2E vectors all sit
//! in one corner of the space (ReLU makes every component positive), and
//! plain cosine clustering of raw vectors lets a few outlier windows form
//! clusters of their own while two real voices stay together. Centring
//! removes what all windows share and leaves what tells voices apart.
//!
//! Then average linkage (each merge joins the two groups whose members are,
//! on average, closest) builds the tree once, and it is cut at a requested
//! number of groups, or at the most groups that are all different voices:
//! a cut is accepted when, after groups holding too little of the speech
//! to be a participant (a cough, a burst of crosstalk) are folded into the
//! nearest real one, no two groups' mean *raw* embeddings are as alike as
//! one voice's are with itself ([`Stop::Distinct`]). Centred distances say
//! where to cut; raw similarity says whether a cut separated two people or
//! one person twice (with a single voice, centring leaves only noise, which
//! splits as readily as anything).

use kodama::{Dendrogram, Method, linkage};

/// Where to cut the tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// The finest cut (up to `max` groups) before the first whose groups
    /// are not all separated by at least `min_gap` (see [`separation`]).
    Distinct { min_gap: f32, max: usize },
    /// Exactly this many groups (fewer when there are fewer items).
    Count(usize),
}

/// A group must hold at least this share of the weight to stand alone
/// when the count is found automatically.
pub const MIN_SHARE: f64 = 0.05;

/// The outcome of [`cluster`].
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    /// Group id of each embedding, `0..k` in order of first appearance.
    pub labels: Vec<usize>,
    /// The separation of the groups (see [`separation`]) for each number
    /// of groups tried (logs, calibration).
    pub separation: Vec<(usize, f32)>,
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
    let mut tried = Vec::new();
    let steps = dendrogram.steps();
    let heights = steps[steps.len().saturating_sub(6)..]
        .iter()
        .map(|s| s.dissimilarity)
        .collect();
    let roots = match stop {
        Stop::Count(k) => cut(&dendrogram, n, k),
        Stop::Distinct { min_gap, max } => {
            let mut best = vec![0; n];
            for k in 2..=max.min(n) {
                let mut roots = cut(&dendrogram, n, k);
                absorb_small(&mut roots, &centred, weights);
                let gap = separation(&roots, embeddings);
                tried.push((k, gap));
                // The first cut that joins a voice to itself ends the
                // search: a finer cut that happens to pass is noise.
                if gap < min_gap {
                    break;
                }
                if groups(&roots) > groups(&best) {
                    best = roots;
                }
            }
            best
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
        separation: tried,
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

fn groups(roots: &[usize]) -> usize {
    let mut ids = roots.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// How clearly the groups are different voices: over every pair of
/// groups, the least by which items' mean similarity within each group
/// exceeds their mean similarity across the two (raw cosine of the
/// embeddings). Splitting one voice gains almost nothing; separating two
/// gains about the gap between same-voice and other-voice similarity.
/// Unlike comparing group means, this does not grow with group size.
/// `f32::INFINITY` with a single group.
fn separation(roots: &[usize], raw: &[Vec<f32>]) -> f32 {
    let mut ids = roots.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let k = ids.len();
    let index = |r: usize| ids.iter().position(|g| *g == r).unwrap_or(0);
    let mut sum = vec![0f64; k * k];
    let mut count = vec![0f64; k * k];
    for i in 0..raw.len() {
        let gi = index(roots[i]);
        for j in i + 1..raw.len() {
            let gj = index(roots[j]);
            let c = f64::from(cos(&raw[i], &raw[j]));
            let (a, b) = (gi.min(gj), gi.max(gj));
            sum[a * k + b] += c;
            count[a * k + b] += 1.0;
        }
    }
    let mean = |a: usize, b: usize| {
        let (a, b) = (a.min(b), a.max(b));
        // A group of one item is as alike as one voice can be with itself.
        if count[a * k + b] == 0.0 {
            1.0
        } else {
            sum[a * k + b] / count[a * k + b]
        }
    };
    let mut least = f64::INFINITY;
    for a in 0..k {
        for b in a + 1..k {
            let gap = (mean(a, a) + mean(b, b)) / 2.0 - mean(a, b);
            least = least.min(gap);
        }
    }
    least as f32
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

    const DISTINCT: Stop = Stop::Distinct {
        min_gap: 0.05,
        max: 6,
    };

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
