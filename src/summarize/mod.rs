//! From transcript segments to minutes: correct → chunk → map (concurrent)
//! → collapse (while too long) → reduce.
//!
//! Every LLM call of every stage takes one permit from a single semaphore of
//! `--jobs` permits, so concurrency is bounded once for the whole run. Map
//! calls start as soon as a chunk's worth of segments has arrived, while
//! transcription is still going. No chunk is silently lost: one that cannot
//! be summarised fails the run, unless partial minutes are allowed, and then
//! the minutes say which time ranges are missing.

pub mod call;
mod checks;
pub mod chunk;
pub mod correct;
mod dues;
mod echo;
pub mod evidence;
mod examples;
pub mod language;
mod pipeline;
pub mod prompts;
pub mod schema;
mod specifics;

use serde::Serialize;

pub use pipeline::{Summary, run};

/// How to summarise, as asked; what depends on the LLM chosen (concurrency
/// and chunk defaults of a local or a large model) is settled when the
/// command has chosen it ([`Options::new`]).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// The language code of the minutes asked for, if any (front matter).
    pub language: Option<String>,
    /// How the prompts name the language asked for; `None`: the recording's.
    pub language_name: Option<String>,
    pub correct: bool,
    pub chunk_tokens: Option<usize>,
    pub jobs: Option<usize>,
    pub allow_partial: bool,
    /// `--keep-unverified`: items whose evidence is not found stay, marked.
    pub keep_unverified: bool,
    /// Sampling temperature of every LLM call (0–2).
    pub temperature: f32,
    /// `--seed`, sent where the server supports it.
    pub seed: Option<u32>,
}

/// Runs the pipeline over a transcript already in memory (a saved one, as
/// `eval suite` summarises its cases): every segment is there at once, and
/// no stage cache is used, so each run asks the LLM afresh.
pub async fn run_transcript<L: crate::llm::Llm>(
    llm: &L,
    prompts: &prompts::PromptSet,
    opts: &Options,
    transcript: &crate::transcript::Transcript,
    on_event: &(dyn Fn(Event) + Send + Sync),
) -> crate::error::Result<Summary> {
    let (tx, rx) = tokio::sync::mpsc::channel(transcript.segments.len().max(1));
    for segment in &transcript.segments {
        // The channel holds them all: nothing is waiting on the other side yet.
        let _ = tx.try_send(segment.clone());
    }
    drop(tx);
    let recording = transcript.clone();
    run(
        llm,
        prompts,
        opts,
        None,
        rx,
        async { Ok(recording) },
        on_event,
    )
    .await
}

/// How to summarise, resolved once.
#[derive(Debug, Clone)]
pub struct Options {
    /// The language asked for (`-l`), as the prompts name it ("Korean
    /// (한국어)"); `None`: the recording's (see `language`).
    pub language: Option<String>,
    pub correct: bool,
    pub glossary: String,
    /// Largest share of words a correction may change before it is rejected.
    pub max_correction: f64,
    pub chunk_tokens: usize,
    /// Input budget of one collapse or reduce call.
    pub reduce_tokens: usize,
    pub jobs: usize,
    pub allow_partial: bool,
    /// Keep (and mark) decisions, action items and questions whose evidence
    /// is not in the transcript, instead of dropping them.
    pub keep_unverified: bool,
    pub max_output_tokens: u32,
    pub temperature: f32,
    pub seed: Option<u32>,
    /// The language code of the minutes asked for (`-l`). Names and dates
    /// never said are removed when the minutes are in the recording's
    /// language (detected or stated): in another one they may be transliterated.
    pub language_code: Option<String>,
    /// Personal data to placeholders before any LLM call (with these extra
    /// terms), back in the minutes; `None`: the transcript goes as it is.
    pub redact: Option<Vec<String>>,
    /// How much the model may write (compact for the bundled small model).
    pub bounds: schema::Bounds,
    /// Start map calls while the recording is still being transcribed. Off
    /// for the bundled local model: it and whisper.cpp would fight over the
    /// same cores (both spin-wait), which costs far more than it overlaps.
    pub overlap: bool,
}

