//! Cron-grade runs over many inputs: discovery, one writer per output
//! folder, idempotent re-runs (a manifest of what was made from what),
//! resumable stages (the cache), per-file status, a JSON report and
//! Prometheus textfile metrics. One bad input never stops the others.

pub mod cache;
pub mod discover;
pub mod report;
pub mod state;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::ui::Printer;
use report::{FileReport, Status};
use state::{Entry, FolderLock, Manifest};

/// How a batch run behaves, resolved once.
#[derive(Debug, Clone, Default)]
pub struct BatchSettings {
    pub recursive: bool,
    pub force: bool,
    /// Output name pattern with `{stem}`, `{date}`, `{slug}` (no extension).
    pub name: String,
    /// `--no-cache`: neither read nor write the stage cache.
    pub no_cache: bool,
    /// `--cache-dir`; `None` is the default location.
    pub cache_dir: Option<PathBuf>,
    pub wait: bool,
    pub report: Option<PathBuf>,
    pub metrics: Option<PathBuf>,
    pub shard: Option<(u32, u32)>,
}

impl BatchSettings {
    /// The stage cache, unless it is turned off (creates its folder).
    pub fn open_cache(&self) -> Result<Option<cache::Cache>> {
        match self.no_cache {
            true => Ok(None),
            false => cache::Cache::open(self.cache_dir.as_deref()).map(Some),
        }
    }
}

/// Parses `--shard I/N` (0 ≤ I < N).
pub fn parse_shard(text: &str) -> Result<(u32, u32)> {
    let bad = || Error::usage(format!("--shard takes I/N with 0 ≤ I < N, not {text}"));
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n) = (
        i.trim().parse::<u32>().map_err(|_| bad())?,
        n.trim().parse::<u32>().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// A batch in progress: holds the folder lock until dropped.
pub struct Run<'a> {
    settings: &'a BatchSettings,
    out_dir: Option<PathBuf>,
    _lock: Option<FolderLock>,
    manifest: Manifest,
    settings_hash: String,
    files: Vec<FileReport>,
    started: Instant,
    printer: &'a Printer,
    /// stdout was closed by its reader: no further input is worked on.
    closed: bool,
    /// The class of the first failure, which decides the exit code.
    first_failure: Option<ErrorKind>,
}

/// What processing one input produced.
pub struct Made {
    pub output: Option<PathBuf>,
    pub report: FileReport,
}

impl<'a> Run<'a> {
    /// Locks the output folder (if any), sweeps a killed run's temporary files, loads the manifest.
    pub fn start(
        settings: &'a BatchSettings,
        out_dir: Option<&Path>,
        settings_hash: String,
        printer: &'a Printer,
    ) -> Result<Self> {
        let lock = match out_dir {
            Some(d) => Some(FolderLock::take(d, settings.wait)?),
            None => None,
        };
        if let Some(d) = out_dir {
            let swept = state::sweep_temporaries(d);
            if swept > 0 {
                printer.status(format!(
                    "removed {swept} temporary files left by an interrupted run"
                ));
            }
        }
        let manifest = out_dir.map(Manifest::load).unwrap_or_default();
        Ok(Run {
            settings,
            out_dir: out_dir.map(Path::to_path_buf),
            _lock: lock,
            manifest,
            settings_hash,
            files: Vec::new(),
            started: Instant::now(),
            printer,
            closed: false,
            first_failure: None,
        })
    }

    /// Inputs after sharding.
    pub fn select(&self, inputs: Vec<PathBuf>) -> Vec<PathBuf> {
        match self.settings.shard {
            Some(shard) => inputs
                .into_iter()
                .filter(|p| discover::in_shard(p, shard))
                .collect(),
            None => inputs,
        }
    }

