//! Settings resolved once: command-line flags, then environment (merged by
//! clap, or read through `env.rs`), then the YAML config file, then built-in
//! defaults. The structs here are immutable and passed down by reference.
//!
//! Resolving settings reads the config file and nothing else: inputs are
//! discovered, models found, the cache opened, the glossary and prompts read
//! by the stages and commands that use them, so a bad flag is reported
//! before any of that happens.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use std::time::Duration;

use crate::batch::BatchSettings;
use crate::cli::{
    BatchArgs, GlobalArgs, RecordingArgs, TranscribeArgs, TranscriptFormat, VoiceArgs,
};
use crate::error::{Error, ErrorKind, Result};
use crate::llm::Secret;
use crate::speak;
use crate::speakers::{self, SpeakerMode};
use crate::stt::{SttOptions, registry};
use crate::transcription::TranscriptionSettings;

mod commands;
mod eval;
mod serve;
mod suite;
mod summarize;

pub use commands::{
    ModelsSettings, ProbeSettings, ServeLlmSettings, SpeakSettings, SpeakersAction,
    SpeakersSettings,
};
pub use eval::{
    CalibrateEvalSettings, CompareEvalSettings, EvalSettings, LlmSettings, MinutesEvalSettings,
    TranscriptEvalSettings,
};
pub use serve::ServeSettings;
pub use suite::{HistoryEvalSettings, SuiteEvalSettings};
pub use summarize::SummarizeSettings;

/// The config file's contents (`$XDG_CONFIG_HOME/minutes/config.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub stt_model: Option<String>,
    pub language: Option<String>,
    pub threads: Option<usize>,
    pub beam: Option<usize>,
    pub models_dir: Option<PathBuf>,
    /// LLM server URL or `openai`.
    pub llm: Option<String>,
    pub llm_model: Option<String>,
    /// API key; the file must then be readable by its owner only. Never printed.
    pub llm_api_key: Option<Secret>,
    /// Language of the minutes.
    pub summary_language: Option<String>,
    pub jobs: Option<usize>,
    pub chunk_tokens: Option<usize>,
    pub template: Option<String>,
    pub glossary: Option<PathBuf>,
    /// The voice profile store.
    pub voices: Option<PathBuf>,
}

impl Config {
    /// Reads the config file: the one given (which must exist), or the default
    /// location (which may not).
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => match default_config_path() {
                Some(p) => (p, false),
                None => return Ok(Config::default()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(Error::file(
                    ErrorKind::Config,
                    &path,
                    crate::error::io_reason(&e),
                ));
            }
        };
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_norway::from_str(&text)
            .map_err(|e| Error::file(ErrorKind::Config, &path, format!("invalid config: {e}")))?;
        if config.llm_api_key.is_some() {
            warn_if_readable_by_others(&path);
        }
        Ok(config)
    }
}

/// A config file holding a key should be mode 0600.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "{} holds an API key but others can read it; run: chmod 600 {}",
                path.display(),
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn default_config_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().ok()?;
    Some(base.config_dir().join("minutes").join("config.yaml"))
}

/// Settings every command shares.
#[derive(Debug)]
pub struct Common {
    pub models_dir: PathBuf,
    /// The voice profile store; `None` only without a home directory and
    /// without `--voices`.
    pub voices: Option<PathBuf>,
    pub config: Config,
}

impl Common {
    pub fn resolve(global: &GlobalArgs) -> Result<Common> {
        let config = Config::load(global.config.as_deref())?;
        let models_dir = match (&global.models_dir, &config.models_dir) {
            (Some(d), _) | (None, Some(d)) => d.clone(),
            (None, None) => registry::default_models_dir()?,
        };
        let voices = global
            .voices
            .clone()
            .or_else(|| config.voices.clone())
            .or_else(speakers::profiles::default_path);
        Ok(Common {
            models_dir,
            voices,
            config,
        })
    }
}

/// Where documents go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
    Dir(PathBuf),
}

impl Output {
    fn new(output: Option<PathBuf>, out_dir: Option<PathBuf>) -> Output {
        match (output, out_dir) {
            (Some(f), _) => Output::File(f),
            (None, Some(d)) => Output::Dir(d),
            (None, None) => Output::Stdout,
        }
    }

    /// `--output` names one file: it takes one input.
    pub fn check_inputs(&self, inputs: usize) -> Result<()> {
        match self {
            Output::File(_) if inputs > 1 => Err(Error::usage(
                "--output takes one input; use --out-dir for several",
            )),
            _ => Ok(()),
        }
    }

