//! CAM++ (Wang et al., "CAM++: A Fast and Efficient Network for Speaker
//! Verification Using Context-Aware Masking", Interspeech 2023), as
//! 3D-Speaker defines it, run on 1.5 s windows of 80-bin Kaldi fbank.
//!
//! Why this model: GE2E (an LSTM over 40 mel bands) separates the two
//! voices of a real telephone call by a few hundredths of cosine, less than
//! any stopping threshold that keeps one voice in one piece; CAM++ trained
//! on far more speakers holds them apart by about 0.3 at a similar cost.
//!
//! The network, with every batch norm folded into a per-channel scale and
//! shift at load time:
//! - a 2-D residual front end over (frequency × time): a 3×3 convolution,
//!   two stages of two residual blocks that halve the frequency axis, a last
//!   strided convolution, 80 bins → 10 bins × 32 channels = 320 channels;
//! - a TDNN layer (kernel 5, stride 2) to 128 channels at 20 ms a frame;
//! - three densely connected blocks (12, 24, 16 layers; dilation 1, 2, 2),
//!   each layer adding 32 channels: BN-ReLU, a 1×1 bottleneck to 128,
//!   BN-ReLU, then a dilated convolution masked by a sigmoid computed from
//!   the mean of the whole window plus the mean of its 100-frame segment
//!   (the context-aware mask); a BN-ReLU and a 1×1 convolution halve the
//!   channels between blocks;
//! - BN-ReLU, mean and standard deviation over time, a 1024 → 192 linear
//!   layer and a batch norm without scale or shift.
//!
//! Convolutions are lowered to one matrix product each (im2col), so the
//! work is sgemm. The output is scaled to unit length.

use std::collections::HashMap;

use ndarray::{Array1, Array2, ArrayView2, s};

use crate::encoder::Embedding;
use crate::fbank::{BINS, Fbank};

/// Samples in one window: 1.5 s at 16 kHz.
pub const WINDOW: usize = 24_000;
/// Length of an embedding.
pub const DIM: usize = 192;
const CHANNELS: usize = 32;
const GROWTH: usize = 32;
const BOTTLENECK: usize = 128;
/// Layers and dilation of the three dense blocks.
const BLOCKS: [(usize, usize); 3] = [(12, 1), (24, 2), (16, 2)];
const SEGMENT: usize = 100;
const EPS: f32 = 1e-5;

