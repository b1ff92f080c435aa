//! Resemblyzer's GE2E speaker encoder (Wan et al., "Generalized End-to-End
//! Loss for Speaker Verification"): a 40-band power mel spectrogram of a
//! 1.6 s window goes through a 3-layer LSTM (256 hidden); the last layer's
//! final hidden state goes through Linear 256→256 and ReLU and is scaled to
//! unit length. Two windows of one voice point the same way.
//!
//! Windows are run as a batch: at every time step the whole batch is one
//! matrix product with the recurrent weights (and each layer's input
//! weights are applied to all steps at once), so the work is
//! matrix-matrix, not matrix-vector.

use ndarray::{Array1, Array2, ArrayView2, Axis, linalg::general_mat_mul, s};

use crate::mel::BANDS;

/// Frames (10 ms each) in one window: 1.6 s.
pub const WINDOW_FRAMES: usize = 160;
/// LSTM width.
pub const HIDDEN: usize = 256;
/// Length of an embedding.
pub const DIM: usize = 256;
/// LSTM layers.
pub const LAYERS: usize = 3;

/// A unit-length speaker embedding.
pub type Embedding = Vec<f32>;

struct Layer {
    /// `4·HIDDEN × input`, gates in PyTorch's order: input, forget, cell, output.
    w_ih: Array2<f32>,
    /// `4·HIDDEN × HIDDEN`.
    w_hh: Array2<f32>,
    /// `b_ih + b_hh`.
    bias: Array1<f32>,
}

/// The encoder's weights.
pub struct Ge2e {
    layers: Vec<Layer>,
    linear_w: Array2<f32>,
    linear_b: Array1<f32>,
}

/// The tensors the encoder needs, with their PyTorch names and shapes.
pub fn tensor_shapes() -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for l in 0..LAYERS {
        let input = if l == 0 { BANDS } else { HIDDEN };
        out.push((format!("lstm.weight_ih_l{l}"), vec![4 * HIDDEN, input]));
        out.push((format!("lstm.weight_hh_l{l}"), vec![4 * HIDDEN, HIDDEN]));
        out.push((format!("lstm.bias_ih_l{l}"), vec![4 * HIDDEN]));
        out.push((format!("lstm.bias_hh_l{l}"), vec![4 * HIDDEN]));
    }
    out.push(("linear.weight".into(), vec![DIM, HIDDEN]));
    out.push(("linear.bias".into(), vec![DIM]));
    out
}

impl Ge2e {
    /// Builds the encoder from `tensor(name)`, which returns the named
    /// tensor's values in row-major order; every length is checked against
    /// [`tensor_shapes`].
    pub fn from_tensors(
        mut tensor: impl FnMut(&str) -> Result<Vec<f32>, String>,
    ) -> Result<Ge2e, String> {
        let mut get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, String> {
            let values = tensor(name)?;
            let want: usize = shape.iter().product();
            if values.len() != want {
                return Err(format!(
                    "tensor {name} has {} values, expected {want} ({shape:?})",
                    values.len()
                ));
            }
            if values.iter().any(|v| !v.is_finite()) {
                return Err(format!("tensor {name} holds values that are not finite"));
            }
            Ok(values)
        };
        let matrix = |v: Vec<f32>, rows: usize, cols: usize| {
            Array2::from_shape_vec((rows, cols), v).map_err(|e| e.to_string())
        };
        let mut layers = Vec::with_capacity(LAYERS);
        for l in 0..LAYERS {
            let input = if l == 0 { BANDS } else { HIDDEN };
            let w_ih = matrix(
                get(&format!("lstm.weight_ih_l{l}"), &[4 * HIDDEN, input])?,
                4 * HIDDEN,
                input,
            )?;
            let w_hh = matrix(
                get(&format!("lstm.weight_hh_l{l}"), &[4 * HIDDEN, HIDDEN])?,
                4 * HIDDEN,
                HIDDEN,
            )?;
            let b_ih = Array1::from(get(&format!("lstm.bias_ih_l{l}"), &[4 * HIDDEN])?);
            let b_hh = Array1::from(get(&format!("lstm.bias_hh_l{l}"), &[4 * HIDDEN])?);
            layers.push(Layer {
                w_ih,
                w_hh,
                bias: b_ih + b_hh,
            });
        }
        Ok(Ge2e {
            layers,
            linear_w: matrix(get("linear.weight", &[DIM, HIDDEN])?, DIM, HIDDEN)?,
            linear_b: Array1::from(get("linear.bias", &[DIM])?),
        })
    }

