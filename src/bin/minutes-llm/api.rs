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

use crate::engine::{Job, JobError};

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
            .is_some_and(|given| given == t),
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
    stop: Option<Value>,
    #[serde(default)]
    response_format: Option<Value>,
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
    if req.stream == Some(true) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            "stream is not supported by this server yet",
        );
    }
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
        reply,
    };
    let sent = app
        .jobs
        .lock()
        .map(|tx| tx.send(job).is_ok())
        .unwrap_or(false);
    let outcome = match (sent, answer.await) {
        (true, Ok(outcome)) => outcome,
        _ => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                None,
                "the model worker stopped",
            );
        }
    };
    match outcome {
        Ok(done) => Json(json!({
            "id": format!("chatcmpl-{:x}", fastrand::u64(..)),
            "object": "chat.completion",
            "created": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            "model": app.model_id,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": done.text}, "finish_reason": done.finish_reason}],
            "usage": {
                "prompt_tokens": done.prompt_tokens,
                "completion_tokens": done.completion_tokens,
                "total_tokens": done.prompt_tokens + done.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": done.cached_tokens}
            }
        }))
        .into_response(),
        Err(JobError::TooLong { prompt, context }) => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("context_length_exceeded"),
            &format!("the prompt has {prompt} tokens; this model's context holds {context}"),
        ),
        Err(JobError::Invalid(m)) => error(StatusCode::BAD_REQUEST, "invalid_request_error", None, &m),
        Err(JobError::Engine(m)) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, &m),
    }
}
