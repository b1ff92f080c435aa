//! The zip torch checkpoint format (`torch.save` since 1.6), read without
//! Python.
//!
//! The file is a zip archive with one top folder: `data.pkl`, a pickle of
//! the saved object (here a state dict, name → tensor), and `data/<key>`,
//! one entry per storage, holding its raw little-endian elements. A tensor
//! in the pickle is a call of `torch._utils._rebuild_tensor_v2` on a
//! persistent reference `('storage', torch.FloatStorage, key, location,
//! numel)` with an offset, a size and a stride; several tensors may be
//! views into one storage, so each is copied out contiguous after checking
//! that the view stays inside its storage. Every length and index is
//! checked before use, so a damaged file is an error that says what is
//! wrong, never a panic.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use crate::speakers::pickle::{self, Pickle, Value};

pub(super) struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    /// Contiguous little-endian float32.
    pub data: Vec<u8>,
}

/// Errors are reasons; the caller names the file.
pub(super) type Reason<T> = std::result::Result<T, String>;

/// The largest pickle read (the real one is 133 kB).
const MAX_PICKLE: u64 = 16 << 20;

/// Whether `bytes` look like a zip torch checkpoint (a zip with a `data.pkl`).
pub(super) fn is_checkpoint(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes)).is_ok_and(|z| pickle_entry(&z).is_some())
}

fn pickle_entry<R: Read + std::io::Seek>(zip: &zip::ZipArchive<R>) -> Option<String> {
    zip.file_names()
        .filter_map(|n| n.ok())
        .find(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
        .map(|n| n.into_owned())
}

/// Reads the float32 tensors `want` (name, shape) of the state dict saved
/// in the checkpoint `data`.
pub(super) fn read_checkpoint(data: &[u8], want: &[(String, Vec<usize>)]) -> Reason<Vec<Tensor>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data))
        .map_err(|e| format!("not a torch checkpoint (not a readable zip file: {e})"))?;
    let pkl = pickle_entry(&zip).ok_or("not a torch checkpoint (no data.pkl inside)")?;
    let prefix = pkl.trim_end_matches("data.pkl").to_string();
    if let Ok(mut order) = zip.by_name(&format!("{prefix}byteorder")) {
        let mut text = String::new();
        (&mut order)
            .take(16)
            .read_to_string(&mut text)
            .map_err(|e| format!("byteorder: {e}"))?;
        if text.trim() != "little" {
            return Err(format!("saved {} endian, not little", text.trim()));
        }
    }
    let bytes = read_entry(&mut zip, &pkl, MAX_PICKLE)?;
    let (p, _) = pickle::load(&bytes, 0).map_err(|e| format!("data.pkl: {e}"))?;
    if !matches!(p.get(p.root()), Value::Dict(_)) {
        return Err("data.pkl does not hold a state dict".to_string());
    }
    let mut storages: HashMap<String, Vec<u8>> = HashMap::new();
    want.iter()
        .map(|(name, shape)| {
            let id = p
                .dict_get(p.root(), name)
                .ok_or_else(|| format!("no tensor {name}"))?;
            let data = tensor(&mut zip, &prefix, &p, id, name, shape, &mut storages)?;
            Ok(Tensor {
                name: name.clone(),
                shape: shape.clone(),
                data,
            })
        })
        .collect()
}

fn read_entry<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    max: u64,
) -> Reason<Vec<u8>> {
    let mut entry = zip
        .by_name(name)
        .map_err(|e| format!("{name}: missing or unreadable: {e}"))?;
    if entry.size() > max {
        return Err(format!(
            "{name}: {} bytes is more than expected",
            entry.size()
        ));
    }
    let mut out = Vec::with_capacity(entry.size() as usize);
    (&mut entry)
        .take(max)
        .read_to_end(&mut out)
        .map_err(|e| format!("{name}: truncated or corrupt: {e}"))?;
    Ok(out)
}

/// `('storage', torch.XStorage, key, location, numel)`.
fn persistent(p: &Pickle, pid: pickle::Id) -> Reason<(&str, &str, u64)> {
    let bad = || "unsupported persistent reference (not a torch storage)".to_string();
    let t = p.tuple(pid).ok_or_else(bad)?;
    if t.len() != 5 || p.str(t[0]) != Some("storage") {
        return Err(bad());
    }
    let class = match p.global(t[1]) {
        Some(("torch", class)) => class,
        _ => return Err(bad()),
    };
    let key = p.str(t[2]).ok_or_else(bad)?;
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("storage key {key:?} is not a plain name"));
    }
    let numel = p
        .int(t[4])
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(bad)?;
    Ok((key, class, numel))
}

