//! `minutes serve`: the pipeline over HTTP (see `service`). This edge
//! reads the token, finds the state folder and opens the stage cache; the
//! service does the rest.

use std::path::PathBuf;

use crate::batch::cache::Cache;
use crate::error::{Error, Result};
use crate::llm::Secret;
use crate::service::{self, ServiceOptions};
use crate::settings::ServeSettings;
use crate::ui::Printer;

pub fn run(settings: &ServeSettings, printer: &Printer) -> Result<()> {
    let options = ServiceOptions {
        host: settings.host.clone(),
        port: settings.port,
        token: token(settings)?,
        state_dir: match &settings.state_dir {
            Some(dir) => dir.clone(),
            None => default_state_dir()?,
        },
        max_upload: settings.max_upload,
        queue: settings.queue,
        grace: settings.grace,
    };
    let cache = match settings.no_cache {
        true => None,
        false => Some(Cache::open(settings.cache_dir.as_deref())?),
    };
    service::run(
        &options,
        &settings.transcription,
        &settings.minutes,
        cache.as_ref(),
        printer,
    )
}

/// The token from `--token-file` or `MINUTES_API_TOKEN` (one of them).
fn token(settings: &ServeSettings) -> Result<Option<Secret>> {
    let from_env = crate::env::api_token();
    let Some(path) = &settings.token_file else {
        return Ok(from_env.map(Secret::new));
    };
    if from_env.is_some() {
        return Err(Error::usage(
            "the token is given twice: by --token-file and by MINUTES_API_TOKEN; keep one",
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, &e))?;
    let token = text.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(Error::file(
            crate::error::ErrorKind::Config,
            path,
            "the token file must hold one token, without spaces",
        ));
    }
    Ok(Some(Secret::new(token.to_string())))
}

/// `$XDG_STATE_HOME/minutes/service` (`~/.local/state/minutes/service`).
fn default_state_dir() -> Result<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy()
        .map_err(|_| Error::usage("no home directory: pass --state-dir DIR"))?;
    let state = base.state_dir().unwrap_or_else(|| base.data_dir());
    Ok(state.join("minutes").join("service"))
}
