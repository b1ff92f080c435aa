//! Settings resolved once: command-line flags, then environment (merged by
//! clap), then the YAML config file, then built-in defaults. The structs
//! here are immutable and passed down by reference.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{GlobalArgs, TranscribeArgs, TranscriptFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::stt::{SttOptions, registry};

/// The config file's contents (`$XDG_CONFIG_HOME/minutes/config.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub stt_model: Option<String>,
    pub language: Option<String>,
    pub threads: Option<usize>,
    pub beam: Option<usize>,
    pub models_dir: Option<PathBuf>,
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
        serde_norway::from_str(&text)
            .map_err(|e| Error::file(ErrorKind::Config, &path, format!("invalid config: {e}")))
    }
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

#[derive(Debug)]
pub struct TranscribeSettings {
    pub inputs: Vec<PathBuf>,
    pub model_name: String,
    pub model_path: PathBuf,
    pub format: TranscriptFormat,
    pub output: Output,
    pub stt: SttOptions,
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
        } = args;
        let cfg = &common.config;
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
        Ok(TranscribeSettings {
            inputs: files,
            model_name,
            model_path,
            format,
            output,
            stt,
        })
    }
}

fn stt_options(
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
    if threads == 0 {
        return Err(Error::usage("--threads must be at least 1"));
    }
    let beam = beam.or(cfg.beam);
    if beam == Some(0) {
        return Err(Error::usage("--beam must be at least 1"));
    }
    let prompt = prompt.filter(|p| !p.trim().is_empty());
    Ok(SttOptions {
        language,
        threads,
        beam,
        prompt,
    })
}

/// All cores, capped where whisper.cpp stops gaining.
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(4)
        .min(8)
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
