//! Speaker embeddings: what the encoder ([`crate::campplus`]) gives for a
//! window of speech, and the two operations everything else needs. Two
//! windows of one voice point the same way, so similarity is the cosine.

/// Length of an embedding.
pub const DIM: usize = crate::campplus::DIM;

/// A unit-length speaker embedding.
pub type Embedding = Vec<f32>;

/// Cosine similarity of two embeddings (unit length or not).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}

/// The unit-length mean of several embeddings (a voice's profile).
pub fn mean(embeddings: &[Embedding]) -> Option<Embedding> {
    let first = embeddings.first()?;
    let mut sum = vec![0f32; first.len()];
    for e in embeddings {
        sum.iter_mut().zip(e).for_each(|(s, v)| *s += v);
    }
    let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
    (norm > 0.0).then(|| sum.iter().map(|v| v / norm).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_ignores_length_and_mean_is_unit() {
        assert!((cosine(&[2.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
        let m = mean(&[vec![1.0, 0.0], vec![0.0, 1.0]]).unwrap_or_default();
        assert!((m[0] - m[1]).abs() < 1e-6 && (m[0] * m[0] + m[1] * m[1] - 1.0).abs() < 1e-5);
        assert!(mean(&[]).is_none());
        assert!(mean(&[vec![0.0, 0.0]]).is_none());
    }
}
