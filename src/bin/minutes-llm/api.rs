//! The OpenAI chat-completions protocol over HTTP: `/v1/chat/completions`
//! (with `usage`), `/v1/models`, `/health`, behind an optional bearer token.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use axum::response::sse::{Event, Sse};

use crate::engine::{Done, Job, JobError, Piece};

type Answer = tokio::sync::oneshot::Receiver<Result<Done, JobError>>;

pub struct App {
    pub jobs: std::sync::Mutex<Sender<Job>>,
    pub model_id: String,
    pub token: Option<String>,
    pub context: usize,
}

fn error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "code": code}})),
    )
        .into_response()
}

fn authorised(app: &App, headers: &HeaderMap) -> bool {
    match &app.token {
        None => true,
        Some(t) => headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            // Constant time: the comparison must not tell how much of a guess was right.
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(t.as_bytes()))),
    }
}

/// The 401 answer for a request without the right bearer token, if it lacks it.
fn refuse_unauthorised(app: &App, headers: &HeaderMap) -> Option<Response> {
    (!authorised(app, headers)).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            "missing or wrong bearer token",
        )
    })
}

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn models(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse_unauthorised(&app, &headers) {
        return refused;
    }
    Json(json!({"object": "list", "data": [{"id": app.model_id, "object": "model", "owned_by": "minutes",
        "context_length": app.context}]}))
    .into_response()
}

#[derive(Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Value,
}

#[derive(Deserialize)]
struct ChatRequest {
    messages: Vec<Message>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    #[serde(default)]
    temperature: Option<f32>,
    #[serde(default)]
    top_p: Option<f32>,
    #[serde(default)]
    seed: Option<u32>,
    /// llama.cpp's extension; also accepted as `frequency_penalty`-free default.
    #[serde(default)]
    repeat_penalty: Option<f32>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    stop: Option<Value>,
    #[serde(default)]
    response_format: Option<Value>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// Message content as text: a string, or the text parts of a content array.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The GBNF grammar a `response_format` asks for.
fn grammar(format: Option<&Value>) -> Result<Option<String>, String> {
    let Some(f) = format else { return Ok(None) };
    let schema = match f["type"].as_str() {
        Some("json_schema") => f["json_schema"]["schema"].clone(),
        Some("json_object") => json!({"type": "object"}),
        Some("text") | None => return Ok(None),
        Some(other) => return Err(format!("response_format type {other} is not supported")),
    };
    llama_cpp_2::json_schema_to_grammar(&schema.to_string())
        .map(Some)
        .map_err(|e| format!("json_schema: {e}"))
}

pub async fn chat(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = refuse_unauthorised(&app, &headers) {
        return refused;
    }
    let req: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                &format!("bad request: {e}"),
            );
        }
    };
    let grammar = match grammar(req.response_format.as_ref()) {
        Ok(g) => g,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                &format!("response_format: {e}"),
            );
        }
    };
    let stop = match &req.stop {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = Job {
        messages: req
            .messages
            .iter()
            .map(|m| (m.role.clone(), text_of(&m.content)))
            .collect(),
        max_tokens: req.max_completion_tokens.or(req.max_tokens).unwrap_or(1024),
        temperature: req.temperature.unwrap_or(0.8),
        top_p: req.top_p.unwrap_or(0.95),
        seed: req.seed.unwrap_or(0x5eed),
        repeat_penalty: req.repeat_penalty.unwrap_or(1.1),
        grammar,
        stop,
        stream: None,
        reply,
    };
    if req.stream == Some(true) {
        let include_usage = req.stream_options.is_some_and(|o| o.include_usage);
        return stream(app, job, answer, include_usage).await;
    }
    if !submit(&app, job) {
        return stopped();
    }
    match answer.await {
        Ok(Ok(done)) => Json(json!({
            "id": completion_id(),
            "object": "chat.completion",
            "created": now(),
            "model": app.model_id,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": done.text}, "finish_reason": done.finish_reason}],
            "usage": usage(&done),
        }))
        .into_response(),
        Ok(Err(e)) => failure(e),
        Err(_) => stopped(),
    }
}