    /// Embeddings of `windows.len()` windows; each window is
    /// `WINDOW_FRAMES × BANDS` mel values, row-major.
    pub fn embed(&self, windows: &[&[f32]]) -> Vec<Embedding> {
        let batch = windows.len();
        if batch == 0 {
            return Vec::new();
        }
        // Time-major input: row `t·batch + b` is frame t of window b.
        let mut x = Array2::<f32>::zeros((WINDOW_FRAMES * batch, BANDS));
        for (b, w) in windows.iter().enumerate() {
            for t in 0..WINDOW_FRAMES {
                let frame = &w[t * BANDS..(t + 1) * BANDS];
                x.row_mut(t * batch + b)
                    .iter_mut()
                    .zip(frame)
                    .for_each(|(d, s)| *d = *s);
            }
        }
        let mut last = Array2::<f32>::zeros((batch, HIDDEN));
        for layer in &self.layers {
            let (out, h) = layer.run(x.view(), batch);
            x = out;
            last = h;
        }
        let mut e = last.dot(&self.linear_w.t());
        e += &self.linear_b;
        e.mapv_inplace(|v| v.max(0.0));
        e.axis_iter(Axis(0))
            .map(|row| {
                let norm = row.dot(&row).sqrt().max(1e-12);
                row.iter().map(|v| v / norm).collect()
            })
            .collect()
    }
}

impl Layer {
    /// Runs the layer over time-major input (`T·batch × input`); returns
    /// every step's hidden state (`T·batch × HIDDEN`) and the last one.
    fn run(&self, x: ArrayView2<f32>, batch: usize) -> (Array2<f32>, Array2<f32>) {
        let steps = x.nrows() / batch;
        // Input weights for all steps at once.
        let mut gates_in = x.dot(&self.w_ih.t());
        gates_in += &self.bias;
        let mut h = Array2::<f32>::zeros((batch, HIDDEN));
        let mut c = Array2::<f32>::zeros((batch, HIDDEN));
        let mut out = Array2::<f32>::zeros((steps * batch, HIDDEN));
        let mut gates = Array2::<f32>::zeros((batch, 4 * HIDDEN));
        for t in 0..steps {
            gates.assign(&gates_in.slice(s![t * batch..(t + 1) * batch, ..]));
            general_mat_mul(1.0, &h, &self.w_hh.t(), 1.0, &mut gates);
            for ((g, mut c), mut h) in gates.rows().into_iter().zip(c.rows_mut()).zip(h.rows_mut())
            {
                let (Some(g), Some(c), Some(h)) =
                    (g.as_slice(), c.as_slice_mut(), h.as_slice_mut())
                else {
                    continue;
                };
                let (gi, rest) = g.split_at(HIDDEN);
                let (gf, rest) = rest.split_at(HIDDEN);
                let (gc, go) = rest.split_at(HIDDEN);
                for j in 0..HIDDEN {
                    let cj = sigmoid(gf[j]) * c[j] + sigmoid(gi[j]) * tanh(gc[j]);
                    c[j] = cj;
                    h[j] = sigmoid(go[j]) * tanh(cj);
                }
            }
            out.slice_mut(s![t * batch..(t + 1) * batch, ..]).assign(&h);
        }
        (out, h)
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `tanh` through one `exp` (as fast as [`sigmoid`]; the library's `tanhf`
/// is several times slower and was a third of the encoder's time).
fn tanh(x: f32) -> f32 {
    // Saturated beyond ±9 (tanh(9) = 1 - 3e-8); keeps exp from overflowing.
    let x = x.clamp(-9.0, 9.0);
    let e = (2.0 * x).exp();
    (e - 1.0) / (e + 1.0)
}

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

    /// A tiny deterministic "model": every weight from a simple generator.
    fn model() -> Ge2e {
        let mut seed = 1u32;
        let shapes = tensor_shapes();
        Ge2e::from_tensors(|name| {
            let n: usize = shapes
                .iter()
                .find(|(s, _)| s == name)
                .map(|(_, d)| d.iter().product())
                .unwrap_or(0);
            Ok((0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.2
                })
                .collect())
        })
        .unwrap()
    }

    #[test]
    fn a_window_embeds_alike_alone_and_in_a_batch() {
        let m = model();
        let a: Vec<f32> = (0..WINDOW_FRAMES * BANDS)
            .map(|i| (i % 7) as f32 * 0.1)
            .collect();
        let b: Vec<f32> = (0..WINDOW_FRAMES * BANDS)
            .map(|i| (i % 13) as f32 * 0.05)
            .collect();
        let alone = m.embed(&[&a]);
        let both = m.embed(&[&b, &a]);
        assert_eq!(alone[0].len(), DIM);
        for (x, y) in alone[0].iter().zip(&both[1]) {
            assert!((x - y).abs() < 1e-5);
        }
        let norm: f32 = both[0].iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4 || norm == 0.0);
        assert!(cosine(&both[0], &both[1]) < 0.9999);
    }

    #[test]
    fn wrong_tensor_lengths_are_refused() {
        let err = Ge2e::from_tensors(|_| Ok(vec![0.0; 3]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("lstm.weight_ih_l0"), "{err}");
        let err = Ge2e::from_tensors(|name| Err(format!("no {name}")))
            .err()
            .unwrap_or_default();
        assert_eq!(err, "no lstm.weight_ih_l0");
    }
}