/// One tensor, checked against `shape` and copied out contiguous.
fn tensor<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    prefix: &str,
    p: &Pickle,
    id: pickle::Id,
    name: &str,
    shape: &[usize],
    storages: &mut HashMap<String, Vec<u8>>,
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
    let (key, class, numel) = persistent(p, *pid)?;
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
    if !storages.contains_key(key) {
        let bytes = numel.checked_mul(4).ok_or("absurd storage size")?;
        let data = read_entry(zip, &format!("{prefix}data/{key}"), bytes)?;
        if data.len() as u64 != bytes {
            return Err(format!(
                "truncated: storage {key} holds {} bytes, expected {bytes}",
                data.len()
            ));
        }
        storages.insert(key.to_string(), data);
    }
    let storage = &storages[key];
    // The farthest element the view reaches must lie inside the storage.
    let last = size.iter().zip(&stride).try_fold(offset, |acc, (n, s)| {
        acc.checked_add(n.saturating_sub(1).checked_mul(*s)?)
    });
    if last.is_none_or(|l| (l as u64) >= numel) {
        return Err(format!("{name} reaches past the end of its storage"));
    }
    let n: usize = size.iter().product();
    let mut out = Vec::with_capacity(n * 4);
    let mut index = vec![0usize; size.len()];
    for _ in 0..n {
        let e = offset + index.iter().zip(&stride).map(|(i, s)| i * s).sum::<usize>();
        let bytes = &storage[4 * e..4 * e + 4];
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
    use std::io::Write;

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
        p.extend(b"tQ");
        int(p, view[0][0]);
        ints(p, view[1]);
        ints(p, view[2]);
        p.extend(b"\x89ccollections\nOrderedDict\n)RtR");
    }

    fn want() -> Vec<(String, Vec<usize>)> {
        vec![
            ("a.weight".into(), vec![2, 3]),
            ("a.t".into(), vec![3, 2]),
            ("b".into(), vec![2]),
        ]
    }

    /// A state dict: `a.weight` and its transposed view `a.t` share storage
    /// 0; `b` lies in storage 1; a LongStorage 2 holds a step count.
    fn synthetic() -> Vec<u8> {
        let mut p = b"\x80\x02}(".to_vec();
        s(&mut p, "a.weight");
        tensor(&mut p, "FloatStorage", "0", 7, [&[0], &[2, 3], &[3, 1]]);
        s(&mut p, "a.t");
        tensor(&mut p, "FloatStorage", "0", 7, [&[1], &[3, 2], &[1, 3]]);
        s(&mut p, "b");
        tensor(&mut p, "FloatStorage", "1", 2, [&[0], &[2], &[1]]);
        s(&mut p, "steps");
        tensor(&mut p, "LongStorage", "2", 1, [&[0], &[1], &[1]]);
        p.extend(b"u.");
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut put = |name: &str, bytes: &[u8]| {
            zip.start_file(name, stored).unwrap();
            zip.write_all(bytes).unwrap();
        };
        put("archive/data.pkl", &p);
        put("archive/byteorder", b"little");
        put(
            "archive/data/0",
            &(0..7)
                .flat_map(|v| (v as f32).to_le_bytes())
                .collect::<Vec<_>>(),
        );
        put(
            "archive/data/1",
            &[10f32, 11.0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<_>>(),
        );
        put("archive/data/2", &42i64.to_le_bytes());
        zip.finish().unwrap().into_inner()
    }

    fn floats(t: &Tensor) -> Vec<f32> {
        t.data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn views_are_copied_out_by_offset_and_stride() {
        let data = synthetic();
        assert!(is_checkpoint(&data));
        let t = read_checkpoint(&data, &want()).unwrap();
        assert_eq!(floats(&t[0]), [0., 1., 2., 3., 4., 5.]);
        assert_eq!(floats(&t[1]), [1., 4., 2., 5., 3., 6.]);
        assert_eq!(floats(&t[2]), [10., 11.]);
    }

    #[test]
    fn wrong_shapes_types_and_missing_tensors_are_refused() {
        let data = synthetic();
        let e = read_checkpoint(&data, &[("b".into(), vec![3])])
            .err()
            .unwrap();
        assert_eq!(e, "b has shape [2], expected [3]");
        let e = read_checkpoint(&data, &[("c".into(), vec![1])])
            .err()
            .unwrap();
        assert_eq!(e, "no tensor c");
        let e = read_checkpoint(&data, &[("steps".into(), vec![1])])
            .err()
            .unwrap();
        assert_eq!(e, "steps is stored as LongStorage, not float32");
    }

    /// Every truncation is an error; no flipped byte panics.
    fn damage(data: &[u8], want: &[(String, Vec<usize>)], bytes: impl Iterator<Item = usize>) {
        let mut d = data.to_vec();
        for i in bytes {
            assert!(
                read_checkpoint(&data[..i], want).is_err(),
                "truncated at {i}"
            );
            for flip in [0x01, 0x80, 0xff] {
                d[i] ^= flip;
                let _ = read_checkpoint(&d, want);
                d[i] ^= flip;
            }
        }
    }

    #[test]
    fn damaged_synthetic_checkpoints_fail_cleanly() {
        let data = synthetic();
        damage(&data, &want(), 0..data.len());
    }

    #[test]
    fn the_real_checkpoint_reads_and_its_damaged_pickle_fails_cleanly() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".cache/assets/campplus_cn_en_common.pt");
        let data = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e}: run scripts/fetch-test-assets.sh", path.display())
        });
        assert_eq!(
            crate::hash::hex(&Sha256::digest(&data)),
            super::super::KNOWN_SHA256
        );
        let want = minutes_voice::campplus::tensor_shapes();
        let t = read_checkpoint(&data, &want).unwrap();
        assert_eq!(t.len(), 815);
        // The pickle is the first entry; damage its first kilobytes.
        damage(&data, &want[..3], 0..600);
    }
}
