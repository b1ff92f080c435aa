//! `minutes serve`: the pipeline over HTTP, for the teams, scripts and
//! people who do not live in a shell.
//!
//! The server is an edge like the CLI: a request becomes the same stage
//! calls a command makes (the one [`Transcriber`](crate::transcription)),
//! never a second pipeline. Recognition runs on one thread of its own, one
//! recording at a time: whisper already uses every core it is given, so two
//! at once would only take twice as long each. Requests wait for it in a
//! bounded queue, and a full queue answers `429` with `Retry-After` instead
//! of growing without bound. Uploads stream to files in the state
//! directory (never held whole in memory) under names of our own: a
//! client's file name never becomes a path.
//!
//! Without a token the server listens on loopback only; a token, once set,
//! is required on every `/v1` route, checked before a body is read. The
//! probes and `/metrics` (which name no file, person or token) stay open.

mod api;
mod auth;
mod jobs;
mod metrics;
mod openai;
mod store;
mod upload;
mod worker;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::batch::cache::Cache;
use crate::error::{Error, ErrorKind, Result};
use crate::flow::{MinutesSpec, Recipe};
use crate::llm::Secret;
use crate::stt::registry;
use crate::transcription::TranscriptionSettings;
use crate::ui::Printer;

/// How the server listens and what it accepts.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    pub host: String,
    pub port: u16,
    /// The bearer token every `/v1` request must carry, when set.
    pub token: Option<Secret>,
    /// Jobs' files and uploads in flight.
    pub state_dir: PathBuf,
    /// The largest upload accepted, in bytes (`413` past it).
    pub max_upload: u64,
    /// Requests that may wait for the recogniser, and jobs that may be
    /// open (waiting or running) at once (`429` past it).
    pub queue: usize,
    /// How long a stopping server lets running requests finish.
    pub grace: Duration,
}

impl ServiceOptions {
    /// Whether the address is reachable from this machine only.
    pub fn loopback(&self) -> bool {
        is_loopback(&self.host)
    }
}

/// Whether a host to listen on is reachable from this machine only.
pub fn is_loopback(host: &str) -> bool {
    host.parse::<IpAddr>()
        .map_or(host == "localhost", |ip| ip.is_loopback())
}

/// What every handler shares: the queue to the recogniser and what
/// requests are checked against.
struct App {
    queue: tokio::sync::mpsc::Sender<worker::Work>,
    token: Option<Secret>,
    uploads: PathBuf,
    /// The largest upload accepted, in bytes.
    max_upload: u64,
    models_dir: PathBuf,
    /// The model `whisper-1` and requests naming none get.
    default_model: String,
    /// The server's recognition options, which a request's fields refine.
    stt: crate::stt::SttOptions,
    metrics: Arc<metrics::Metrics>,
    jobs: Arc<jobs::Board>,
    /// Jobs open at once before `POST /v1/jobs` answers `429`.
    queue_limit: usize,
}

