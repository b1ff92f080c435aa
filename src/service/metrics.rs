//! `GET /metrics`: what the server has done, in the Prometheus text format
//! 0.0.4 (through `prometheus-client`, the Prometheus project's Rust client;
//! the format every scraper and `promtool` read),
//! for a dashboard of requests, transcriptions, audio and waiting.
//!
//! Nothing in it names a file, a person or a token: labels are routes,
//! status codes and outcomes only, so the route stays open to scrapers
//! like the probes.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use super::App;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

/// How a transcription ended.
#[derive(Debug, Clone, Copy)]
pub enum Ended {
    Done,
    Failed,
    /// Its client was gone, or the server stopped it.
    Cancelled,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    transcriptions: Family<Outcome, Counter>,
    audio_seconds: Counter<f64, AtomicU64>,
    transcribe_seconds: Histogram,
    queued: Gauge,
    ready: Gauge,
    jobs_ended: Family<Outcome, Counter>,
    job_seconds: Histogram,
    jobs: Family<StateLabel, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("minutes");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let transcriptions = Family::<Outcome, Counter>::default();
        registry.register(
            "transcriptions",
            "Recordings transcribed, by outcome (done, failed, cancelled)",
            transcriptions.clone(),
        );
        let audio_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "audio_seconds",
            "Seconds of audio transcribed",
            audio_seconds.clone(),
        );
        // 0.25 s to about 2 h.
        let transcribe_seconds = Histogram::new(exponential_buckets(0.25, 2.0, 15));
        registry.register(
            "transcribe_seconds",
            "Wall time of a transcription (cached ones included)",
            transcribe_seconds.clone(),
        );
        let queued = Gauge::default();
        registry.register(
            "queue_depth",
            "Requests waiting for the recogniser",
            queued.clone(),
        );
        let ready = Gauge::default();
        registry.register(
            "ready",
            "1 once the default speech model is loaded",
            ready.clone(),
        );
        let jobs_ended = Family::<Outcome, Counter>::default();
        registry.register(
            "jobs_finished",
            "Jobs that ended, by outcome (done, failed, cancelled)",
            jobs_ended.clone(),
        );
        let job_seconds = Histogram::new(exponential_buckets(0.25, 2.0, 15));
        registry.register(
            "job_seconds",
            "Wall time of a job, from its start to its minutes",
            job_seconds.clone(),
        );
        let jobs = Family::<StateLabel, Gauge>::default();
        registry.register("jobs", "Jobs in the store, by state", jobs.clone());
        Metrics {
            jobs_ended,
            job_seconds,
            jobs,
            registry,
            requests,
            transcriptions,
            audio_seconds,
            transcribe_seconds,
            queued,
            ready,
        }
    }

    pub fn transcribed(&self, ended: Ended, seconds: f64, audio: f64) {
        let outcome = match ended {
            Ended::Done => "done",
            Ended::Failed => "failed",
            Ended::Cancelled => "cancelled",
        };
        self.transcriptions
            .get_or_create(&Outcome {
                outcome: outcome.into(),
            })
            .inc();
        self.transcribe_seconds.observe(seconds);
        self.audio_seconds.inc_by(audio);
    }

    /// A job ended; `seconds` and `audio` count for done jobs only.
    pub fn job_ended(&self, outcome: &str, seconds: f64, audio: f64) {
        self.jobs_ended
            .get_or_create(&Outcome {
                outcome: outcome.into(),
            })
            .inc();
        if outcome == "done" {
            self.job_seconds.observe(seconds);
            self.audio_seconds.inc_by(audio);
        }
    }

    pub fn set_ready(&self) {
        self.ready.set(1);
    }

    /// Whether the default model is loaded: what `/readyz` tells.
    pub fn is_ready(&self) -> bool {
        self.ready.get() == 1
    }

    fn render(&self, queued: usize, jobs: &[(String, u64)]) -> String {
        self.queued.set(i64::try_from(queued).unwrap_or(i64::MAX));
        // Every state is shown, at 0 when no job is in it.
        for state in [
            "queued",
            "transcribing",
            "summarizing",
            "done",
            "failed",
            "cancelled",
        ] {
            let n = jobs.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
            self.jobs
                .get_or_create(&StateLabel {
                    state: state.into(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// Counts every answer by its route's pattern (never the path asked for,
/// which a client chooses) and status.
pub async fn count(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    app.metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16().to_string(),
        })
        .inc();
    response
}

pub async fn scrape(State(app): State<Arc<App>>) -> Response {
    let queued = app.queue.max_capacity() - app.queue.capacity();
    let jobs = app.jobs.store.by_state().unwrap_or_default();
    let mut response = app.metrics.render(queued, &jobs).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_text::CONTENT_TYPE),
    );
    response
}
