//! Settings resolved once: command-line flags, then environment (merged by
//! clap), then the YAML config file, then built-in defaults. The structs
//! here are immutable and passed down by reference.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use std::time::Duration;

use crate::batch::cache::Cache;
use crate::batch::{BatchSettings, discover};
use crate::cli::{
    BatchArgs, GlobalArgs, MinutesFormat, SummarizeArgs, TranscribeArgs, TranscriptFormat,
    VoiceArgs,
};
use crate::error::{Error, ErrorKind, Result};
use crate::llm::Secret;
use crate::llm::retry::RetryPolicy;
use crate::speak;
use crate::stt::{SttOptions, registry};
use crate::summarize::{self, prompts::PromptSet};
use crate::transcription::TranscriptionSettings;

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
    pub config: Config,
}

impl Common {
    pub fn resolve(global: &GlobalArgs) -> Result<Common> {
        let config = Config::load(global.config.as_deref())?;
        let models_dir = match (&global.models_dir, &config.models_dir) {
            (Some(d), _) | (None, Some(d)) => d.clone(),
            (None, None) => registry::default_models_dir()?,
        };
        Ok(Common { models_dir, config })
    }
}

/// Where transcripts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
    Dir(PathBuf),
}

impl Output {
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
    pub inputs: Vec<PathBuf>,
    pub format: TranscriptFormat,
    pub output: Output,
    pub transcription: TranscriptionSettings,
    pub batch: BatchSettings,
    /// Hash of everything that shapes the output (for skipping unchanged inputs).
    pub settings_hash: String,
}

impl TranscribeSettings {
    pub fn resolve(args: TranscribeArgs, common: &Common) -> Result<Self> {
        let TranscribeArgs {
            files,
            stt_model,
            format,
            output,
            out_dir,
            language,
            threads,
            beam,
            prompt,
            date,
            batch,
        } = args;
        let cfg = &common.config;
        let files = discover::inputs(&files, batch.recursive, discover::MEDIA)?;
        let batch = BatchSettings::resolve(&batch)?;
        let output = match (output, out_dir) {
            (Some(_), _) if files.len() > 1 => {
                return Err(Error::usage(
                    "--output takes one input; use --out-dir for several",
                ));
            }
            (Some(f), _) => Output::File(f),
            (None, Some(d)) => Output::Dir(d),
            (None, None) => Output::Stdout,
        };
        let stt = stt_options(language, threads, beam, prompt, cfg)?;
        let choice = stt_model.or_else(|| cfg.stt_model.clone());
        let (model_name, model_path) = registry::resolve(choice.as_deref(), &common.models_dir)?;
        let model_size = std::fs::metadata(&model_path).map(|m| m.len()).unwrap_or(0);
        let settings_hash = crate::hash::parts(&[
            env!("CARGO_PKG_VERSION"),
            "transcribe",
            &model_name,
            &model_size.to_string(),
            &format!("{}|{format:?}|{}|{date:?}", stt.key(), batch.name),
        ]);
        Ok(TranscribeSettings {
            inputs: files,
            format,
            output,
            transcription: TranscriptionSettings {
                model: Some((model_name, model_path)),
                stt,
                date,
            },
            batch,
            settings_hash,
        })
    }
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
    })
}

