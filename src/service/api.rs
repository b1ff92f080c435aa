//! The shape of every answer that is not a document: errors as
//! `{"error": {"kind", "message", "param"}}` (with OpenAI's `type` and
//! `code`, so its clients raise the right exception), health and readiness.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::App;
use crate::error::{Error, ErrorKind};

/// An error answer: its status, a stable kind, a one-line message and the
/// request field it is about.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            param: None,
            retry_after: None,
        }
    }

    /// A `400` about one field of the request.
    pub fn field(param: &str, message: impl std::fmt::Display) -> Self {
        ApiError {
            param: Some(param.to_string()),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("{param}: {message}"),
            )
        }
    }

    /// A `400` for an upload that is not a recording we can use.
    pub fn bad_file(message: impl Into<String>) -> Self {
        ApiError {
            param: Some("file".into()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "bad_input", message)
        }
    }

    /// A stage's error, its message told in the client's terms: `local`
    /// (a path of ours) is replaced by `shown` (the name the client gave).
    pub fn from_stage(err: &Error, local: &str, shown: &str) -> Self {
        let message = err.message().replace(local, shown);
        let (status, kind) = match err.kind() {
            ErrorKind::BadInput | ErrorKind::MissingInput => {
                return ApiError::bad_file(message);
            }
            ErrorKind::Usage => (StatusCode::BAD_REQUEST, "bad_request"),
            ErrorKind::Unavailable | ErrorKind::Temporary => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ErrorKind::CannotWrite | ErrorKind::Config => {
                (StatusCode::INTERNAL_SERVER_ERROR, "server")
            }
            ErrorKind::Internal | ErrorKind::StdoutClosed => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        ApiError::new(status, kind, message)
    }

    pub fn busy(retry_after: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                "the queue is full; try again later",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = match self.status.is_server_error() {
            true => "server_error",
            false => "invalid_request_error",
        };
        let body = json!({"error": {
            "kind": self.kind,
            "message": self.message,
            "param": self.param,
            "type": kind,
            "code": self.kind,
        }});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The process is up (for liveness probes).
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The speech model is loaded and requests are taken (for readiness probes).
pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.is_ready() {
        true => Json(json!({"status": "ready", "model": app.default_model})).into_response(),
        false => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "starting",
            "the speech model is loading",
        )
        .into_response(),
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}