/// A batch norm (running statistics) folded to `x·scale + shift`.
struct Norm {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

impl Norm {
    /// Applies the norm (and a ReLU) to every row of `x`, one row a channel.
    fn apply(&self, x: &mut Array2<f32>, relu: bool) {
        for (c, mut row) in x.rows_mut().into_iter().enumerate() {
            let (a, b) = (self.scale[c], self.shift[c]);
            row.mapv_inplace(|v| {
                let y = v * a + b;
                if relu { y.max(0.0) } else { y }
            });
        }
    }
}

struct ResBlock {
    stride: usize,
    conv1: Array2<f32>,
    bn1: Norm,
    conv2: Array2<f32>,
    bn2: Norm,
    shortcut: Option<(Array2<f32>, Norm)>,
}

struct DenseLayer {
    bn1: Norm,
    linear1: Array2<f32>,
    bn2: Norm,
    local: Array2<f32>,
    dilation: usize,
    ctx1: (Array2<f32>, Array1<f32>),
    ctx2: (Array2<f32>, Array1<f32>),
}

struct Block {
    layers: Vec<DenseLayer>,
    transit_bn: Norm,
    transit: Array2<f32>,
}

/// The CAM++ speaker encoder's weights.
pub struct CamPlus {
    fbank: Fbank,
    conv1: Array2<f32>,
    bn1: Norm,
    res: Vec<ResBlock>,
    conv2: Array2<f32>,
    bn2: Norm,
    tdnn: Array2<f32>,
    tdnn_bn: Norm,
    blocks: Vec<Block>,
    out_bn: Norm,
    dense: Array2<f32>,
    dense_bn: Norm,
}

fn norm_names(out: &mut Vec<(String, Vec<usize>)>, prefix: &str, c: usize, affine: bool) {
    let parts: &[&str] = if affine {
        &["weight", "bias", "running_mean", "running_var"]
    } else {
        &["running_mean", "running_var"]
    };
    for p in parts {
        out.push((format!("{prefix}.{p}"), vec![c]));
    }
}

/// Residual blocks of the front end: (name, stride).
fn res_blocks() -> impl Iterator<Item = (String, usize)> {
    (1..=2).flat_map(|l| {
        (0..2).map(move |b| (format!("head.layer{l}.{b}"), if b == 0 { 2 } else { 1 }))
    })
}

/// The tensors the encoder needs, with their PyTorch names and shapes.
pub fn tensor_shapes() -> Vec<(String, Vec<usize>)> {
    let mut out = vec![("head.conv1.weight".to_string(), vec![CHANNELS, 1, 3, 3])];
    norm_names(&mut out, "head.bn1", CHANNELS, true);
    for (name, stride) in res_blocks() {
        for i in 1..=2 {
            out.push((
                format!("{name}.conv{i}.weight"),
                vec![CHANNELS, CHANNELS, 3, 3],
            ));
            norm_names(&mut out, &format!("{name}.bn{i}"), CHANNELS, true);
        }
        if stride != 1 {
            out.push((
                format!("{name}.shortcut.0.weight"),
                vec![CHANNELS, CHANNELS, 1, 1],
            ));
            norm_names(&mut out, &format!("{name}.shortcut.1"), CHANNELS, true);
        }
    }
    out.push(("head.conv2.weight".into(), vec![CHANNELS, CHANNELS, 3, 3]));
    norm_names(&mut out, "head.bn2", CHANNELS, true);
    out.push(("xvector.tdnn.linear.weight".into(), vec![128, 320, 5]));
    norm_names(&mut out, "xvector.tdnn.nonlinear.batchnorm", 128, true);
    let mut channels = 128;
    for (b, (layers, _)) in BLOCKS.iter().enumerate() {
        for j in 0..*layers {
            let p = format!("xvector.block{}.tdnnd{}", b + 1, j + 1);
            let cin = channels + j * GROWTH;
            norm_names(&mut out, &format!("{p}.nonlinear1.batchnorm"), cin, true);
            out.push((format!("{p}.linear1.weight"), vec![BOTTLENECK, cin, 1]));
            norm_names(
                &mut out,
                &format!("{p}.nonlinear2.batchnorm"),
                BOTTLENECK,
                true,
            );
            out.push((
                format!("{p}.cam_layer.linear_local.weight"),
                vec![GROWTH, BOTTLENECK, 3],
            ));
            out.push((
                format!("{p}.cam_layer.linear1.weight"),
                vec![BOTTLENECK / 2, BOTTLENECK, 1],
            ));
            out.push((format!("{p}.cam_layer.linear1.bias"), vec![BOTTLENECK / 2]));
            out.push((
                format!("{p}.cam_layer.linear2.weight"),
                vec![GROWTH, BOTTLENECK / 2, 1],
            ));
            out.push((format!("{p}.cam_layer.linear2.bias"), vec![GROWTH]));
        }
        channels += layers * GROWTH;
        let p = format!("xvector.transit{}", b + 1);
        norm_names(
            &mut out,
            &format!("{p}.nonlinear.batchnorm"),
            channels,
            true,
        );
        out.push((
            format!("{p}.linear.weight"),
            vec![channels / 2, channels, 1],
        ));
        channels /= 2;
    }
    norm_names(&mut out, "xvector.out_nonlinear.batchnorm", channels, true);
    out.push((
        "xvector.dense.linear.weight".into(),
        vec![DIM, 2 * channels, 1],
    ));
    norm_names(&mut out, "xvector.dense.nonlinear.batchnorm", DIM, false);
    out
}

/// Fetches tensors by name, checking each against [`tensor_shapes`].
struct Loader<F> {
    shapes: HashMap<String, Vec<usize>>,
    tensor: F,
}

impl<F: FnMut(&str) -> Result<Vec<f32>, String>> Loader<F> {
    fn get(&mut self, name: &str) -> Result<Vec<f32>, String> {
        let shape = self
            .shapes
            .get(name)
            .ok_or_else(|| format!("tensor {name} is not part of CAM++"))?;
        let want: usize = shape.iter().product();
        let values = (self.tensor)(name)?;
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
    }

    /// A weight as a matrix: output rows × everything else.
    fn matrix(&mut self, name: &str) -> Result<Array2<f32>, String> {
        let rows = self
            .shapes
            .get(name)
            .and_then(|s| s.first().copied())
            .unwrap_or(0);
        let values = self.get(name)?;
        let cols = values.len() / rows.max(1);
        Array2::from_shape_vec((rows, cols), values).map_err(|e| e.to_string())
    }

    fn vector(&mut self, name: &str) -> Result<Array1<f32>, String> {
        self.get(name).map(Array1::from)
    }