/// Bounds of numeric flags: beyond them a value is a typo, and would
/// overflow a timer, a semaphore or a C int further down.
const MAX_JOBS: usize = 1024;
const MAX_THREADS: usize = 1024;
const MAX_BEAM: usize = 16;
const MAX_RETRIES: u32 = 100;
const MAX_CHUNK_TOKENS: usize = 1_000_000;
/// A week: the longest timeout or deadline that makes sense for one run.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// A positive number of seconds, at most a week, as a duration.
fn seconds(flag: &str, value: f64) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= MAX_SECONDS) {
        return Err(Error::usage(format!(
            "{flag} must be a positive number of seconds, at most {MAX_SECONDS} (a week), not {value}"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// All cores, capped where whisper.cpp stops gaining.
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(4)
        .min(8)
}

/// The LLM endpoint of a run. The key is a [`Secret`]: it never prints.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// The server's URL; for the bundled local model, known once it runs.
    pub base_url: String,
    pub model: String,
    pub key: Secret,
    /// The GGUF file the bundled server runs, for `--llm local`.
    pub local: Option<PathBuf>,
}

/// What `base_url` says until the bundled server has started.
const LOCAL: &str = "local";

/// GGUF files in the models directory, sorted.
pub fn local_models(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|p| crate::llm::catalog::rank(p));
    found
}

/// The GGUF file `--llm-model` names (a path, or a name in the models directory), or the one present.
pub fn local_model(model: Option<&str>, present: &[PathBuf], dir: &Path) -> Result<PathBuf> {
    match model {
        Some(m) if m.contains('/') || m.ends_with(".gguf") => {
            let p = PathBuf::from(m);
            if p.is_file() {
                Ok(p)
            } else {
                Err(Error::file(
                    ErrorKind::MissingInput,
                    &p,
                    "model file not found",
                ))
            }
        }
        Some(name) => {
            let p = dir.join(format!("{name}.gguf"));
            if p.is_file() {
                Ok(p)
            } else {
                let hint = match crate::llm::catalog::known(name) {
                    Some(_) => format!("pull it with `minutes models pull {name}`"),
                    None => "put its .gguf file there, pass --llm-model PATH.gguf, \
                             or see `minutes models list` for the models that can be pulled"
                        .to_string(),
                };
                Err(Error::new(
                    ErrorKind::MissingInput,
                    format!("no local model {name} in {}", dir.display()),
                )
                .with_hint(hint))
            }
        }
        None => present.first().cloned().ok_or_else(|| {
            Error::config(format!("no local model (.gguf) in {}", dir.display())).with_hint(
                format!(
                    "pull one with `minutes models pull {}`, or pass --llm-model PATH.gguf",
                    crate::llm::catalog::RECOMMENDED
                ),
            )
        }),
    }
}

pub const OPENAI_URL: &str = "https://api.openai.com/v1";
const OPENAI_DEFAULT_MODEL: &str = "gpt-4o-mini";

impl LlmSettings {
    pub fn resolve(
        llm: Option<String>,
        model: Option<String>,
        cfg: &Config,
        models_dir: &Path,
    ) -> Result<Self> {
        let model = model.or_else(|| cfg.llm_model.clone());
        let local_present = local_models(models_dir);
        let choice = llm
            .or_else(|| cfg.llm.clone())
            .or_else(|| {
                (!local_present.is_empty()
                    || model.as_deref().is_some_and(|m| m.ends_with(".gguf")))
                .then(|| "local".into())
            })
            .or_else(|| crate::env::openai_api_key().map(|_| "openai".into()));
        let Some(choice) = choice else {
            return Err(Error::config("no LLM is configured").with_hint(format!(
                "pull a local model with `minutes models pull {}` (or pass --llm local --llm-model FILE.gguf), \
                 point --llm at an OpenAI-compatible server (Ollama: http://127.0.0.1:11434/v1) with --llm-model NAME, \
                 or set OPENAI_API_KEY",
                crate::llm::catalog::RECOMMENDED
            )));
        };
        if choice.eq_ignore_ascii_case("local") {
            let path = local_model(model.as_deref(), &local_present, models_dir)?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "local".into());
            return Ok(LlmSettings {
                base_url: LOCAL.to_string(),
                model: name,
                key: Secret::default(),
                local: Some(path),
            });
        }
        let openai = choice.eq_ignore_ascii_case("openai");
        let base_url = if openai {
            OPENAI_URL.to_string()
        } else {
            choice.trim_end_matches('/').to_string()
        };
        if !(openai || base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::usage(format!(
                "--llm must be an http(s) URL or `openai`, not {base_url}"
            )));
        }
        let model = match model.or_else(|| cfg.llm_model.clone()) {
            Some(m) => m,
            None if base_url == OPENAI_URL => OPENAI_DEFAULT_MODEL.to_string(),
            None => {
                return Err(Error::config(format!("no model named for {base_url}"))
                    .with_hint("pass --llm-model NAME"));
            }
        };
        // OPENAI_API_KEY goes to OpenAI only: never hand it to another server.
        let key = crate::env::llm_api_key()
            .or_else(|| {
                if base_url == OPENAI_URL {
                    crate::env::openai_api_key()
                } else {
                    None
                }
            })
            .map(Secret::new)
            .or_else(|| cfg.llm_api_key.clone())
            .unwrap_or_default();
        if base_url == OPENAI_URL && key.is_empty() {
            return Err(Error::config("OpenAI needs an API key")
                .with_hint("set OPENAI_API_KEY or MINUTES_LLM_API_KEY"));
        }
        Ok(LlmSettings {
            base_url,
            model,
            key,
            local: None,
        })
    }

    fn is_openai(&self) -> bool {
        self.base_url == OPENAI_URL
    }
}

