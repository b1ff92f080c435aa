//! `minutes serve`: the bundled local LLM in the foreground, for other tools.

use std::path::Path;

use crate::cli::ServeArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::llm::local::{ServerArgs, cannot_start};

pub fn run(model: &Path, args: &ServeArgs) -> Result<()> {
    let status = ServerArgs {
        model,
        host: &args.host,
        port: args.port,
        ctx: args.ctx,
        threads: args.threads,
    }
    .command()
    .status()
    .map_err(|e| cannot_start(&e))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(65) => Err(Error::new(ErrorKind::BadInput, String::new())),
        Some(66) => Err(Error::new(ErrorKind::MissingInput, String::new())),
        Some(69) => Err(Error::new(ErrorKind::Unavailable, String::new())),
        _ => Err(Error::new(ErrorKind::Internal, String::new())),
    }
}