    /// The output folder of a batch, if documents go to one.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Output::Dir(d) => Some(d),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct TranscribeSettings {
    /// Files, directories and globs, as given.
    pub inputs: Vec<PathBuf>,
    pub format: TranscriptFormat,
    /// Words per SRT/VTT cue; `None`: a cue per segment.
    pub cue_words: Option<usize>,
    pub output: Output,
    pub transcription: TranscriptionSettings,
    pub batch: BatchSettings,
}

impl TranscribeSettings {
    pub fn resolve(args: TranscribeArgs, common: &Common) -> Result<Self> {
        let TranscribeArgs {
            files,
            stt_model,
            format,
            output,
            out_dir,
            cue_words,
            language,
            threads,
            beam,
            prompt,
            recording,
            batch,
        } = args;
        let cfg = &common.config;
        if cue_words.is_some() && !matches!(format, TranscriptFormat::Srt | TranscriptFormat::Vtt) {
            let name = clap::ValueEnum::to_possible_value(&format)
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            return Err(Error::usage(format!(
                "--cue-words shapes subtitle cues: it needs -f srt or -f vtt, not -f {name}"
            )));
        }
        Ok(TranscribeSettings {
            inputs: files,
            format,
            cue_words: cue_words.map(usize::from),
            output: Output::new(output, out_dir),
            transcription: transcription(
                stt_model,
                stt_options(language, threads, beam, prompt, cfg)?,
                recording,
                common,
            )?,
            batch: BatchSettings::resolve(&batch)?,
        })
    }
}

/// How recordings are transcribed and labelled.
pub(crate) fn transcription(
    stt_model: Option<String>,
    stt: SttOptions,
    recording: RecordingArgs,
    common: &Common,
) -> Result<TranscriptionSettings> {
    Ok(TranscriptionSettings {
        model: stt_model.or_else(|| common.config.stt_model.clone()),
        models_dir: common.models_dir.clone(),
        stt,
        date: recording.date,
        voices: common.voices.clone(),
        speakers: SpeakerMode::parse(&recording.speakers)?,
        speaker_names: recording
            .speaker_names
            .as_deref()
            .map(speakers::parse_names)
            .transpose()?
            .unwrap_or_default(),
    })
}

pub(crate) fn stt_options(
    language: Option<String>,
    threads: Option<usize>,
    beam: Option<usize>,
    prompt: Option<String>,
    cfg: &Config,
) -> Result<SttOptions> {
    let language = language
        .or_else(|| cfg.language.clone())
        .unwrap_or_else(|| "auto".into())
        .to_lowercase();
    if language != "auto" && whisper_rs::get_lang_id(&language).is_none() {
        return Err(Error::usage(format!("unknown language {language}"))
            .with_hint("use a code such as en, ko, de, or auto"));
    }
    let threads = threads.or(cfg.threads).unwrap_or_else(default_threads);
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(Error::usage(format!(
            "--threads must be between 1 and {MAX_THREADS}, not {threads}"
        )));
    }
    let beam = beam.or(cfg.beam);
    if beam.is_some_and(|b| !(1..=MAX_BEAM).contains(&b)) {
        return Err(Error::usage(format!(
            "--beam must be between 1 and {MAX_BEAM}"
        )));
    }
    let prompt = prompt.filter(|p| !p.trim().is_empty());
    Ok(SttOptions {
        language,
        threads,
        beam,
        prompt,
        temperature: 0.0,
    })
}

/// Bounds of numeric flags: beyond them a value is a typo, and would
/// overflow a timer, a semaphore or a C int further down.
pub(crate) const MAX_JOBS: usize = 1024;
pub(crate) const MAX_THREADS: usize = 1024;
pub(crate) const MAX_BEAM: usize = 16;
pub(crate) const MAX_RETRIES: u32 = 100;
pub(crate) const MAX_CHUNK_TOKENS: usize = 1_000_000;
/// `--jobs` and `--retries` of an LLM's calls, within their bounds.
pub(crate) fn llm_calls(jobs: Option<usize>, retries: u32) -> Result<()> {
    if let Some(j) = jobs.filter(|j| !(1..=MAX_JOBS).contains(j)) {
        return Err(Error::usage(format!(
            "--jobs must be between 1 and {MAX_JOBS}, not {j}"
        )));
    }
    if retries > MAX_RETRIES {
        return Err(Error::usage(format!(
            "--retries must be at most {MAX_RETRIES}, not {retries}"
        )));
    }
    Ok(())
}