    fn norm(&mut self, prefix: &str, affine: bool) -> Result<Norm, String> {
        let mean = self.get(&format!("{prefix}.running_mean"))?;
        let var = self.get(&format!("{prefix}.running_var"))?;
        let (weight, bias) = if affine {
            (
                self.get(&format!("{prefix}.weight"))?,
                self.get(&format!("{prefix}.bias"))?,
            )
        } else {
            (vec![1.0; mean.len()], vec![0.0; mean.len()])
        };
        let scale: Vec<f32> = weight
            .iter()
            .zip(&var)
            .map(|(w, v)| w / (v + EPS).sqrt())
            .collect();
        let shift = bias
            .iter()
            .zip(&mean)
            .zip(&scale)
            .map(|((b, m), s)| b - m * s)
            .collect();
        Ok(Norm { scale, shift })
    }
}

impl CamPlus {
    /// Builds the encoder from `tensor(name)`, which returns the named
    /// tensor's values in row-major order; every length is checked against
    /// [`tensor_shapes`].
    pub fn from_tensors(
        tensor: impl FnMut(&str) -> Result<Vec<f32>, String>,
    ) -> Result<CamPlus, String> {
        let mut l = Loader {
            shapes: tensor_shapes().into_iter().collect(),
            tensor,
        };
        let conv1 = l.matrix("head.conv1.weight")?;
        let bn1 = l.norm("head.bn1", true)?;
        let mut res = Vec::new();
        for (name, stride) in res_blocks() {
            res.push(ResBlock {
                stride,
                conv1: l.matrix(&format!("{name}.conv1.weight"))?,
                bn1: l.norm(&format!("{name}.bn1"), true)?,
                conv2: l.matrix(&format!("{name}.conv2.weight"))?,
                bn2: l.norm(&format!("{name}.bn2"), true)?,
                shortcut: if stride != 1 {
                    Some((
                        l.matrix(&format!("{name}.shortcut.0.weight"))?,
                        l.norm(&format!("{name}.shortcut.1"), true)?,
                    ))
                } else {
                    None
                },
            });
        }
        let conv2 = l.matrix("head.conv2.weight")?;
        let bn2 = l.norm("head.bn2", true)?;
        let tdnn = l.matrix("xvector.tdnn.linear.weight")?;
        let tdnn_bn = l.norm("xvector.tdnn.nonlinear.batchnorm", true)?;
        let mut blocks = Vec::new();
        for (b, (layers, dilation)) in BLOCKS.iter().enumerate() {
            let mut dense = Vec::new();
            for j in 0..*layers {
                let p = format!("xvector.block{}.tdnnd{}", b + 1, j + 1);
                dense.push(DenseLayer {
                    bn1: l.norm(&format!("{p}.nonlinear1.batchnorm"), true)?,
                    linear1: l.matrix(&format!("{p}.linear1.weight"))?,
                    bn2: l.norm(&format!("{p}.nonlinear2.batchnorm"), true)?,
                    local: l.matrix(&format!("{p}.cam_layer.linear_local.weight"))?,
                    dilation: *dilation,
                    ctx1: (
                        l.matrix(&format!("{p}.cam_layer.linear1.weight"))?,
                        l.vector(&format!("{p}.cam_layer.linear1.bias"))?,
                    ),
                    ctx2: (
                        l.matrix(&format!("{p}.cam_layer.linear2.weight"))?,
                        l.vector(&format!("{p}.cam_layer.linear2.bias"))?,
                    ),
                });
            }
            let p = format!("xvector.transit{}", b + 1);
            blocks.push(Block {
                layers: dense,
                transit_bn: l.norm(&format!("{p}.nonlinear.batchnorm"), true)?,
                transit: l.matrix(&format!("{p}.linear.weight"))?,
            });
        }
        Ok(CamPlus {
            fbank: Fbank::new(),
            conv1,
            bn1,
            res,
            conv2,
            bn2,
            tdnn,
            tdnn_bn,
            blocks,
            out_bn: l.norm("xvector.out_nonlinear.batchnorm", true)?,
            dense: l.matrix("xvector.dense.linear.weight")?,
            dense_bn: l.norm("xvector.dense.nonlinear.batchnorm", false)?,
        })
    }

