//! The history of suite results: a JSON Lines file, one [`Entry`] a line
//! for each prompt set and model of each run, appended, never rewritten,
//! so a prompt change can be set against every run before it (`minutes
//! eval history`), and read by `jq` as well.
//!
//! A run's lines are appended together once every row is scored: a run that
//! fails appends nothing. They go in one `write` to a file opened for
//! appending, under an exclusive lock, so two runs finishing at once do not
//! interleave; a write that fails half-way (a full disk) is cut back to the
//! file's length before it, so no partial line is left. The file is opened
//! before the first LLM call, so a history that cannot be written costs no
//! tokens.
//!
//! A line is keyed by the prompt set's name, stage versions and hash (the
//! hash `summarize` records in its provenance), the model and how it was
//! reached, the settings that shape minutes, and the date and time with the
//! local offset (RFC 3339). Fields are only ever added (`format` says which
//! shape a line has); unknown ones are ignored when read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CaseScores, Totals};
use crate::error::{Error, ErrorKind, Result};
use crate::llm::Usage;

/// The shape of the lines written now.
pub const FORMAT: u32 = 1;

/// The history file's name under the data directory.
pub const FILE_NAME: &str = "eval-history.jsonl";

/// `$XDG_DATA_HOME/minutes/eval-history.jsonl` (or the platform's data folder).
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().ok()?;
    Some(base.data_dir().join("minutes").join(FILE_NAME))
}

/// One prompt set and model of one run of a suite: what ran, how it scored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub format: u32,
    /// When the run started: RFC 3339 with the local offset, to the second.
    pub date: String,
    /// The suite's folder (absolute where it could be resolved).
    pub suite: String,
    pub prompts: PromptsId,
    pub model: String,
    pub llm: LlmId,
    pub settings: RunSettings,
    /// The judge, when one scored the minutes.
    #[serde(default)]
    pub judge: Option<JudgeId>,
    pub totals: Totals,
    pub cases: Vec<CaseScores>,
    /// Tokens the summariser spent on this row.
    pub usage: Usage,
    /// Tokens the judge spent on this row; `None` without a judge.
    #[serde(default)]
    pub judge_usage: Option<Usage>,
    /// Wall time of this row.
    pub seconds: f64,
    /// The `minutes` version that ran.
    pub version: String,
}

/// A prompt set as `summarize`'s provenance names it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PromptsId {
    pub name: String,
    /// `stage@version` of each stage.
    pub versions: String,
    /// First 12 hex digits of the SHA-256 of every stage's text.
    pub hash: String,
}

/// How the model was reached.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LlmId {
    /// `url` (a server named by its URL), `openai`, or `local` (the bundled model).
    pub kind: String,
    /// The server's URL; `local` for the bundled model.
    pub url: String,
}

/// The settings that shape the minutes, beside the prompts and the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunSettings {
    /// The language asked for (`-l`); `None`: each meeting's.
    pub language: Option<String>,
    pub temperature: f32,
    pub seed: Option<u32>,
    pub chunk_tokens: usize,
    /// Whether personal data was replaced before the LLM saw it.
    pub redact: bool,
    /// Whether the transcripts were corrected first (`--no-correct`: not).
    #[serde(default = "yes")]
    pub correct: bool,
}

/// Lines written before `correct` was recorded ran the correction.
fn yes() -> bool {
    true
}

/// The judge of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JudgeId {
    pub model: String,
    pub url: String,
    /// The rubric's hash.
    pub rubric: String,
    /// The hash of the prompt by which the judge matched expected facts
    /// (recall is then the judge's, not by words).
    #[serde(default)]
    pub matching: Option<String>,
}

/// The history, open for appending.
pub struct History {
    path: PathBuf,
    file: File,
}

impl History {
    /// Opens (or creates, with its folder) the history for appending.
    pub fn open(path: &Path) -> Result<History> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                let why = format!("cannot make its folder: {}", crate::error::io_reason(&e));
                Error::file(ErrorKind::CannotWrite, path, why)
            })?;
        }
        let file = File::options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::write(path, &e))?;
        Ok(History {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line per entry, all in one write under an exclusive
    /// lock, then flushes them to disk. On failure the file is cut back to
    /// what it held before: no line, and no part of one, is added.
    pub fn append(&mut self, entries: &[Entry]) -> Result<()> {
        let fail = |e: &std::io::Error| Error::write(&self.path, e);
        self.file.lock().map_err(|e| fail(&e))?;
        let before = self.file.metadata().map_err(|e| fail(&e))?.len();
        let mut text = String::new();
        // A file edited by hand may lack its last newline.
        if before > 0 && self.last_byte().map_err(|e| fail(&e))? != b'\n' {
            text.push('\n');
        }
        for entry in entries {
            let line = serde_json::to_string(entry)
                .map_err(|e| Error::internal(format!("history entry: {e}")))?;
            text.push_str(&line);
            text.push('\n');
        }
        let written = (&self.file)
            .write_all(text.as_bytes())
            .and_then(|_| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(before);
            let _ = self.file.unlock();
            return Err(fail(&e));
        }
        self.file.unlock().map_err(|e| fail(&e))
    }

    fn last_byte(&self) -> std::io::Result<u8> {
        let mut byte = [0u8];
        let mut f = &self.file;
        f.seek(SeekFrom::End(-1))?;
        f.read_exact(&mut byte)?;
        Ok(byte[0])
    }
}

/// Every entry of the history at `path`, in the order appended. A line
/// that is not an entry fails the whole read, naming the file and line:
/// a listing with a run silently missing would mislead.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let bytes = std::fs::read(path).map_err(|e| {
        let err = Error::read(path, &e);
        match err.kind() {
            ErrorKind::MissingInput => {
                err.with_hint("`minutes eval suite` appends its results to it")
            }
            _ => err,
        }
    })?;
    let mut entries = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let at = || format!("{}:{}", path.display(), i + 1);
        let line = std::str::from_utf8(line)
            .map_err(|_| Error::new(ErrorKind::BadInput, format!("{}: not UTF-8 text", at())))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(line).map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("{}: not a suite result: {e}", at()),
            )
            .with_hint("remove or repair that line; the others are kept as they are")
        })?;
        entries.push(entry);
    }
    Ok(entries)
}
