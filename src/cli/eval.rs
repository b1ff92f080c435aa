//! Arguments of `minutes eval`, apart from the rest of the command line
//! because each kind of evaluation brings its own flags.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::RedactArgs;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Word and character error rates (WER, CER) of transcripts against a reference text.
    Transcript(EvalTranscriptArgs),
    /// Score minutes: the share of items whose quotes are in the transcript,
    /// the share of expected decisions, actions and questions they state,
    /// and with --judge-llm an LLM judge's 1–5 scores on a rubric.
    Minutes(EvalMinutesArgs),
    /// Which of two minutes of the same meetings is better, by an LLM judge
    /// asked twice per pair with the order swapped (position bias removed).
    Compare(EvalCompareArgs),
    /// Run a regression suite: summarise every case of DIR with each prompt
    /// set and model, score the minutes as `eval minutes` does, print one
    /// row per prompt set and model, and append the results to the history.
    Suite(EvalSuiteArgs),
    /// Past results of `eval suite`, oldest first, one row per prompt set
    /// and model of each run.
    History(EvalHistoryArgs),
    /// Check a judge on shipped minutes with planted faults (a wrong owner,
    /// a dropped decision, an invented date): does it prefer the good
    /// minutes in both orders?
    Calibrate(EvalCalibrateArgs),
}

#[derive(Debug, Args)]
pub struct EvalTranscriptArgs {
    /// The reference (what was really said): .txt, .srt, .vtt or a minutes .json transcript.
    #[arg(value_name = "REF")]
    pub reference: PathBuf,

    /// Transcripts to score against it, in the same formats.
    #[arg(required = true, value_name = "HYP")]
    pub hypotheses: Vec<PathBuf>,

    /// Normalisation of both texts before words are compared: none (split on
    /// whitespace only), basic (lower-case, no punctuation), whisper-en
    /// (basic, with English contractions expanded).
    #[arg(long, value_enum, default_value_t = Normalization::Basic)]
    pub normalize: Normalization,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,

    /// Language of the texts (en, ko, …). Korean, Chinese and Japanese count
    /// characters without spaces. Default: decided by the reference's letters.
    #[arg(short, long, value_name = "LANG")]
    pub language: Option<String>,
}

#[derive(Debug, Args)]
pub struct EvalMinutesArgs {
    /// Minutes to score: the JSON of `summarize -f json`, or markdown (.md; it
    /// carries no quotes, so its items count as unsupported).
    #[arg(required = true, value_name = "MINUTES")]
    pub minutes: Vec<PathBuf>,

    /// The transcript the minutes were made from: .txt, .srt, .vtt or a minutes .json transcript.
    #[arg(long, value_name = "FILE")]
    pub transcript: PathBuf,

    /// Expected facts (YAML: decisions, action_items with task/owner/due,
    /// open_questions, language) to measure recall against.
    #[arg(long, value_name = "FACTS.yaml")]
    pub expected: Option<PathBuf>,

    /// Also score each minutes file 1–5 on a rubric (faithfulness, coverage,
    /// owners and dates, concision, language) by an LLM judge: an
    /// OpenAI-compatible server's URL, `openai`, or `local` (the bundled model).
    #[arg(long, value_name = "URL|openai|local")]
    pub judge_llm: Option<String>,

    /// Times the judge is asked per file (1–20); the report gives each
    /// criterion's mean and spread over them.
    #[arg(long, value_name = "N", requires = "judge_llm")]
    pub samples: Option<usize>,

    /// A rubric (YAML: version, system, user with {{transcript}} and
    /// {{minutes}}) instead of the built-in one.
    #[arg(long, value_name = "FILE.yaml", requires = "judge_llm")]
    pub rubric: Option<PathBuf>,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
}

/// How the judge is reached, shared by `eval minutes` and `eval compare`.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// The judge's model (for `local`: a .gguf name or path).
    #[arg(long, value_name = "NAME", requires = "judge_llm")]
    pub judge_model: Option<String>,

    /// Judge calls in flight at once. Default: 4; 1 for the bundled model.
    #[arg(short, long, value_name = "N", requires = "judge_llm")]
    pub jobs: Option<usize>,

    /// Replace personal data by placeholders before the judge sees it.
    /// Default: on for a judge that is not on this machine.
    #[arg(long, overrides_with = "no_redact", requires = "judge_llm")]
    pub redact: bool,

    /// Send transcripts and minutes as they are, even to a remote judge.
    #[arg(long, requires = "judge_llm")]
    pub no_redact: bool,

    /// Also replace these terms (names, client and project code names; one
    /// a line) before the judge sees them; implies --redact.
    #[arg(long, value_name = "FILE", requires = "judge_llm")]
    pub redact_terms: Option<PathBuf>,

    /// Seconds one judge request may take. Default: 300; 1800 for the bundled model.
    #[arg(long, value_name = "SECS", requires = "judge_llm")]
    pub request_timeout: Option<f64>,

    /// Retries of a failed judge request (connection errors, timeouts, 408, 409, 429, 5xx).
    #[arg(long, value_name = "N", default_value_t = 5, requires = "judge_llm")]
    pub retries: u32,
}

#[derive(Debug, Args)]
pub struct EvalCompareArgs {
    /// The first minutes (JSON of `summarize -f json`, or .md), or a
    /// directory of them, paired with B's by file name.
    #[arg(value_name = "A")]
    pub a: PathBuf,

