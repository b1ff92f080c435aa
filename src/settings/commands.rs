//! Settings of the smaller commands: probe, serve-llm, speak, models and speakers.

use std::path::PathBuf;

use super::{Common, MAX_THREADS, SpeechSettings};
use crate::cli::{ModelsCommand, ProbeArgs, ServeLlmArgs, SpeakArgs, SpeakersCommand};
use crate::error::{Error, Result};
use crate::speakers::profiles;

/// Settings of `minutes probe`.
#[derive(Debug)]
pub struct ProbeSettings {
    pub files: Vec<PathBuf>,
    pub decode: bool,
}

impl ProbeSettings {
    pub fn resolve(args: ProbeArgs) -> ProbeSettings {
        ProbeSettings {
            files: args.files,
            decode: args.decode,
        }
    }
}

/// Settings of `minutes serve-llm`.
#[derive(Debug)]
pub struct ServeLlmSettings {
    /// A GGUF path or a name in the models directory; `None`: the one there.
    pub model: Option<String>,
    pub models_dir: PathBuf,
    pub host: String,
    pub port: u16,
    pub ctx: Option<u32>,
    pub threads: Option<usize>,
}

impl ServeLlmSettings {
    pub fn resolve(args: ServeLlmArgs, common: &Common) -> Result<ServeLlmSettings> {
        if args
            .threads
            .is_some_and(|t| !(1..=MAX_THREADS).contains(&t))
        {
            return Err(Error::usage(format!(
                "--threads must be between 1 and {MAX_THREADS}"
            )));
        }
        Ok(ServeLlmSettings {
            model: args.llm_model,
            models_dir: common.models_dir.clone(),
            host: args.host,
            port: args.port,
            ctx: args.ctx,
            threads: args.threads,
        })
    }
}

/// Settings of `minutes speak`.
#[derive(Debug)]
pub struct SpeakSettings {
    /// A minutes markdown file, or `-` for stdin.
    pub file: PathBuf,
    /// `--text`: print the sentences instead of speaking them.
    pub text_only: bool,
    pub speech: SpeechSettings,
}

impl SpeakSettings {
    pub fn resolve(args: SpeakArgs) -> Result<SpeakSettings> {
        let live = args.to.is_none() && !args.text;
        Ok(SpeakSettings {
            speech: SpeechSettings::resolve(&args.voice, live, args.to)?,
            file: args.file,
            text_only: args.text,
        })
    }
}

/// Settings of `minutes models`.
#[derive(Debug)]
pub struct ModelsSettings {
    pub models_dir: PathBuf,
    pub command: ModelsCommand,
}

impl ModelsSettings {
    pub fn resolve(command: ModelsCommand, common: &Common) -> ModelsSettings {
        ModelsSettings {
            models_dir: common.models_dir.clone(),
            command,
        }
    }
}

/// Settings of `minutes speakers`.
#[derive(Debug)]
pub struct SpeakersSettings {
    /// The profile store.
    pub voices: PathBuf,
    /// Where the speaker model is (`add` needs it).
    pub models_dir: PathBuf,
    pub action: SpeakersAction,
}

/// What `minutes speakers` is asked to do, the name checked.
#[derive(Debug)]
pub enum SpeakersAction {
    Add { name: String, files: Vec<PathBuf> },
    List,
    Remove { name: String },
}

impl SpeakersSettings {
    pub fn resolve(command: SpeakersCommand, common: &Common) -> Result<SpeakersSettings> {
        let voices = common.voices.clone().ok_or_else(|| {
            Error::config("cannot find a home directory for the voice profiles; pass --voices FILE")
        })?;
        let action = match command {
            SpeakersCommand::Add { name, files } => SpeakersAction::Add {
                name: profiles::check_name(&name)?,
                files,
            },
            SpeakersCommand::List => SpeakersAction::List,
            SpeakersCommand::Remove { name } => SpeakersAction::Remove { name },
        };
        Ok(SpeakersSettings {
            voices,
            models_dir: common.models_dir.clone(),
            action,
        })
    }
}