/// Hands a job to the model worker; false when the worker is gone.
fn submit(app: &App, job: Job) -> bool {
    app.jobs
        .lock()
        .map(|tx| tx.send(job).is_ok())
        .unwrap_or(false)
}

fn stopped() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "server_error",
        None,
        "the model worker stopped",
    )
}

fn failure(e: JobError) -> Response {
    match e {
        JobError::TooLong { prompt, context } => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("context_length_exceeded"),
            &format!("the prompt has {prompt} tokens; this model's context holds {context}"),
        ),
        JobError::Invalid(m) => error(StatusCode::BAD_REQUEST, "invalid_request_error", None, &m),
        JobError::Engine(m) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, &m),
    }
}

fn completion_id() -> String {
    format!("chatcmpl-{:x}", fastrand::u64(..))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn usage(done: &Done) -> Value {
    json!({
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "total_tokens": done.prompt_tokens + done.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": done.cached_tokens}
    })
}

/// A streamed answer as server-sent events, the way OpenAI sends them: a
/// first chunk with the role, one chunk per piece of text, a last chunk with
/// the finish reason, optionally one with the usage, then `[DONE]`. A
/// prompt the model refuses is a plain error response, before any event.
async fn stream(app: Arc<App>, mut job: Job, answer: Answer, include_usage: bool) -> Response {
    let (pieces_tx, mut pieces) = tokio::sync::mpsc::unbounded_channel();
    job.stream = Some(pieces_tx);
    if !submit(&app, job) {
        return stopped();
    }
    match pieces.recv().await {
        Some(Piece::Started) => {}
        _ => {
            return match answer.await {
                Ok(Err(e)) => failure(e),
                _ => stopped(),
            };
        }
    }
    let (events_tx, events) = tokio::sync::mpsc::channel::<Event>(64);
    let id = completion_id();
    let created = now();
    let model = app.model_id.clone();
    let usage_head = json!({"id": id, "object": "chat.completion.chunk", "created": created,
        "model": model, "choices": []});
    let chunk = move |delta: Value, finish: Option<&str>| {
        Event::default().data(
            json!({"id": id, "object": "chat.completion.chunk", "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            .to_string(),
        )
    };
    tokio::spawn(async move {
        let send = |e: Event| events_tx.send(e);
        if send(chunk(json!({"role": "assistant", "content": ""}), None))
            .await
            .is_err()
        {
            return; // The client went away; dropping `pieces` stops the model.
        }
        while let Some(piece) = pieces.recv().await {
            if let Piece::Text(text) = piece
                && send(chunk(json!({"content": text}), None)).await.is_err()
            {
                return;
            }
        }
        let last = match answer.await {
            Ok(Ok(done)) => {
                let _ = send(chunk(json!({}), Some(done.finish_reason))).await;
                if include_usage {
                    let mut usage_chunk = usage_head;
                    usage_chunk["usage"] = usage(&done);
                    let _ = send(Event::default().data(usage_chunk.to_string())).await;
                }
                Event::default().data("[DONE]")
            }
            Ok(Err(e)) => {
                let message = match e {
                    JobError::TooLong { .. } => "the prompt does not fit the context".to_string(),
                    JobError::Invalid(m) | JobError::Engine(m) => m,
                };
                Event::default().data(
                    json!({"error": {"message": message, "type": "server_error"}}).to_string(),
                )
            }
            Err(_) => Event::default().data(
                json!({"error": {"message": "the model worker stopped", "type": "server_error"}})
                    .to_string(),
            ),
        };
        let _ = send(last).await;
    });
    let events = futures::stream::unfold(events, |mut rx| async move {
        rx.recv()
            .await
            .map(|e| (Ok::<_, std::convert::Infallible>(e), rx))
    });
    Sse::new(events).into_response()
}