/// A week: the longest timeout or deadline that makes sense for one run.
pub(crate) const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// A positive number of seconds, at most a week, as a duration.
pub(crate) fn seconds(flag: &str, value: f64) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= MAX_SECONDS) {
        return Err(Error::usage(format!(
            "{flag} must be a positive number of seconds, at most {MAX_SECONDS} (a week), not {value}"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// `--redact`, `--no-redact` and whether `--redact-terms` was given, as
/// one choice: `None` leaves it to where the LLM is (on for a server beyond
/// this machine). Terms imply `--redact`; with `--no-redact` they are a
/// contradiction, not a silent loser.
pub(crate) fn redaction(redact: bool, no_redact: bool, terms: bool) -> Result<Option<bool>> {
    match (redact || terms, no_redact) {
        (true, true) if terms => Err(Error::usage(
            "--redact-terms and --no-redact contradict each other",
        )),
        (true, _) => Ok(Some(true)),
        (false, true) => Ok(Some(false)),
        (false, false) => Ok(None),
    }
}

impl crate::cli::RedactArgs {
    /// The choice these flags make (see [`redaction`]).
    pub(crate) fn resolve(&self) -> Result<Option<bool>> {
        redaction(self.redact, self.no_redact, self.redact_terms.is_some())
    }
}

/// All cores, capped where whisper.cpp stops gaining.
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(4)
        .min(8)
}

impl BatchSettings {
    pub fn resolve(args: &BatchArgs) -> Result<BatchSettings> {
        let shard = args
            .shard
            .as_deref()
            .map(crate::batch::parse_shard)
            .transpose()?;
        if args.name.trim().is_empty() {
            return Err(Error::usage("--name must not be empty"));
        }
        Ok(BatchSettings {
            recursive: args.recursive,
            force: args.force,
            name: args.name.clone(),
            no_cache: args.no_cache,
            cache_dir: args.cache_dir.clone(),
            wait: args.wait,
            report: args.report.clone(),
            metrics: args.metrics.clone(),
            shard,
        })
    }
}

/// Whether and how to read the minutes aloud.
#[derive(Debug, Clone)]
pub struct SpeechSettings {
    pub live: bool,
    pub wav: Option<PathBuf>,
    pub voice: speak::VoiceOptions,
    pub sections: Vec<speak::Section>,
}

impl SpeechSettings {
    pub fn resolve(args: &VoiceArgs, live: bool, wav: Option<PathBuf>) -> Result<Self> {
        if args.rate == Some(0) {
            return Err(Error::usage("--rate must be at least 1 word per minute"));
        }
        Ok(SpeechSettings {
            live,
            wav,
            voice: speak::VoiceOptions {
                voice: args.voice.clone(),
                rate: args.rate,
            },
            sections: speak::parse_sections(args.speak_sections.as_deref())?,
        })
    }
}

/// "ko" → "Korean (한국어)": what the prompts ask the model to write in.
pub(crate) fn language_name(code: &str) -> Result<String> {
    crate::summarize::language::prompt_name(code).ok_or_else(|| {
        Error::usage(format!("unknown language {code}"))
            .with_hint("use a code such as en, ko, ja, de")
    })
}

pub(crate) fn config_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    Some(
        etcetera::choose_base_strategy()
            .ok()?
            .config_dir()
            .join("minutes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rejects_unknown_keys_and_reads_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.yaml");
        std::fs::write(&p, "stt_model: base\nthreads: 3\n").unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.stt_model.as_deref(), Some("base"));
        assert_eq!(c.threads, Some(3));
        std::fs::write(&p, "stt_modle: base\n").unwrap();
        assert_eq!(
            Config::load(Some(&p)).unwrap_err().kind(),
            ErrorKind::Config
        );
        let missing = dir.path().join("nope.yaml");
        assert_eq!(
            Config::load(Some(&missing)).unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn the_config_file_key_never_prints() {
        let cfg: Config = serde_norway::from_str("llm_api_key: sk-in-config-SECRET\n").unwrap();
        assert!(!format!("{cfg:?}").contains("SECRET"));
        assert_eq!(cfg.llm_api_key.unwrap().expose(), "sk-in-config-SECRET");
    }

    #[test]
    fn flags_beat_config() {
        let cfg = Config {
            language: Some("de".into()),
            threads: Some(3),
            ..Config::default()
        };
        let o = stt_options(Some("KO".into()), None, None, None, &cfg).unwrap();
        assert_eq!((o.language.as_str(), o.threads), ("ko", 3));
        assert!(stt_options(Some("klingon".into()), None, None, None, &cfg).is_err());
        assert!(stt_options(None, Some(0), None, None, &cfg).is_err());
        assert_eq!(language_name("ko").unwrap(), "Korean (한국어)");
    }
}