impl Options {
    /// The options of a run with the LLM at `endpoint`. The bundled local
    /// model runs one request at a time with every core, and a small model
    /// fills the schema's bounds, so its retries are kept short; large hosted
    /// models take bigger chunks.
    pub fn new(
        tuning: &Tuning,
        endpoint: &crate::llm::select::Endpoint,
        glossary: String,
    ) -> Options {
        let local = endpoint.local.is_some();
        let big = endpoint.is_openai()
            || ["gpt-4", "gpt-5", "o1", "o3", "o4"]
                .iter()
                .any(|p| endpoint.model.starts_with(p));
        let chunk_tokens = tuning.chunk_tokens.unwrap_or(if big { 6000 } else { 2000 });
        Options {
            language: tuning.language_name.clone(),
            correct: tuning.correct,
            glossary,
            max_correction: 0.3,
            chunk_tokens,
            reduce_tokens: if big { 24_000 } else { chunk_tokens * 2 },
            jobs: tuning.jobs.unwrap_or(if local { 1 } else { 4 }),
            allow_partial: tuning.allow_partial,
            keep_unverified: tuning.keep_unverified,
            max_output_tokens: match (big, local) {
                (true, _) => 8192,
                (false, true) => 2048,
                (false, false) => 4096,
            },
            temperature: tuning.temperature,
            seed: tuning.seed,
            language_code: tuning.language.clone(),
            redact: None,
            bounds: match local {
                true => schema::Bounds::COMPACT,
                false => schema::Bounds::FULL,
            },
            overlap: !local,
        }
    }

    /// The fields that shape the minutes, for cache and manifest keys.
    /// Concurrency, partial-minutes policy and streaming overlap are left
    /// out: they change how a run goes, not the document it makes.
    pub fn key(&self) -> String {
        let Options {
            language,
            correct,
            glossary,
            max_correction,
            chunk_tokens,
            reduce_tokens,
            jobs: _,
            allow_partial: _,
            keep_unverified,
            max_output_tokens,
            temperature,
            seed,
            language_code,
            redact,
            bounds,
            overlap: _,
        } = self;
        format!(
            "language={language:?}|correct={correct}|glossary={glossary:?}|max_correction={max_correction}|\
             chunk_tokens={chunk_tokens}|reduce_tokens={reduce_tokens}|max_output_tokens={max_output_tokens}|\
             temperature={temperature}|seed={seed:?}|language_code={language_code:?}|redact={redact:?}|\
             keep_unverified={keep_unverified}|bounds={bounds:?}"
        )
    }
}

/// A stretch of the recording the minutes could not cover.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gap {
    pub start: f64,
    pub end: f64,
    pub reason: String,
}

/// What the pipeline did, beside the minutes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub chunks: usize,
    pub collapse_rounds: usize,
    pub corrections_applied: usize,
    pub corrections_rejected: usize,
    pub timestamps_dropped: usize,
    /// Participants and action-item owners removed as never said.
    pub names_dropped: usize,
    /// Action-item due dates removed: never said, or not said where their
    /// task was given.
    pub dues_dropped: usize,
    /// Texts removed because they repeat the prompts, not the meeting.
    pub echoes_dropped: usize,
    /// Decisions, action items and open questions whose evidence was not
    /// found in the transcript (dropped, or kept and marked).
    pub unverified: usize,
    /// Personal data replaced before the LLM saw it, by kind (never the values).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub redactions: std::collections::BTreeMap<String, usize>,
    pub missing: Vec<Gap>,
    /// What a reader should check, one line each: corrections rejected,
    /// names and dates removed, parts missing. Empty when there is nothing.
    pub review: Vec<String>,
    pub seconds: StageSeconds,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StageSeconds {
    /// From the start until the last map call finished (includes transcription when streaming).
    pub map: f64,
    pub collapse: f64,
    pub reduce: f64,
}

/// Where finished correction and map results are kept across runs, so a
/// killed run resumes without redoing finished chunks. Values are JSON.
pub trait StageCache: Send + Sync {
    fn get(&self, key: &str) -> Option<String>;
    fn put(&self, key: &str, value: &str);
}

/// Progress events, for the printer.
#[derive(Debug, Clone)]
pub enum Event {
    ChunkReady { index: usize },
    ChunkDone { index: usize },
    Warning(String),
    Collapse { round: usize, groups: usize },
    Reduce,
}
