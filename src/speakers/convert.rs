//! Resemblyzer's GE2E speaker encoder → a plain safetensors file
//! (`minutes models import FILE.pt`, `minutes models pull speakers-ge2e`).
//!
//! Telling apart the voices of a one-channel recording needs a voice
//! embedding. Resemblyzer's encoder (three 256-unit LSTM layers over 40 mel
//! bands, then a 256×256 projection) is small (5 MiB), Apache-2.0 and on
//! PyPI, but its weights are a legacy torch pickle: only Python reads that,
//! and reading it runs code. So the checkpoint is converted once, by a
//! reader that runs nothing (`legacy`, over `pickle`), into safetensors — a
//! JSON header and raw little-endian arrays — which the encoder loads at run
//! time. Only the encoder's tensors are kept, each checked against the shape
//! the encoder expects; the step count, the similarity scale and the
//! optimizer state are dropped. The source's SHA-256 goes into the file's
//! metadata, so a model can be traced to the checkpoint it came from.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};

mod legacy;

/// The model's name in `minutes models` commands.
pub const NAME: &str = "speakers-ge2e";
pub const MODEL_FILE: &str = "speakers-ge2e.safetensors";
/// The `format` metadata of the files written here; bump it when the layout changes.
pub const FORMAT: &str = "minutes-ge2e-1";
/// SHA-256 of `resemblyzer/pretrained.pt` in Resemblyzer 0.1.4 (the only release checked).
pub const KNOWN_SHA256: &str = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e";

/// Where PyPI serves files from; `MINUTES_SPEAKER_MODELS_URL` overrides it (mirrors, tests).
pub const DEFAULT_BASE_URL: &str = "https://files.pythonhosted.org/packages";
pub const WHEEL_PATH: &str = "d9/b5/d897d5de5b2123a1ad5d32e8e007d83f76582f5c32c60992577263bd7c7e/Resemblyzer-0.1.4-py3-none-any.whl";
pub const WHEEL_FILE: &str = "Resemblyzer-0.1.4-py3-none-any.whl";
pub const WHEEL_SHA256: &str = "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f";
/// The checkpoint's place inside the wheel.
pub const WHEEL_ENTRY: &str = "resemblyzer/pretrained.pt";

/// The tensors the encoder needs, with their PyTorch names and shapes.
pub const TENSORS: &[(&str, &[usize])] = &[
    ("lstm.weight_ih_l0", &[1024, 40]),
    ("lstm.weight_hh_l0", &[1024, 256]),
    ("lstm.bias_ih_l0", &[1024]),
    ("lstm.bias_hh_l0", &[1024]),
    ("lstm.weight_ih_l1", &[1024, 256]),
    ("lstm.weight_hh_l1", &[1024, 256]),
    ("lstm.bias_ih_l1", &[1024]),
    ("lstm.bias_hh_l1", &[1024]),
    ("lstm.weight_ih_l2", &[1024, 256]),
    ("lstm.weight_hh_l2", &[1024, 256]),
    ("lstm.bias_ih_l2", &[1024]),
    ("lstm.bias_hh_l2", &[1024]),
    ("linear.weight", &[256, 256]),
    ("linear.bias", &[256]),
];

/// Far above the real file (17 MB): refuse to read anything much larger.
const MAX_BYTES: u64 = 256 << 20;

#[derive(Debug, Serialize)]
pub struct ConvertSummary {
    pub output: PathBuf,
    /// SHA-256 of the `.pt` file converted (inside the wheel, for a wheel).
    pub source_sha256: String,
    /// Whether that is Resemblyzer 0.1.4's checkpoint.
    pub known_source: bool,
    /// Training steps recorded in the checkpoint.
    pub step: Option<i64>,
    pub tensors: usize,
    pub parameters: usize,
    pub bytes: u64,
}

/// The converted model's place in the models directory.
pub fn model_path(models_dir: &Path) -> PathBuf {
    models_dir.join(MODEL_FILE)
}

/// Whether `path` is a file to hand to [`convert`] (a `.pt`/`.pth` or a
/// wheel, by name or by its first bytes) rather than a Whisper model directory.
pub fn is_checkpoint(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("pt" | "pth" | "whl")) {
        return true;
    }
    let mut head = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    read.is_ok() && (head == [0x80, 0x02, 0x8a, 0x0a] || head == *b"PK\x03\x04")
}

/// Where to download the Resemblyzer wheel from, and how to check it.
pub fn wheel_source() -> crate::download::Source<'static> {
    let base = crate::env::speaker_models_url().unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    crate::download::Source {
        name: NAME,
        url: format!("{}/{WHEEL_PATH}", base.trim_end_matches('/')),
        known: true,
        sha1: None,
        sha256: Some(WHEEL_SHA256),
        size: None,
        magic: b"PK\x03\x04",
    }
}

/// Converts the checkpoint `pt` (a legacy `.pt`, or the Resemblyzer wheel
/// holding one) and writes the encoder's tensors atomically to `out`.
pub fn convert(pt: &Path, out: &Path) -> Result<ConvertSummary> {
    let meta = std::fs::metadata(pt).map_err(|e| Error::read(pt, &e))?;
    if !meta.is_file() {
        return Err(Error::file(ErrorKind::BadInput, pt, "not a file"));
    }
    if meta.len() > MAX_BYTES {
        return Err(Error::file(
            ErrorKind::BadInput,
            pt,
            format!(
                "{} bytes is too large for a speaker encoder checkpoint",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(pt).map_err(|e| Error::read(pt, &e))?;
    let (data, label) = if bytes.starts_with(b"PK\x03\x04") {
        (
            from_wheel(pt, &bytes)?,
            format!("{}: {WHEEL_ENTRY}", pt.display()),
        )
    } else {
        (bytes, pt.display().to_string())
    };
    let sha256 = crate::hash::hex(&Sha256::digest(&data));
    let ckpt = legacy::read_checkpoint(&data, TENSORS)
        .map_err(|reason| Error::new(ErrorKind::BadInput, format!("{label}: {reason}")))?;
    let views = ckpt
        .tensors
        .iter()
        .map(|t| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, t.shape.to_vec(), &t.data)
                .map(|v| (t.name, v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::internal(format!("safetensors view: {e}")))?;
    let metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("source_sha256".to_string(), sha256.clone()),
    ]);
    let file = safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::internal(format!("safetensors: {e}")))?;
    crate::sink::write_atomic(out, &file)?;
    Ok(ConvertSummary {
        output: out.to_path_buf(),
        known_source: sha256 == KNOWN_SHA256,
        source_sha256: sha256,
        step: ckpt.step,
        tensors: ckpt.tensors.len(),
        parameters: ckpt.tensors.iter().map(|t| t.data.len() / 4).sum(),
        bytes: file.len() as u64,
    })
}

/// The checkpoint inside a Resemblyzer wheel (a zip; the entry is deflated).
fn from_wheel(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let bad = |reason: String| Error::file(ErrorKind::BadInput, path, reason);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip file: {e}")))?;
    let mut entry = zip.by_name(WHEEL_ENTRY).map_err(|_| {
        bad(format!(
            "no {WHEEL_ENTRY} inside: not a Resemblyzer wheel (zip-format torch checkpoints are not supported)"
        ))
    })?;
    let mut out = Vec::new();
    (&mut entry)
        .take(MAX_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("{WHEEL_ENTRY}: corrupt: {e}")))?;
    if out.len() as u64 >= MAX_BYTES {
        return Err(bad(format!("{WHEEL_ENTRY} is too large")));
    }
    Ok(out)
}
