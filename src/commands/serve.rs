//! `minutes serve`: the bundled local LLM in the foreground, for other tools.

use std::path::Path;
use std::process::Command;

use crate::cli::ServeArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::llm::local::program;

pub fn run(model: &Path, args: &ServeArgs) -> Result<()> {
    let program = program();
    let mut cmd = Command::new(&program);
    cmd.arg("--model")
        .arg(model)
        .args(["--host", &args.host, "--port", &args.port.to_string()]);
    if let Some(c) = args.ctx {
        cmd.args(["--ctx", &c.to_string()]);
    }
    if let Some(t) = args.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    let status = cmd.status().map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!(
                "cannot start {}: {}",
                program.display(),
                crate::error::io_reason(&e)
            ),
        )
    })?;
    match status.code() {
        Some(0) => Ok(()),
        Some(65) => Err(Error::new(ErrorKind::BadInput, String::new())),
        Some(66) => Err(Error::new(ErrorKind::MissingInput, String::new())),
        Some(69) => Err(Error::new(ErrorKind::Unavailable, String::new())),
        _ => Err(Error::new(ErrorKind::Internal, String::new())),
    }
}
