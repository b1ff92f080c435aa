//! The network's shape, its convolutions, and batching.

use super::*;

#[test]
fn the_tensor_list_is_the_checkpoints() {
    let shapes = tensor_shapes();
    // 937 tensors in the checkpoint, less 122 `num_batches_tracked`.
    assert_eq!(shapes.len(), 815);
    let params: usize = shapes
        .iter()
        .filter(|(n, _)| !n.contains("running_"))
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    assert_eq!(params, 6_848_544);
}

/// The network with pseudo-random weights scaled to keep activations
/// alive, and batch norms that do nothing.
fn random_model() -> CamPlus {
    let shapes: HashMap<String, Vec<usize>> = tensor_shapes().into_iter().collect();
    let mut seed = 1u32;
    CamPlus::from_tensors(|name| {
        let shape = &shapes[name];
        let n = shape.iter().product::<usize>();
        let fan_in = shape[1..].iter().product::<usize>().max(1) as f32;
        let constant = |v: f32| Ok(vec![v; n]);
        if name.ends_with("running_var") || (shape.len() == 1 && name.ends_with("weight")) {
            return constant(1.0);
        }
        if shape.len() == 1 {
            return constant(0.0);
        }
        Ok((0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((seed >> 8) as f32 / (1 << 24) as f32 - 0.5) * 3.0 / fan_in.sqrt()
            })
            .collect())
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn windows_embedded_together_equal_windows_embedded_alone() {
    let model = random_model();
    // A tone rising in pitch and loudness, so that no two windows match.
    let audio: Vec<f32> = (0..3 * WINDOW + 4000)
        .map(|i| {
            let x = i as f32 / WINDOW as f32;
            (x * x * 3000.0).sin() * (0.05 + x * x)
        })
        .collect();
    let windows: Vec<&[f32]> = vec![
        &audio[..WINDOW],
        &audio[WINDOW..2 * WINDOW],
        &audio[2 * WINDOW..3 * WINDOW],
        &audio[3 * WINDOW..],
    ];
    let together = model.embed(&windows);
    assert_eq!(together.len(), 4);
    for (w, t) in windows.iter().zip(&together) {
        let alone = model.embed(&[w]);
        let cos: f32 = alone[0].iter().zip(t).map(|(a, b)| a * b).sum();
        assert!(cos > 0.99999, "cosine {cos}");
    }
    // Different windows give different embeddings.
    let cross: f32 = together[0]
        .iter()
        .zip(&together[1])
        .map(|(a, b)| a * b)
        .sum();
    assert!(cross < 0.99999, "cosine {cross}");
}

#[test]
fn convolutions_match_a_direct_sum() {
    // 2 channels of 3×4, one output channel, 3×3 kernel, stride 2.
    let x = Array2::from_shape_fn((2, 12), |(c, i)| (c * 12 + i) as f32 * 0.1);
    let w = Array2::from_shape_fn((1, 18), |(_, i)| (i as f32 - 9.0) * 0.05);
    let (y, ho) = conv2d(x.view(), 3, 4, &w, 3, 2);
    assert_eq!(ho, 2);
    for oh in 0..2 {
        for ow in 0..4 {
            let mut sum = 0.0;
            for c in 0..2 {
                for kh in 0..3 {
                    for kw in 0..3 {
                        let (ih, iw) = ((oh * 2 + kh) as isize - 1, (ow + kw) as isize - 1);
                        if (0..3).contains(&ih) && (0..4).contains(&iw) {
                            sum += x[[c, (ih * 4 + iw) as usize]] * w[[0, (c * 3 + kh) * 3 + kw]];
                        }
                    }
                }
            }
            assert!((y[[0, oh * 4 + ow]] - sum).abs() < 1e-5);
        }
    }
    // Dilation 2, padding 2, kernel 3 keeps the length.
    let x = Array2::from_shape_fn((1, 6), |(_, i)| i as f32 + 1.0);
    let w = Array2::from_shape_vec((1, 3), vec![1.0, 10.0, 100.0]).unwrap_or_default();
    let y = conv1d(x.view(), &w, 3, 1, 2, 2, 1);
    assert_eq!(
        y.row(0).to_vec(),
        vec![310.0, 420.0, 531.0, 642.0, 53.0, 64.0]
    );
    // Two windows side by side are convolved apart.
    let two = ndarray::concatenate(ndarray::Axis(1), &[x.view(), x.view()]).unwrap_or_default();
    let y2 = conv1d(two.view(), &w, 3, 1, 2, 2, 2);
    assert_eq!(
        y2.row(0).to_vec(),
        [y.row(0).to_vec(), y.row(0).to_vec()].concat()
    );
}
