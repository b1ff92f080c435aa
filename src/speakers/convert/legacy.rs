//! The legacy (pre-1.6, non-zip) torch checkpoint format, read without Python.
//!
//! `torch.save` used to write a sequence of pickles — magic number, protocol
//! version, sys_info, the checkpoint object, the list of storage keys — and
//! then each storage's data in that order, as an `i64` element count and the
//! raw elements. A tensor in the checkpoint is a call of
//! `torch._utils._rebuild_tensor_v2` on a persistent reference to a storage,
//! with an offset, a size and a stride: several tensors may be views into
//! one storage (an LSTM's weights share cuDNN's flat buffer), so each is
//! copied out contiguous, after checking that the view stays inside its
//! storage. Every length and index in the file is checked before use, so a
//! damaged file is an error that says what is wrong, never a panic.

use std::collections::HashMap;

use crate::speakers::pickle::{self, Pickle, Value};

/// `LONG1 0x1950a86a20f9469cfc6c`, the legacy torch magic number, little-endian.
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const PROTOCOL_VERSION: i64 = 1001;

/// The tensors asked for, and the training steps recorded.
pub(super) struct Checkpoint {
    pub step: Option<i64>,
    pub tensors: Vec<Tensor>,
}

pub(super) struct Tensor {
    pub name: &'static str,
    pub shape: &'static [usize],
    /// Contiguous little-endian float32.
    pub data: Vec<u8>,
}

/// A storage's type, as its persistent references name it.
struct StorageRef {
    class: String,
    numel: u64,
}

/// Where a storage's elements lie in the file.
struct Span {
    start: usize,
    count: u64,
}

/// Errors are reasons; the caller names the file.
pub(super) type Reason<T> = std::result::Result<T, String>;

/// Reads the float32 tensors `want` (name, shape) of the checkpoint's
/// `model_state` from legacy checkpoint bytes.
pub(super) fn read_checkpoint(
    data: &[u8],
    want: &[(&'static str, &'static [usize])],
) -> Reason<Checkpoint> {
    let pk = |e: pickle::PickleError| e.to_string();
    let not_torch = "not a legacy torch checkpoint";
    let (magic, pos) = pickle::load(data, 0).map_err(|e| format!("{not_torch}: {e}"))?;
    if magic.get(magic.root()) != &Value::Long(MAGIC.to_vec()) {
        return Err(format!("{not_torch} (wrong magic number)"));
    }
    let (version, pos) = pickle::load(data, pos).map_err(pk)?;
    match version.int(version.root()) {
        Some(PROTOCOL_VERSION) => {}
        v => return Err(format!("unsupported torch protocol version {v:?}")),
    }
    let (sys, pos) = pickle::load(data, pos).map_err(pk)?;
    let little = sys
        .dict_get(sys.root(), "little_endian")
        .map(|id| sys.get(id));
    if little != Some(&Value::Bool(true)) {
        return Err("not saved little-endian".to_string());
    }
    let (main, pos) = pickle::load(data, pos).map_err(pk)?;
    let (keys, pos) = pickle::load(data, pos).map_err(pk)?;
    let spans = storage_spans(data, pos, &main, &keys)?;
    let state = main
        .dict_get(main.root(), "model_state")
        .ok_or("no model_state: not a Resemblyzer encoder checkpoint")?;
    let step = main
        .dict_get(main.root(), "step")
        .and_then(|id| main.int(id));
    let tensors = want
        .iter()
        .map(|(name, shape)| {
            let id = main
                .dict_get(state, name)
                .ok_or_else(|| format!("no tensor {name}: not a Resemblyzer encoder checkpoint"))?;
            let data = tensor(data, &main, id, name, shape, &spans)?;
            Ok(Tensor { name, shape, data })
        })
        .collect::<Reason<Vec<_>>>()?;
    Ok(Checkpoint { step, tensors })
}

/// Every storage referenced in `main`, by key.
fn storage_refs(main: &Pickle) -> Reason<HashMap<&str, StorageRef>> {
    let mut refs = HashMap::new();
    for v in main.values() {
        let Value::Persistent(pid) = v else { continue };
        let (key, class, numel) = persistent(main, *pid)?;
        let old = refs.entry(key).or_insert(StorageRef {
            class: class.to_string(),
            numel,
        });
        if old.class != class || old.numel != numel {
            return Err(format!("storage {key} is described two ways"));
        }
    }
    Ok(refs)
}

/// `('storage', torch.XStorage, key, location, numel, view_metadata)`.
fn persistent(p: &Pickle, pid: pickle::Id) -> Reason<(&str, &str, u64)> {
    let bad = || "unsupported persistent reference (not a torch storage)".to_string();
    let t = p.tuple(pid).ok_or_else(bad)?;
    if t.len() != 6 || p.str(t[0]) != Some("storage") {
        return Err(bad());
    }
    let class = match p.global(t[1]) {
        Some(("torch", class)) => class,
        _ => return Err(bad()),
    };
    let key = p.str(t[2]).ok_or_else(bad)?;
    let numel = p
        .int(t[4])
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(bad)?;
    if p.get(t[5]) != &Value::None {
        return Err(format!("storage {key} is a view, which is not supported"));
    }
    Ok((key, class, numel))
}

