//! `minutes models`: list, locate, download and import speech models.

use crate::cli::ModelsCommand;
use crate::error::Result;
use crate::settings::Common;
use crate::stt::{download, import, registry};
use crate::ui::Printer;

pub fn run(cmd: ModelsCommand, common: &Common, printer: &Printer) -> Result<()> {
    let dir = &common.models_dir;
    match cmd {
        ModelsCommand::List => list(common),
        ModelsCommand::Path { name: None } => line(&dir.display().to_string()),
        ModelsCommand::Path { name: Some(name) } => {
            line(&dir.join(registry::file_name(&name)).display().to_string())
        }
        ModelsCommand::Pull { name, force } => {
            if registry::known(&name).is_none() {
                printer.warn(format!(
                    "{name} is not a known model name; trying to pull it anyway"
                ));
            }
            let path = download::pull(&name, dir, force, printer)?;
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

/// A table of known and present models: name, size, whether present.
fn list(common: &Common) -> Result<()> {
    let present = registry::present(&common.models_dir);
    let mut out = format!("{:<24} {:>10}  {}\n", "NAME", "SIZE", "PRESENT");
    for k in registry::KNOWN {
        let found = present.iter().find(|(n, _, _)| n == k.name);
        let size = match found {
            Some((_, _, bytes)) => mib(*bytes),
            None => format!("~{} MiB", k.mib),
        };
        let mark = found
            .map(|(_, p, _)| p.display().to_string())
            .unwrap_or_default();
        out.push_str(&format!("{:<24} {:>10}  {}\n", k.name, size, mark));
    }
    for (name, path, bytes) in present
        .iter()
        .filter(|(n, _, _)| registry::known(n).is_none())
    {
        out.push_str(&format!(
            "{:<24} {:>10}  {}\n",
            name,
            mib(*bytes),
            path.display()
        ));
    }
    crate::sink::stdout(out.as_bytes())
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", (bytes as f64 / 1_048_576.0).round() as u64)
}