    /// Unit-length embeddings of windows of 16 kHz audio (any length of at
    /// least 25 ms; [`WINDOW`] samples is what the model is used with).
    ///
    /// Each window goes through the front end alone; windows of the same
    /// length then go through the dense blocks side by side, their frames
    /// in one matrix, so that each layer's weights are read once per batch
    /// rather than once per window (a fifth less time).
    pub fn embed(&self, windows: &[&[f32]]) -> Vec<Embedding> {
        let fronts: Vec<Option<Array2<f32>>> = windows.iter().map(|w| self.front(w)).collect();
        let mut out = Vec::with_capacity(windows.len());
        let mut i = 0;
        while i < fronts.len() {
            let Some(first) = &fronts[i] else {
                out.push(vec![0.0; DIM]);
                i += 1;
                continue;
            };
            let t = first.ncols();
            let n = fronts[i..]
                .iter()
                .take_while(|f| f.as_ref().is_some_and(|f| f.ncols() == t))
                .count();
            let views: Vec<ArrayView2<f32>> = fronts[i..i + n]
                .iter()
                .flatten()
                .map(|f| f.view())
                .collect();
            let mut x = ndarray::concatenate(ndarray::Axis(1), &views)
                .unwrap_or_else(|_| Array2::zeros((first.nrows(), 0)));
            for block in &self.blocks {
                x = block.run(x, t);
            }
            self.out_bn.apply(&mut x, true);
            for w in 0..n {
                out.push(self.pooled(x.slice(s![.., w * t..(w + 1) * t])));
            }
            i += n;
        }
        out
    }

    /// The front end and the TDNN layer: 128 channels × frames, or nothing
    /// for a window too short for one frame.
    fn front(&self, samples: &[f32]) -> Option<Array2<f32>> {
        let feats = self.fbank.features(samples);
        let t = feats.len() / BINS;
        if t == 0 {
            return None;
        }
        // (channel 1, frequency × time).
        let mut x = Array2::<f32>::zeros((1, BINS * t));
        for (i, v) in feats.iter().enumerate() {
            x[[0, (i % BINS) * t + i / BINS]] = *v;
        }
        let mut h = BINS;
        let (mut x, _) = conv2d(x.view(), h, t, &self.conv1, 3, 1);
        self.bn1.apply(&mut x, true);
        for r in &self.res {
            let (mut y, ho) = conv2d(x.view(), h, t, &r.conv1, 3, r.stride);
            r.bn1.apply(&mut y, true);
            let (mut y, _) = conv2d(y.view(), ho, t, &r.conv2, 3, 1);
            r.bn2.apply(&mut y, false);
            match &r.shortcut {
                Some((w, bn)) => {
                    let (mut sc, _) = conv2d(x.view(), h, t, w, 1, r.stride);
                    bn.apply(&mut sc, false);
                    y += &sc;
                }
                None => y += &x,
            }
            y.mapv_inplace(|v| v.max(0.0));
            x = y;
            h = ho;
        }
        let (mut x, h) = conv2d(x.view(), h, t, &self.conv2, 3, 2);
        self.bn2.apply(&mut x, true);
        // (channel, frequency, time) → (channel·frequency, time).
        let rows = x.nrows() * h;
        let x = x
            .into_shape_with_order((rows, t))
            .unwrap_or_else(|_| Array2::zeros((rows, t)));
        let mut x = conv1d(x.view(), &self.tdnn, 5, 2, 2, 1, 1);
        self.tdnn_bn.apply(&mut x, true);
        Some(x)
    }

    /// Mean and standard deviation over time, the linear layer, unit length.
    fn pooled(&self, x: ArrayView2<f32>) -> Embedding {
        let frames = x.ncols();
        let mut stats = Array2::<f32>::zeros((2 * x.nrows(), 1));
        for (c, row) in x.rows().into_iter().enumerate() {
            let mean = row.sum() / frames as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>()
                / frames.saturating_sub(1).max(1) as f32;
            stats[[c, 0]] = mean;
            stats[[x.nrows() + c, 0]] = var.sqrt();
        }
        let mut e = self.dense.dot(&stats);
        self.dense_bn.apply(&mut e, false);
        let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        e.iter().map(|v| v / norm).collect()
    }
}

impl Block {
    /// Runs the block over windows of `t` frames each, side by side.
    fn run(&self, x: Array2<f32>, t: usize) -> Array2<f32> {
        let (c0, cols) = x.dim();
        let mut buf = Array2::<f32>::zeros((c0 + self.layers.len() * GROWTH, cols));
        buf.slice_mut(s![..c0, ..]).assign(&x);
        for (j, layer) in self.layers.iter().enumerate() {
            let cin = c0 + j * GROWTH;
            let y = layer.run(buf.slice(s![..cin, ..]), t);
            buf.slice_mut(s![cin..cin + GROWTH, ..]).assign(&y);
        }
        self.transit_bn.apply(&mut buf, true);
        self.transit.dot(&buf)
    }
}

impl DenseLayer {
    fn run(&self, x: ArrayView2<f32>, t: usize) -> Array2<f32> {
        let mut a = x.to_owned();
        self.bn1.apply(&mut a, true);
        let mut h = self.linear1.dot(&a);
        self.bn2.apply(&mut h, true);
        let d = self.dilation;
        let windows = h.ncols() / t.max(1);
        let mut y = conv1d(h.view(), &self.local, 3, 1, d, d, windows);
        for w in 0..windows {
            self.mask(h.view(), &mut y, w * t, (w + 1) * t);
        }
        y
    }

