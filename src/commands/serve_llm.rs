//! `minutes serve-llm`: the bundled local LLM in the foreground, for other tools.

use crate::error::{Error, ErrorKind, Result};
use crate::llm::local::{ServerArgs, cannot_start};
use crate::llm::select::{local_model, local_models};
use crate::settings::ServeLlmSettings;
use crate::ui::Printer;

pub fn run(args: &ServeLlmSettings, printer: &Printer) -> Result<()> {
    let dir = &args.models_dir;
    let model = local_model(args.model.as_deref(), &local_models(dir), dir)?;
    if !crate::service::is_loopback(&args.host) && !crate::env::llm_token_set() {
        printer.warn(format!(
            "serving on {} without a token: anyone who reaches it can use the model; \
             set MINUTES_LLM_TOKEN to require `Authorization: Bearer TOKEN`",
            args.host
        ));
    }
    let status = ServerArgs {
        model: &model,
        host: &args.host,
        port: args.port,
        ctx: args.ctx,
        threads: args.threads,
    }
    .command()
    // The server exits when this process does, however it ends: its stdin
    // is a pipe held here until the server is done.
    .arg("--watch-stdin")
    .stdin(std::process::Stdio::piped())
    .spawn()
    .and_then(|mut child| {
        // `wait` would close a stdin it still holds; keep the pipe open here.
        let _pipe = child.stdin.take();
        child.wait()
    })
    .map_err(|e| cannot_start(&e))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(65) => Err(Error::new(ErrorKind::BadInput, String::new())),
        Some(66) => Err(Error::new(ErrorKind::MissingInput, String::new())),
        Some(69) => Err(Error::new(ErrorKind::Unavailable, String::new())),
        _ => Err(Error::new(ErrorKind::Internal, String::new())),
    }
}