fn element_size(class: &str) -> Option<u64> {
    Some(match class {
        "DoubleStorage" | "LongStorage" => 8,
        "FloatStorage" | "IntStorage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "CharStorage" | "ByteStorage" | "BoolStorage" => 1,
        _ => return None,
    })
}

/// Walks the storages after the pickles, in the order of `keys`.
fn storage_spans(
    data: &[u8],
    mut pos: usize,
    main: &Pickle,
    keys: &Pickle,
) -> Reason<HashMap<String, Span>> {
    let refs = storage_refs(main)?;
    let Value::List(ids) = keys.get(keys.root()) else {
        return Err("the storage key list is not a list".to_string());
    };
    let mut spans = HashMap::new();
    for id in ids {
        let key = keys.str(*id).ok_or("a storage key is not a string")?;
        let r = refs
            .get(key)
            .ok_or_else(|| format!("storage {key} is not referenced by any tensor"))?;
        let size = element_size(&r.class)
            .ok_or_else(|| format!("storage {key} has unsupported type {}", r.class))?;
        let head = data
            .get(pos..pos.saturating_add(8))
            .ok_or_else(|| format!("truncated: storage {key} is missing (byte {pos})"))?;
        let count = u64::from_le_bytes(head.try_into().map_err(|_| "bad storage header")?);
        if count != r.numel {
            return Err(format!(
                "storage {key} holds {count} elements, expected {} (byte {pos})",
                r.numel
            ));
        }
        let end = count
            .checked_mul(size)
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| n.checked_add(pos + 8))
            .filter(|end| *end <= data.len())
            .ok_or_else(|| format!("truncated: storage {key} ends past the end of the file"))?;
        spans.insert(
            key.to_string(),
            Span {
                start: pos + 8,
                count,
            },
        );
        pos = end;
    }
    Ok(spans)
}