/// Settings of `minutes summarize`.
#[derive(Debug)]
pub struct SummarizeSettings {
    pub inputs: Vec<PathBuf>,
    pub llm: LlmSettings,
    pub transcription: TranscriptionSettings,
    pub options: summarize::Options,
    /// The language code asked for, if any (front matter).
    pub language: Option<String>,
    pub prompts: PromptSet,
    pub format: MinutesFormat,
    pub include_transcript: bool,
    pub output: Output,
    pub retry: RetryPolicy,
    pub deadline: Option<Duration>,
    pub speech: SpeechSettings,
    pub batch: BatchSettings,
    /// Hash of everything that shapes the output (for skipping unchanged inputs).
    pub settings_hash: String,
}

impl BatchSettings {
    pub fn resolve(args: &BatchArgs) -> Result<BatchSettings> {
        let cache = if args.no_cache {
            None
        } else {
            Some(Cache::open(args.cache_dir.as_deref())?)
        };
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
            cache,
            wait: args.wait,
            report: args.report.clone(),
            metrics: args.metrics.clone(),
            shard,
        })
    }
}

impl SummarizeSettings {
    pub fn resolve(args: SummarizeArgs, common: &Common) -> Result<Self> {
        let SummarizeArgs {
            files,
            llm,
            llm_model,
            language,
            audio_language,
            stt_model,
            threads,
            date,
            no_correct,
            glossary,
            chunk_tokens,
            jobs,
            allow_partial,
            template,
            format,
            include_transcript,
            output,
            out_dir,
            request_timeout,
            retries,
            deadline,
            speak,
            speak_to,
            voice,
            batch,
        } = args;
        let mut exts = discover::MEDIA.to_vec();
        exts.extend_from_slice(discover::TRANSCRIPTS);
        let files = discover::inputs(&files, batch.recursive, &exts)?;
        let batch = BatchSettings::resolve(&batch)?;
        if speak_to.is_some() && files.len() > 1 {
            return Err(Error::usage("--speak-to takes one input"));
        }
        let speech = SpeechSettings::resolve(&voice, speak, speak_to)?;
        let cfg = &common.config;
        let output = output_target(output, out_dir, files.len())?;
        let llm = LlmSettings::resolve(llm, llm_model, cfg, &common.models_dir)?;
        let glossary_path = glossary.or_else(|| cfg.glossary.clone());
        let glossary = match &glossary_path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| Error::read(p, &e))?,
            None => String::new(),
        };
        let prompt_hint = (!glossary.trim().is_empty())
            .then(|| glossary.split_whitespace().collect::<Vec<_>>().join(" "));
        let stt = stt_options(audio_language, threads, None, prompt_hint, cfg)?;
        let needs_stt = files
            .iter()
            .any(|f| !crate::transcript::parse::is_transcript(f));
        let stt_model = match needs_stt {
            true => Some(registry::resolve(
                stt_model.or_else(|| cfg.stt_model.clone()).as_deref(),
                &common.models_dir,
            )?),
            false => None,
        };
        let language = language
            .or_else(|| cfg.summary_language.clone())
            .map(|l| l.to_lowercase());
        let language_name = match &language {
            Some(code) => language_name(code)?,
            None => "the language of the transcript".to_string(),
        };
        // The local model runs one request at a time with every core.
        let jobs = jobs
            .or(cfg.jobs)
            .unwrap_or(if llm.local.is_some() { 1 } else { 4 });
        if !(1..=MAX_JOBS).contains(&jobs) {
            return Err(Error::usage(format!(
                "--jobs must be between 1 and {MAX_JOBS}, not {jobs}"
            )));
        }
        let big = llm.is_openai()
            || ["gpt-4", "gpt-5", "o1", "o3", "o4"]
                .iter()
                .any(|p| llm.model.starts_with(p));
        let chunk_tokens =
            chunk_tokens
                .or(cfg.chunk_tokens)
                .unwrap_or(if big { 6000 } else { 2000 });
        if !(100..=MAX_CHUNK_TOKENS).contains(&chunk_tokens) {
            return Err(Error::usage(format!(
                "--chunk-tokens must be between 100 and {MAX_CHUNK_TOKENS}, not {chunk_tokens}"
            )));
        }
        let options = summarize::Options {
            language: language_name,
            correct: !no_correct,
            glossary,
            max_correction: 0.3,
            chunk_tokens,
            reduce_tokens: if big { 24_000 } else { chunk_tokens * 2 },
            jobs,
            allow_partial,
            // A small local model fills the schema's bounds; keep its retries short.
            max_output_tokens: if big {
                8192
            } else if llm.local.is_some() {
                2048
            } else {
                4096
            },
            temperature: 0.2,
            ground_names: language.as_deref().is_none_or(|l| l == stt.language),
            overlap: llm.local.is_none(),
        };
        let config_dir = config_dir();
        let prompts = PromptSet::load(
            template.or_else(|| cfg.template.clone()).as_deref(),
            config_dir.as_deref(),
        )?;
        let request_timeout = seconds(
            "--request-timeout",
            request_timeout.unwrap_or(if llm.local.is_some() { 1800.0 } else { 300.0 }),
        )?;
        if retries > MAX_RETRIES {
            return Err(Error::usage(format!(
                "--retries must be at most {MAX_RETRIES}, not {retries}"
            )));
        }
        let retry = RetryPolicy {
            request_timeout,
            max_attempts: retries.saturating_add(1),
            ..RetryPolicy::default()
        };
        let deadline = deadline.map(|d| seconds("--deadline", d)).transpose()?;
        let stt_id = stt_model
            .as_ref()
            .map(|(n, p)| format!("{n}:{}", std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)));
        let settings_hash = crate::hash::parts(&[
            env!("CARGO_PKG_VERSION"),
            "summarize",
            &stt_id.unwrap_or_default(),
            &stt.key(),
            &llm.base_url,
            &llm.model,
            &options.key(),
            &prompts.hash,
            &format!(
                "{format:?}|{include_transcript}|{language:?}|{}|{date:?}",
                batch.name
            ),
        ]);
        Ok(SummarizeSettings {
            inputs: files,
            llm,
            transcription: TranscriptionSettings {
                model: stt_model,
                stt,
                date,
            },
            options,
            language,
            prompts,
            format,
            include_transcript,
            output,
            retry,
            deadline,
            speech,
            batch,
            settings_hash,
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

fn output_target(
    output: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    inputs: usize,
) -> Result<Output> {
    Ok(match (output, out_dir) {
        (Some(_), _) if inputs > 1 => {
            return Err(Error::usage(
                "--output takes one input; use --out-dir for several",
            ));
        }
        (Some(f), _) => Output::File(f),
        (None, Some(d)) => Output::Dir(d),
        (None, None) => Output::Stdout,
    })
}

/// "ko" → "Korean": what the prompts ask the model to write in.
fn language_name(code: &str) -> Result<String> {
    let id = whisper_rs::get_lang_id(code).ok_or_else(|| {
        Error::usage(format!("unknown language {code}"))
            .with_hint("use a code such as en, ko, ja, de")
    })?;
    let full = whisper_rs::get_lang_str_full(id).unwrap_or(code);
    let mut chars = full.chars();
    Ok(chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default())
}

fn config_dir() -> Option<PathBuf> {
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
    fn llm_urls_are_checked_and_a_model_is_required() {
        // (That OPENAI_API_KEY never reaches another server is tested end to
        // end, with the variable set: tests/summarize.rs.)
        let cfg = Config::default();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let url = |u: &str| Some(u.to_string());
        let s = LlmSettings::resolve(url("http://127.0.0.1:9/v1"), url("m"), &cfg, d).unwrap();
        assert_eq!(s.base_url, "http://127.0.0.1:9/v1");
        assert!(LlmSettings::resolve(url("ftp://x"), url("m"), &cfg, d).is_err());
        let err = LlmSettings::resolve(url("http://h/v1"), None, &cfg, d).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(language_name("ko").unwrap(), "Korean");
    }

    #[test]
    fn a_local_gguf_model_is_the_default() {
        let cfg = Config::default();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("small.gguf"), b"x").unwrap();
        let s = LlmSettings::resolve(None, None, &cfg, d).unwrap();
        assert_eq!(s.local.as_deref(), Some(d.join("small.gguf").as_path()));
        let err =
            LlmSettings::resolve(Some("local".into()), Some("other".into()), &cfg, d).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingInput);
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
    }
}
