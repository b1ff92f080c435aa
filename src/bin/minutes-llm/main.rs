//! `minutes-llm`: a local OpenAI-compatible chat server around llama.cpp.
//!
//! `minutes` starts it on demand for offline summaries (and `minutes serve`
//! runs it in the foreground for other tools). It lives in its own process
//! because whisper.cpp and llama.cpp each bundle a different ggml: linked
//! into one binary, one copy's symbols would silently serve both. This
//! binary therefore uses nothing of the `minutes` library.
//!
//! It prints `listening on http://HOST:PORT` as its first line on stdout
//! once the model is loaded, and with `--watch-stdin` it exits when its
//! stdin closes, so it never outlives the `minutes` process that started it.

mod api;
mod engine;
mod sample;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

/// Serve a GGUF model over the OpenAI chat-completions protocol.
#[derive(Debug, Parser)]
#[command(name = "minutes-llm", version)]
struct Args {
    /// The GGUF model file.
    #[arg(long, value_name = "PATH")]
    model: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Require `Authorization: Bearer TOKEN`.
    #[arg(long, env = "MINUTES_LLM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Context size in tokens. Default: the model's, up to 8192.
    #[arg(long, env = "MINUTES_LLM_CTX", value_name = "N")]
    ctx: Option<u32>,
    /// CPU threads. Default: all cores.
    #[arg(long, env = "MINUTES_LLM_THREADS", value_name = "N")]
    threads: Option<i32>,
    /// Flash attention: `auto` lets llama.cpp turn it on where the device
    /// supports it (it measured faster on CPU too).
    #[arg(long, value_enum, default_value_t = engine::FlashAttn::Auto)]
    flash_attn: engine::FlashAttn,
    /// Exit when stdin is closed (the parent process is gone).
    #[arg(long)]
    watch_stdin: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,llama_cpp_2=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default().with_logs_enabled(false));
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("minutes-llm: error: {message}");
            ExitCode::from(code)
        }
    }
}

fn serve(args: Args) -> Result<(), (u8, String)> {
    if !args.model.is_file() {
        return Err((
            66,
            format!("{}: model file not found", args.model.display()),
        ));
    }
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get() as i32)
            .unwrap_or(4)
    });
    let settings = engine::Settings {
        context: args.ctx,
        threads,
        batch: 512,
        flash_attn: args.flash_attn,
    };
    let (jobs, info) = engine::start(&args.model, settings).map_err(|e| (65, e))?;
    let model_id = args
        .model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "local".into());
    let app = Arc::new(api::App {
        jobs: std::sync::Mutex::new(jobs),
        model_id,
        token: args.token.clone(),
        context: info.context,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| (1, format!("async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| {
                (
                    69,
                    format!("cannot listen on {}:{}: {e}", args.host, args.port),
                )
            })?;
        let addr = listener.local_addr().map_err(|e| (1, e.to_string()))?;
        let router = axum::Router::new()
            .route("/health", axum::routing::get(api::health))
            .route("/v1/models", axum::routing::get(api::models))
            .route("/v1/chat/completions", axum::routing::post(api::chat))
            .with_state(app);
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
        let shutdown = async move {
            let parent_gone = async {
                match args.watch_stdin {
                    true => {
                        let _ = tokio::task::spawn_blocking(|| {
                            let mut sink = Vec::new();
                            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
                        })
                        .await;
                    }
                    false => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = parent_gone => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| (1, e.to_string()))
    })
}