/// Serves until SIGTERM or Ctrl-C, then lets running requests finish for
/// the grace period.
pub fn run(
    opts: &ServiceOptions,
    transcription: &TranscriptionSettings,
    minutes: &MinutesSpec,
    cache: Option<&Cache>,
    printer: &Printer,
) -> Result<()> {
    if !opts.loopback() && opts.token.is_none() {
        return Err(Error::usage(format!(
            "--host {} is reachable from other machines: the server needs a token",
            opts.host
        ))
        .with_hint("set MINUTES_API_TOKEN or pass --token-file FILE"));
    }
    let (default_model, _) =
        registry::resolve(transcription.model.as_deref(), &transcription.models_dir)?;
    let uploads = prepare_uploads(&opts.state_dir)?;
    // Jobs need an LLM; without one the server still transcribes.
    let recipe = match crate::llm::select::is_configured(&minutes.llm, &minutes.models_dir) {
        true => Some(Recipe::prepare(minutes, transcription, cache.cloned())?),
        false => {
            printer.warn("no LLM is configured: jobs are refused (pass --llm and --llm-model)");
            None
        }
    };
    let board = Arc::new(jobs::Board::new(
        store::Store::open(&opts.state_dir)?,
        recipe.is_some(),
    ));
    let metrics = Arc::new(metrics::Metrics::new());
    let (queue, work) = tokio::sync::mpsc::channel(opts.queue.max(1));
    let app = Arc::new(App {
        queue,
        token: opts.token.clone(),
        uploads,
        max_upload: opts.max_upload,
        models_dir: transcription.models_dir.clone(),
        default_model: default_model.clone(),
        stt: transcription.stt.clone(),
        metrics: metrics.clone(),
        jobs: board.clone(),
        queue_limit: opts.queue,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("async runtime: {e}")))?;
    let stopping = AtomicBool::new(false);
    let served = std::thread::scope(|scope| {
        let recogniser = worker::Recogniser {
            settings: transcription,
            cache,
            printer,
            default_model: &default_model,
            metrics: &metrics,
            board: &board,
            recipe: recipe.as_ref(),
            stopping: &stopping,
        };
        scope.spawn(move || recogniser.run(work));
        let served = runtime.block_on(serve(opts, app, &stopping, printer));
        // The job running has what is left of the grace period; cut off
        // then, it stays in the store and resumes at the next start.
        if let Ok(stopped) = &served {
            let deadline = stopped.checked_add(opts.grace);
            while board.is_running() && deadline.is_some_and(|d| Instant::now() < d) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        stopping.store(true, Ordering::SeqCst);
        if board.stop_running(None) {
            printer.warn("the job running is cut off by the stop; it resumes at the next start");
        }
        // Requests still in flight end here: the queue closes with the last
        // handler, and the recogniser ends once the recording it is on is
        // stopped (its reader has gone).
        runtime.shutdown_timeout(Duration::from_secs(1));
        served
    });
    served.map(|_| ())
}

/// Serves until stopped; gives the moment the stop was asked for.
async fn serve(
    opts: &ServiceOptions,
    app: Arc<App>,
    stopping: &AtomicBool,
    printer: &Printer,
) -> Result<Instant> {
    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("cannot listen on {}:{}: {e}", opts.host, opts.port),
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::internal(e.to_string()))?;
    let limit = usize::try_from(opts.max_upload).unwrap_or(usize::MAX);
    let v1 = axum::Router::new()
        .route("/v1/models", get(openai::models))
        .route(
            "/v1/audio/transcriptions",
            post(openai::transcriptions).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            "/v1/jobs",
            post(jobs::create)
                .get(jobs::list)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .route("/v1/jobs/{id}", get(jobs::get).delete(jobs::delete))
        .route("/v1/jobs/{id}/minutes", get(jobs::minutes))
        .route("/v1/jobs/{id}/transcript", get(jobs::transcript))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::check,
        ));
    let router = axum::Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(metrics::scrape))
        .merge(v1)
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::count,
        ))
        .with_state(app);
    printer.status(format!("listening on http://{addr}"));
    let (stop_tx, stop) = tokio::sync::watch::channel(None::<Instant>);
    tokio::spawn(async move {
        stopped().await;
        let _ = stop_tx.send(Some(Instant::now()));
    });
    let mut graceful = stop.clone();
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = graceful.wait_for(Option::is_some).await;
        })
        .into_future();
    let mut told = stop.clone();
    let grace = opts.grace;
    let served = tokio::select! {
        served = server => served.map_err(|e| Error::internal(format!("server: {e}"))),
        _ = async {
            let _ = told.wait_for(Option::is_some).await;
            // No job starts from here on.
            stopping.store(true, Ordering::SeqCst);
            printer.status(format!("stopping: running requests and jobs have {} s to finish", grace.as_secs()));
            tokio::time::sleep(grace).await;
        } => {
            printer.warn("stopped with requests still running: the grace period is over");
            Ok(())
        }
    };
    stopping.store(true, Ordering::SeqCst);
    let asked = *stop.borrow();
    served.map(|()| asked.unwrap_or_else(Instant::now))
}

/// SIGTERM (how service managers and Kubernetes stop a process) or Ctrl-C.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The folder uploads stream into, emptied of what a server killed while
/// receiving left behind (such a request was never answered, so nothing
/// refers to it).
fn prepare_uploads(state_dir: &Path) -> Result<PathBuf> {
    let dir = state_dir.join("uploads");
    std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, &e))?;
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| Error::read(&dir, &e))?
        .flatten()
    {
        let _ = std::fs::remove_file(entry.path());
    }
    Ok(dir)
}

impl App {
    fn is_ready(&self) -> bool {
        self.metrics.is_ready()
    }
}
