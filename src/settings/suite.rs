//! Settings of `minutes eval suite` and `minutes eval history`. The suite
//! summarises as `summarize` does, so its defaults come from the same
//! places (the config file's LLM, model, template, language, chunk size and
//! jobs). The configured glossary is not used: it lives outside the suite,
//! and a suite's numbers must not move when it is edited. Nothing is read
//! here but the config file: cases, prompt sets and the history are opened
//! by the command.

use std::path::PathBuf;

use super::eval::LlmSettings;
use super::{Common, config_dir, language_name, llm_calls, seconds};
use crate::cli::{EvalFormat, EvalHistoryArgs, EvalSuiteArgs};
use crate::error::{Error, Result};
use crate::llm::Secret;
use crate::llm::select::LlmChoice;

/// Settings of `minutes eval suite`.
#[derive(Debug)]
pub struct SuiteEvalSettings {
    /// The folder of cases.
    pub dir: PathBuf,
    /// The prompt sets to run, in the order given; `None` is the default set.
    pub templates: Vec<Option<String>>,
    /// Where named prompt sets live (`$XDG_CONFIG_HOME/minutes`).
    pub config_dir: Option<PathBuf>,
    /// One summariser per model to run, in the order given.
    pub llms: Vec<LlmSettings>,
    /// How to summarise: `summarize`'s defaults, with unverified items
    /// kept (marked) so that precision can count them.
    pub tuning: crate::summarize::Tuning,
    /// `--judge-llm`; `None`: no rubric scores.
    pub judge: Option<LlmSettings>,
    /// `--rubric`; `None` is the built-in scoring rubric.
    pub rubric: Option<PathBuf>,
    /// The history file; `None` with `--no-history`.
    pub history: Option<PathBuf>,
    pub format: EvalFormat,
}

/// Settings of `minutes eval history`.
#[derive(Debug)]
pub struct HistoryEvalSettings {
    pub history: PathBuf,
    /// `--template`: a prompt set's name or the start of its hash.
    pub template: Option<String>,
    pub model: Option<String>,
    pub last: Option<usize>,
    pub format: EvalFormat,
}

impl SuiteEvalSettings {
    pub fn resolve(args: EvalSuiteArgs, common: &Common) -> Result<SuiteEvalSettings> {
        let EvalSuiteArgs {
            dir,
            template,
            llm,
            llm_model,
            language,
            temperature,
            seed,
            jobs,
            request_timeout,
            retries,
            no_correct,
            redaction,
            judge_llm,
            judge_model,
            rubric,
            history,
            no_history,
            format,
        } = args;
        let cfg = &common.config;
        let jobs = jobs.or(cfg.jobs);
        llm_calls(jobs, retries)?;
        if !(0.0..=2.0).contains(&temperature) {
            return Err(Error::usage(format!(
                "--temperature must be between 0 and 2, not {temperature}"
            )));
        }
        let request_timeout = request_timeout
            .map(|t| seconds("--request-timeout", t))
            .transpose()?;
        let language = language
            .or_else(|| cfg.summary_language.clone())
            .map(|l| l.to_lowercase());
        let language_name = language.as_deref().map(language_name).transpose()?;
        let (redact, redact_terms) = (redaction.resolve()?, redaction.redact_terms);
        let reach = |llm: Option<String>, model: Option<String>| LlmSettings {
            choice: LlmChoice {
                llm,
                model,
                key: crate::env::llm_api_key()
                    .map(Secret::new)
                    .or_else(|| cfg.llm_api_key.clone()),
                openai_key: crate::env::openai_api_key().map(Secret::new),
            },
            models_dir: common.models_dir.clone(),
            jobs,
            redact,
            redact_terms: redact_terms.clone(),
            request_timeout,
            retries,
        };
        let models = once_each("--llm-model", llm_model, cfg.llm_model.clone())?;
        let llm = llm.or_else(|| cfg.llm.clone());
        Ok(SuiteEvalSettings {
            dir,
            templates: once_each("--template", template, cfg.template.clone())?,
            config_dir: config_dir(),
            llms: models.into_iter().map(|m| reach(llm.clone(), m)).collect(),
            tuning: crate::summarize::Tuning {
                language,
                language_name,
                correct: !no_correct,
                chunk_tokens: cfg.chunk_tokens,
                jobs,
                allow_partial: false,
                keep_unverified: true,
                temperature,
                seed,
            },
            judge: judge_llm.map(|j| reach(Some(j), judge_model)),
            rubric,
            history: match no_history {
                true => None,
                false => Some(history_path(history)?),
            },
            format,
        })
    }
}

impl HistoryEvalSettings {
    pub fn resolve(args: EvalHistoryArgs) -> Result<HistoryEvalSettings> {
        let EvalHistoryArgs {
            history,
            template,
            llm_model,
            last,
            format,
        } = args;
        if last == Some(0) {
            return Err(Error::usage("--last must be at least 1"));
        }
        Ok(HistoryEvalSettings {
            history: history_path(history)?,
            template,
            model: llm_model,
            last,
            format,
        })
    }
}

/// The values of a repeatable flag, each once; none given: the configured
/// one, else `None` (the default).
fn once_each(
    flag: &str,
    given: Vec<String>,
    configured: Option<String>,
) -> Result<Vec<Option<String>>> {
    if given.is_empty() {
        return Ok(vec![configured]);
    }
    for (i, v) in given.iter().enumerate() {
        if given[..i].contains(v) {
            return Err(Error::usage(format!("{flag} {v} is given twice")));
        }
    }
    Ok(given.into_iter().map(Some).collect())
}

/// `--history`, else the default file under the data directory.
fn history_path(given: Option<PathBuf>) -> Result<PathBuf> {
    given
        .or_else(crate::eval::suite::history::default_path)
        .ok_or_else(|| {
            Error::config("no data directory for the eval history").with_hint("pass --history FILE")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_flags_are_taken_once_each_or_fall_back_to_the_config() {
        assert_eq!(
            once_each("--template", vec![], Some("terse".into())).unwrap(),
            vec![Some("terse".to_string())]
        );
        assert_eq!(once_each("--template", vec![], None).unwrap(), vec![None]);
        let two = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            once_each("--llm-model", two, Some("c".into())).unwrap(),
            vec![Some("a".to_string()), Some("b".to_string())]
        );
        let e = once_each("--template", vec!["a".into(), "a".into()], None).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
    }
}
