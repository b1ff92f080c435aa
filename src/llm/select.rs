//! Which LLM a run uses: the server the user named, the bundled local model
//! (a `.gguf` file in the models directory), or OpenAI when its key is set.
//!
//! Settings record what the user asked for ([`LlmChoice`], no I/O); this
//! module looks at the models directory once, when a command starts, and
//! turns the choice into an [`Endpoint`].

use std::path::{Path, PathBuf};

use super::Secret;
use crate::error::{Error, ErrorKind, Result};

pub const OPENAI_URL: &str = "https://api.openai.com/v1";
const OPENAI_DEFAULT_MODEL: &str = "gpt-4o-mini";

/// What the user asked for: flags, environment and config merged.
#[derive(Debug, Clone, Default)]
pub struct LlmChoice {
    /// A server URL, `openai` or `local`; `None` picks one (see [`select`]).
    pub llm: Option<String>,
    pub model: Option<String>,
    /// `MINUTES_LLM_API_KEY` or the config file's key: for any server.
    pub key: Option<Secret>,
    /// `OPENAI_API_KEY`: for OpenAI only, never another server.
    pub openai_key: Option<Secret>,
}

/// The LLM endpoint of a run. The key is a [`Secret`]: it never prints.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The server's URL; `local` for the bundled model until it runs.
    pub base_url: String,
    pub model: String,
    pub key: Secret,
    /// The GGUF file the bundled server runs, for `--llm local`.
    pub local: Option<PathBuf>,
}

impl Endpoint {
    pub fn is_openai(&self) -> bool {
        self.base_url == OPENAI_URL
    }
}

/// What `base_url` says until the bundled server has started.
const LOCAL: &str = "local";

/// Turns the user's choice into an endpoint. With no `--llm`: the bundled
/// local model when a `.gguf` file is present (or named), else OpenAI when
/// `OPENAI_API_KEY` is set, else a configuration error that lists the ways on.
/// Whether [`select`] has an LLM to choose: a server named, a local model
/// present or named, or an OpenAI key.
pub fn is_configured(choice: &LlmChoice, models_dir: &Path) -> bool {
    pick(choice, &local_models(models_dir)).is_some()
}

/// The server asked for, else the bundled model if one is present or named,
/// else OpenAI if its key is set.
fn pick(choice: &LlmChoice, local_present: &[PathBuf]) -> Option<String> {
    choice
        .llm
        .clone()
        .or_else(|| {
            let named = choice
                .model
                .as_deref()
                .is_some_and(|m| m.ends_with(".gguf"));
            (!local_present.is_empty() || named).then(|| LOCAL.into())
        })
        .or_else(|| choice.openai_key.as_ref().map(|_| "openai".into()))
}

pub fn select(choice: &LlmChoice, models_dir: &Path) -> Result<Endpoint> {
    let local_present = local_models(models_dir);
    let model = choice.model.clone();
    let Some(picked) = pick(choice, &local_present) else {
        return Err(Error::config("no LLM is configured").with_hint(format!(
            "pull a local model with `minutes models pull {}` (or pass --llm local --llm-model FILE.gguf), \
             point --llm at an OpenAI-compatible server (Ollama: http://127.0.0.1:11434/v1) with --llm-model NAME, \
             or set OPENAI_API_KEY",
            super::catalog::RECOMMENDED
        )));
    };
    if picked.eq_ignore_ascii_case(LOCAL) {
        let path = local_model(model.as_deref(), &local_present, models_dir)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| LOCAL.into());
        return Ok(Endpoint {
            base_url: LOCAL.to_string(),
            model: name,
            key: Secret::default(),
            local: Some(path),
        });
    }
    let openai = picked.eq_ignore_ascii_case("openai");
    let base_url = if openai {
        OPENAI_URL.to_string()
    } else {
        picked.trim_end_matches('/').to_string()
    };
    if !(openai || base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(Error::usage(format!(
            "--llm must be an http(s) URL or `openai`, not {base_url}"
        )));
    }
    let model = match model {
        Some(m) => m,
        None if base_url == OPENAI_URL => OPENAI_DEFAULT_MODEL.to_string(),
        None => {
            return Err(Error::config(format!("no model named for {base_url}"))
                .with_hint("pass --llm-model NAME"));
        }
    };
    // OPENAI_API_KEY goes to OpenAI only: never hand it to another server.
    let key = choice
        .key
        .clone()
        .or_else(|| match base_url == OPENAI_URL {
            true => choice.openai_key.clone(),
            false => None,
        })
        .unwrap_or_default();
    if base_url == OPENAI_URL && key.is_empty() {
        return Err(Error::config("OpenAI needs an API key")
            .with_hint("set OPENAI_API_KEY or MINUTES_LLM_API_KEY"));
    }
    Ok(Endpoint {
        base_url,
        model,
        key,
        local: None,
    })
}

/// GGUF files in the models directory, best first.
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
    found.sort_by_key(|p| super::catalog::rank(p));
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
                let hint = match super::catalog::known(name) {
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
                    super::catalog::RECOMMENDED
                ),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(llm: Option<&str>, model: Option<&str>) -> LlmChoice {
        LlmChoice {
            llm: llm.map(str::to_string),
            model: model.map(str::to_string),
            ..LlmChoice::default()
        }
    }

    #[test]
    fn llm_urls_are_checked_and_a_model_is_required() {
        // (That OPENAI_API_KEY never reaches another server is tested end to
        // end, with the variable set: tests/summarize.rs.)
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let e = select(&choice(Some("http://127.0.0.1:9/v1/"), Some("m")), d).unwrap();
        assert_eq!(e.base_url, "http://127.0.0.1:9/v1");
        assert!(select(&choice(Some("ftp://x"), Some("m")), d).is_err());
        let err = select(&choice(Some("http://h/v1"), None), d).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = select(&choice(None, None), d).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn the_openai_key_is_for_openai_only() {
        let dir = tempfile::tempdir().unwrap();
        let with_openai = LlmChoice {
            openai_key: Some(Secret::new("sk-openai".into())),
            ..choice(Some("http://127.0.0.1:9/v1"), Some("m"))
        };
        assert!(select(&with_openai, dir.path()).unwrap().key.is_empty());
        let openai = LlmChoice {
            llm: None,
            ..with_openai
        };
        let e = select(&openai, dir.path()).unwrap();
        assert!(e.is_openai());
        assert_eq!(e.key.expose(), "sk-openai");
    }

    #[test]
    fn a_local_gguf_model_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("small.gguf"), b"x").unwrap();
        let e = select(&choice(None, None), d).unwrap();
        assert_eq!(e.local.as_deref(), Some(d.join("small.gguf").as_path()));
        let err = select(&choice(Some("local"), Some("other")), d).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingInput);
    }
}