    /// Scales `y`'s columns `lo..hi` (one window) by the context-aware
    /// mask: a sigmoid of the window's mean plus each segment's mean of `h`.
    fn mask(&self, h: ArrayView2<f32>, y: &mut Array2<f32>, lo: usize, hi: usize) {
        let whole = h.slice(s![.., lo..hi]).sum_axis(ndarray::Axis(1)) / (hi - lo) as f32;
        for start in (lo..hi).step_by(SEGMENT) {
            let end = (start + SEGMENT).min(hi);
            let seg = h.slice(s![.., start..end]).sum_axis(ndarray::Axis(1)) / (end - start) as f32;
            let ctx = &whole + &seg;
            let z = (self.ctx1.0.dot(&ctx) + &self.ctx1.1).mapv(|v| v.max(0.0));
            let m = (self.ctx2.0.dot(&z) + &self.ctx2.1).mapv(|v| 1.0 / (1.0 + (-v).exp()));
            for (mut row, mc) in y
                .slice_mut(s![.., start..end])
                .rows_mut()
                .into_iter()
                .zip(&m)
            {
                row.mapv_inplace(|v| v * mc);
            }
        }
    }
}

/// A 2-D convolution over `x` (channels × `h`·`w`, row-major frequency ×
/// time) with a `k`×`k` kernel, zero padding `k/2`, stride `stride` along
/// frequency and 1 along time. Returns the output and its height.
fn conv2d(
    x: ArrayView2<f32>,
    h: usize,
    w: usize,
    weight: &Array2<f32>,
    k: usize,
    stride: usize,
) -> (Array2<f32>, usize) {
    let pad = k / 2;
    let ho = (h + 2 * pad - k) / stride + 1;
    let cin = x.nrows();
    let mut cols = Array2::<f32>::zeros((cin * k * k, ho * w));
    for ci in 0..cin {
        let src = x.row(ci);
        for kh in 0..k {
            for kw in 0..k {
                let mut dst = cols.row_mut((ci * k + kh) * k + kw);
                for oh in 0..ho {
                    let Some(ih) = (oh * stride + kh).checked_sub(pad).filter(|ih| *ih < h) else {
                        continue;
                    };
                    // Output columns ow with ow + kw - pad inside 0..w.
                    let lo = pad.saturating_sub(kw);
                    let hi = (w + pad).saturating_sub(kw).min(w);
                    for ow in lo..hi {
                        dst[oh * w + ow] = src[ih * w + ow + kw - pad];
                    }
                }
            }
        }
    }
    (weight.dot(&cols), ho)
}

/// A 1-D convolution over `x` (channels × time) with kernel `k`, stride,
/// zero padding and dilation; `x` holds `parts` windows of equal length
/// side by side, each convolved on its own.
fn conv1d(
    x: ArrayView2<f32>,
    weight: &Array2<f32>,
    k: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    parts: usize,
) -> Array2<f32> {
    let (cin, cols) = x.dim();
    if k == 1 && stride == 1 && pad == 0 {
        return weight.dot(&x);
    }
    let parts = parts.max(1);
    let t = cols / parts;
    let to = (t + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    let mut im = Array2::<f32>::zeros((cin * k, to * parts));
    for ci in 0..cin {
        let src = x.row(ci);
        for j in 0..k {
            let mut dst = im.row_mut(ci * k + j);
            for p in 0..parts {
                for o in 0..to {
                    if let Some(i) = (o * stride + j * dilation)
                        .checked_sub(pad)
                        .filter(|i| *i < t)
                    {
                        dst[p * to + o] = src[p * t + i];
                    }
                }
            }
        }
    }
    weight.dot(&im)
}

#[cfg(test)]
mod tests;