    /// Runs `work` on `input` unless the manifest says it is done; records the outcome.
    /// `work` gets the input's content hash (with an output folder) and the
    /// names other inputs' outputs already have.
    pub fn process(
        &mut self,
        input: &Path,
        work: impl FnOnce(Option<&str>, &Names<'_>) -> Result<Made>,
    ) {
        if self.closed {
            return;
        }
        let started = Instant::now();
        let hashed = match &self.out_dir {
            Some(_) => match self.manifest.input_hash(input) {
                Ok(h) => Some(h),
                Err(err) => return self.failed(input, err, started),
            },
            None => None,
        };
        if let (Some((hash, _, _)), false) = (&hashed, self.settings.force)
            && let Some(output) = self.manifest.done_output(input, hash, &self.settings_hash)
        {
            self.printer.status(format!(
                "skipped {} (unchanged; {})",
                input.display(),
                output.display()
            ));
            self.files.push(FileReport::new(
                input,
                Status::Skipped,
                Some(output),
                started,
            ));
            return;
        }
        let names = Names {
            manifest: &self.manifest,
            input,
            printer: self.printer,
        };
        match work(hashed.as_ref().map(|h| h.0.as_str()), &names) {
            Ok(made) => {
                if let (Some((hash, size, mtime)), Some(output)) = (hashed, &made.output) {
                    self.manifest.record(Entry {
                        input: input.to_path_buf(),
                        input_sha256: hash,
                        input_size: size,
                        input_mtime_ns: mtime,
                        settings_sha256: self.settings_hash.clone(),
                        output: output.clone(),
                    });
                    if let Some(dir) = &self.out_dir
                        && let Err(err) = self.manifest.save(dir)
                    {
                        return self.failed(input, err, started);
                    }
                }
                if let Some(output) = &made.output {
                    self.printer
                        .status(format!("done {} → {}", input.display(), output.display()));
                }
                self.files.push(made.report);
            }
            Err(err) if err.kind() == ErrorKind::StdoutClosed => {
                // The document was made; its reader left before taking all of it.
                self.closed = true;
                self.files
                    .push(FileReport::new(input, Status::Done, None, started));
            }
            Err(err) => self.failed(input, err, started),
        }
    }

    fn failed(&mut self, input: &Path, err: Error, started: Instant) {
        if !err.message().is_empty() {
            self.printer.error(err.message(), err.hint());
        }
        let mut r = FileReport::new(input, Status::Failed, None, started);
        r.error = Some(err.message().to_string());
        r.exit_code = Some(err.kind().exit_code());
        self.first_failure.get_or_insert(err.kind());
        self.files.push(r);
    }

    /// Writes the report and metrics; fails (with the first failure's class) if any input failed.
    pub fn finish(self) -> Result<()> {
        if let Some(path) = &self.settings.report {
            report::write_report(path, &self.files, self.started)?;
        }
        if let Some(path) = &self.settings.metrics {
            report::write_metrics(path, &self.files, self.started)?;
        }
        let failed = self
            .files
            .iter()
            .filter(|f| f.status == Status::Failed)
            .count();
        match self.first_failure {
            None => Ok(()),
            Some(kind) if self.files.len() == 1 => Err(Error::new(kind, String::new())),
            Some(kind) => Err(Error::new(
                kind,
                format!("{failed} of {} inputs failed", self.files.len()),
            )),
        }
    }
}

/// The output names of the other inputs of an output folder.
pub struct Names<'a> {
    manifest: &'a Manifest,
    input: &'a Path,
    printer: &'a Printer,
}

impl Names<'_> {
    /// `wanted`, or `STEM-2.EXT`, `STEM-3.EXT`, … when the manifest says that
    /// name belongs to another input's output (two `meeting.mp4` in different
    /// folders, two meetings with the same title): one input never
    /// overwrites another's minutes, and each keeps its name on later runs.
    pub fn free(&self, wanted: PathBuf) -> PathBuf {
        let taken = |p: &Path| {
            self.manifest
                .owner_of(p.file_name().unwrap_or_default())
                .is_some_and(|owner| !state::same_input(owner, self.input))
        };
        if !taken(&wanted) {
            return wanted;
        }
        let stem = wanted
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = wanted
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let free = (2..)
            .map(|n| wanted.with_file_name(format!("{stem}-{n}{ext}")))
            .find(|p| !taken(p))
            .expect("an unused name");
        self.printer.warn(format!(
            "{} already holds the output of another input; writing {} instead",
            wanted.display(),
            free.display()
        ));
        free
    }
}

/// The output file name for an input: the `--name` pattern filled in.
pub fn output_name(pattern: &str, input: &Path, date: &str, title: &str, ext: &str) -> String {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "minutes".into());
    let name = pattern
        .replace("{stem}", &stem)
        .replace("{date}", date)
        .replace(
            "{slug}",
            &slug(if title.is_empty() { &stem } else { title }),
        );
    let name: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    format!("{}.{ext}", name.trim_start_matches('.'))
}

/// A URL- and file-name-safe form of a title; keeps letters of any script (Korean too).
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let cut: String = out.chars().take(80).collect();
    if cut.is_empty() {
        "minutes".into()
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_slugs() {
        assert_eq!(
            slug("Weekly sync: Budget & Plans!"),
            "weekly-sync-budget-plans"
        );
        assert_eq!(slug("주간 회의: 예산"), "주간-회의-예산");
        assert_eq!(slug("!!!"), "minutes");
        let n = output_name(
            "{date}-{slug}",
            Path::new("/r/call.mp4"),
            "2026-11-25",
            "Q3 review",
            "md",
        );
        assert_eq!(n, "2026-11-25-q3-review.md");
        assert_eq!(
            output_name("{stem}", Path::new("a/b.wav"), "", "", "txt"),
            "b.txt"
        );
        assert_eq!(
            output_name("{stem}/../x", Path::new("b.wav"), "", "", "md"),
            "b-..-x.md"
        );
    }

    #[test]
    fn shards_parse() {
        assert_eq!(parse_shard("1/3").unwrap(), (1, 3));
        assert!(
            parse_shard("3/3").is_err() && parse_shard("x").is_err() && parse_shard("0/0").is_err()
        );
    }
}