/// One tensor, checked against `shape` and copied out contiguous.
fn tensor(
    data: &[u8],
    p: &Pickle,
    id: pickle::Id,
    name: &str,
    shape: &[usize],
    spans: &HashMap<String, Span>,
) -> Reason<Vec<u8>> {
    let not_tensor = || format!("{name} is not a tensor");
    let Value::Call { func, args } = p.get(id) else {
        return Err(not_tensor());
    };
    match p.global(*func) {
        Some(("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor")) => {}
        _ => return Err(not_tensor()),
    }
    let a = p
        .tuple(*args)
        .filter(|a| a.len() >= 4)
        .ok_or_else(not_tensor)?;
    let Value::Persistent(pid) = p.get(a[0]) else {
        return Err(not_tensor());
    };
    let (key, class, _) = persistent(p, *pid)?;
    if class != "FloatStorage" {
        return Err(format!("{name} is stored as {class}, not float32"));
    }
    let uint = |id: pickle::Id| p.int(id).and_then(|v| usize::try_from(v).ok());
    let uints =
        |id: pickle::Id| -> Option<Vec<usize>> { p.tuple(id)?.iter().map(|i| uint(*i)).collect() };
    let (Some(offset), Some(size), Some(stride)) = (uint(a[1]), uints(a[2]), uints(a[3])) else {
        return Err(format!("{name} has a malformed offset, size or stride"));
    };
    if size != shape {
        return Err(format!("{name} has shape {size:?}, expected {shape:?}"));
    }
    if stride.len() != size.len() {
        return Err(format!(
            "{name} has {} strides for {} dimensions",
            stride.len(),
            size.len()
        ));
    }
    let span = spans
        .get(key)
        .ok_or_else(|| format!("{name}: storage {key} has no data"))?;
    // The farthest element the view reaches must lie inside the storage.
    let last = size.iter().zip(&stride).try_fold(offset, |acc, (n, s)| {
        acc.checked_add(n.saturating_sub(1).checked_mul(*s)?)
    });
    if last.is_none_or(|l| (l as u64) >= span.count) {
        return Err(format!("{name} reaches past the end of its storage"));
    }
    let n: usize = size.iter().product();
    let mut out = Vec::with_capacity(n * 4);
    let mut index = vec![0usize; size.len()];
    for _ in 0..n {
        let e = offset + index.iter().zip(&stride).map(|(i, s)| i * s).sum::<usize>();
        let at = span.start + 4 * e;
        let bytes = data
            .get(at..at + 4)
            .ok_or_else(|| format!("{name}: element out of range"))?;
        if !f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]).is_finite() {
            return Err(format!("{name} holds a value that is not a finite number"));
        }
        out.extend_from_slice(bytes);
        for d in (0..size.len()).rev() {
            index[d] += 1;
            if index[d] < size[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn s(p: &mut Vec<u8>, text: &str) {
        p.push(b'X');
        p.extend((text.len() as u32).to_le_bytes());
        p.extend(text.as_bytes());
    }

    fn int(p: &mut Vec<u8>, v: i32) {
        p.push(b'J');
        p.extend(v.to_le_bytes());
    }

    fn ints(p: &mut Vec<u8>, values: &[i32]) {
        p.push(b'(');
        values.iter().for_each(|v| int(p, *v));
        p.push(b't');
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`.
    fn tensor(p: &mut Vec<u8>, class: &str, key: &str, numel: i32, view: [&[i32]; 3]) {
        p.extend(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        s(p, "storage");
        p.extend(format!("ctorch\n{class}\n").as_bytes());
        s(p, key);
        s(p, "cpu");
        int(p, numel);
        p.extend(b"NtQ");
        int(p, view[0][0]);
        ints(p, view[1]);
        ints(p, view[2]);
        p.extend(b"\x89ccollections\nOrderedDict\n)RtR");
    }

    const WANT: &[(&str, &[usize])] = &[("a.weight", &[2, 3]), ("a.t", &[3, 2]), ("b", &[2])];

    /// A legacy checkpoint: `a.weight` and its transposed view `a.t` share
    /// storage k0; `b` lies in k1, after a LongStorage k2 of the optimizer.
    fn synthetic() -> Vec<u8> {
        let mut p = vec![0x80, 2, 0x8a, 10];
        p.extend(MAGIC);
        p.extend(b".\x80\x02M\xe9\x03.\x80\x02}(");
        s(&mut p, "little_endian");
        p.extend(b"\x88u.\x80\x02}(");
        s(&mut p, "step");
        p.extend(b"K\x07");
        s(&mut p, "model_state");
        p.extend(b"ccollections\nOrderedDict\n)R(");
        s(&mut p, "a.weight");
        tensor(&mut p, "FloatStorage", "k0", 7, [&[0], &[2, 3], &[3, 1]]);
        s(&mut p, "a.t");
        tensor(&mut p, "FloatStorage", "k0", 7, [&[1], &[3, 2], &[1, 3]]);
        s(&mut p, "b");
        tensor(&mut p, "FloatStorage", "k1", 2, [&[0], &[2], &[1]]);
        p.push(b'u');
        s(&mut p, "optimizer_state");
        tensor(&mut p, "LongStorage", "k2", 1, [&[0], &[1], &[1]]);
        p.extend(b"u.\x80\x02](");
        for key in ["k0", "k2", "k1"] {
            s(&mut p, key);
        }
        p.extend(b"e.");
        p.extend(7u64.to_le_bytes());
        p.extend((0..7).flat_map(|v| (v as f32).to_le_bytes()));
        p.extend(1u64.to_le_bytes());
        p.extend(42i64.to_le_bytes());
        p.extend(2u64.to_le_bytes());
        p.extend([10f32, 11.0].iter().flat_map(|v| v.to_le_bytes()));
        p
    }

    fn floats(t: &Tensor) -> Vec<f32> {
        t.data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn views_are_copied_out_by_offset_and_stride() {
        let c = read_checkpoint(&synthetic(), WANT).unwrap();
        assert_eq!(c.step, Some(7));
        assert_eq!(floats(&c.tensors[0]), [0., 1., 2., 3., 4., 5.]);
        assert_eq!(floats(&c.tensors[1]), [1., 4., 2., 5., 3., 6.]);
        assert_eq!(floats(&c.tensors[2]), [10., 11.]);
    }

    #[test]
    fn wrong_shapes_and_missing_tensors_are_refused() {
        let data = synthetic();
        let e = read_checkpoint(&data, &[("b", &[3])]).err().unwrap();
        assert_eq!(e, "b has shape [2], expected [3]");
        let e = read_checkpoint(&data, &[("c", &[1])]).err().unwrap();
        assert!(e.starts_with("no tensor c"), "{e}");
    }

    /// Every truncation is an error saying so; no flipped byte panics.
    fn damage(data: &[u8], want: &[(&'static str, &'static [usize])], upto: usize, flips: &[u8]) {
        for n in (0..upto).chain([data.len() - 1]) {
            let e = read_checkpoint(&data[..n], want).err().unwrap();
            assert!(e.contains("truncated"), "{n}: {e}");
        }
        let mut d = data.to_vec();
        for i in 0..upto {
            for flip in flips {
                d[i] ^= flip;
                let _ = read_checkpoint(&d, want);
                d[i] ^= flip;
            }
        }
    }

    #[test]
    fn damaged_synthetic_checkpoints_fail_cleanly() {
        let data = synthetic();
        damage(&data, WANT, data.len(), &[0x01, 0x80, 0xff]);
    }

    #[test]
    fn damaged_headers_of_the_real_checkpoint_fail_cleanly() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".cache/assets/resemblyzer-pretrained.pt");
        let data = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e}: run scripts/fetch-test-assets.sh", path.display())
        });
        assert_eq!(
            crate::hash::hex(&Sha256::digest(&data)),
            super::super::KNOWN_SHA256
        );
        let want: &[(&str, &[usize])] = &[("linear.bias", &[256])];
        let c = read_checkpoint(&data, want).unwrap();
        assert_eq!(c.step, Some(1_564_501));
        // The pickles end at byte 6667, where the storages begin.
        damage(&data, want, 6_700, &[0xff]);
    }
}