    /// The second minutes, or a directory of them (the same kind as A).
    #[arg(value_name = "B")]
    pub b: PathBuf,

    /// The transcript both were made from (.txt, .srt, .vtt, .json); with
    /// directories, a directory holding each pair's transcript under its
    /// file stem.
    #[arg(long, value_name = "FILE|DIR")]
    pub transcript: PathBuf,

    /// The judge: an OpenAI-compatible server's URL, `openai`, or `local`
    /// (the bundled model).
    #[arg(long, value_name = "URL|openai|local")]
    pub judge_llm: String,

    /// A rubric (YAML: version, system, user with {{transcript}}, {{first}}
    /// and {{second}}) instead of the built-in one.
    #[arg(long, value_name = "FILE.yaml")]
    pub rubric: Option<PathBuf>,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
}

#[derive(Debug, Args)]
pub struct EvalSuiteArgs {
    /// A folder of cases: transcripts (NAME.json as `transcribe -f json`
    /// writes it, or NAME.txt, .srt, .vtt), each with its expected facts
    /// beside it (NAME.facts.yaml, as `eval minutes --expected` reads them).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// A prompt set to run: a name under $XDG_CONFIG_HOME/minutes/prompts/,
    /// or a directory. Repeat to compare several. Default: the configured
    /// template, else the built-in set.
    #[arg(long, value_name = "NAME|DIR")]
    pub template: Vec<String>,

    /// OpenAI-compatible server URL, `openai`, or `local` (the bundled model).
    #[arg(long, env = "MINUTES_LLM", value_name = "URL|openai|local")]
    pub llm: Option<String>,

    /// Model name on that server (for `local`: a .gguf name or path).
    /// Repeat to compare several. Default: the configured model.
    #[arg(long, env = "MINUTES_LLM_MODEL", value_name = "NAME")]
    pub llm_model: Vec<String>,

    /// Language to write the minutes in (en, ko, …). Default: the
    /// configured summary language, else each meeting's.
    #[arg(short, long, value_name = "LANG")]
    pub language: Option<String>,

    /// Sampling temperature of the LLM calls (0–2).
    #[arg(long, value_name = "T", default_value_t = 0.2)]
    pub temperature: f32,

    /// Seed for the LLM's sampling, where the server supports it.
    #[arg(long, value_name = "N")]
    pub seed: Option<u32>,

    /// LLM calls in flight at once, for the summariser and the judge alike.
    /// Default: 4; 1 for the bundled model.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Seconds one LLM request may take. Default: 300; 1800 for the bundled model.
    #[arg(long, value_name = "SECS")]
    pub request_timeout: Option<f64>,

    /// Retries of a failed LLM request (connection errors, timeouts, 408, 409, 429, 5xx).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,

    /// Summarise the transcripts as they are, without the LLM correction pass.
    #[arg(long)]
    pub no_correct: bool,

    /// For the summariser and the judge alike.
    #[command(flatten)]
    pub redaction: RedactArgs,

    /// Also score each case's minutes 1–5 on the rubric of `eval minutes
    /// --judge-llm` by this judge: a URL, `openai`, or `local`.
    #[arg(long, value_name = "URL|openai|local")]
    pub judge_llm: Option<String>,

    /// The judge's model (for `local`: a .gguf name or path).
    #[arg(long, value_name = "NAME", requires = "judge_llm")]
    pub judge_model: Option<String>,

    /// A rubric (YAML: version, system, user with {{transcript}} and
    /// {{minutes}}) instead of the built-in one.
    #[arg(long, value_name = "FILE.yaml", requires = "judge_llm")]
    pub rubric: Option<PathBuf>,

    /// The history the results are appended to, one JSON line per prompt
    /// set and model. Default: $XDG_DATA_HOME/minutes/eval-history.jsonl.
    #[arg(long, env = "MINUTES_EVAL_HISTORY", value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// Append nothing to the history (a trial run).
    #[arg(long)]
    pub no_history: bool,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
}

#[derive(Debug, Args)]
pub struct EvalHistoryArgs {
    /// The history to read. Default: $XDG_DATA_HOME/minutes/eval-history.jsonl.
    #[arg(long, env = "MINUTES_EVAL_HISTORY", value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// Only runs of this prompt set: its name, or the start of its hash.
    #[arg(long, value_name = "NAME|HASH")]
    pub template: Option<String>,

    /// Only runs of this model.
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,

    /// Only the last N runs (after the filters).
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
}

#[derive(Debug, Args)]
pub struct EvalCalibrateArgs {
    /// The judge to check: an OpenAI-compatible server's URL, `openai`, or
    /// `local` (the bundled model).
    #[arg(long, value_name = "URL|openai|local")]
    pub judge_llm: String,

    /// A rubric (YAML: version, system, user with {{transcript}}, {{first}}
    /// and {{second}}) instead of the built-in one of `eval compare`.
    #[arg(long, value_name = "FILE.yaml")]
    pub rubric: Option<PathBuf>,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Normalization {
    /// Split on whitespace; case and punctuation count.
    None,
    /// Lower-case; punctuation and symbols removed; apostrophes dropped.
    Basic,
    /// basic, with English contractions expanded (don't → do not).
    WhisperEn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// An aligned plain-text table, one row per file scored.
    Table,
    /// One JSON document with rates (fractions) and counts.
    Json,
}
