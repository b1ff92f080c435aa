//! OpenAI's transcription API (`POST /v1/audio/transcriptions`,
//! `GET /v1/models`), answered as OpenAI answers, so its official clients
//! and `curl -F` scripts work unchanged against this server.
//!
//! `whisper-1` names the server's default model; any speech model in the
//! models directory may be named instead. `verbose_json` gives segments
//! with `id`, `seek`, `start`, `end`, `text`, `temperature`, `avg_logprob`
//! (the mean log-probability of the segment's words) and, with
//! `timestamp_granularities[]=word`, the words with their times, plus
//! `speaker` where speakers are labelled. Fields whisper.cpp does not give
//! us here (`tokens`, `no_speech_prob`, `compression_ratio`) are left out
//! rather than made up.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::App;
use super::api::ApiError;
use super::upload::{self, Upload};
use super::worker::Work;
use crate::stt::{SttOptions, registry};
use crate::transcript::Transcript;

/// What the client may ask for, as OpenAI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
}

struct Request {
    upload: Upload,
    model: Option<String>,
    language: String,
    prompt: Option<String>,
    format: Format,
    temperature: f32,
    words: bool,
}

pub async fn models(State(app): State<Arc<App>>) -> Json<Value> {
    let mut data = vec![model_entry("whisper-1", 0)];
    for (name, path, _) in registry::present(&app.models_dir) {
        let created = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        data.push(model_entry(&name, created));
    }
    Json(json!({"object": "list", "data": data}))
}

fn model_entry(id: &str, created: u64) -> Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": "minutes"})
}

pub async fn transcriptions(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(e) = upload::check_length(&headers, app.max_upload) {
        return e.into_response();
    }
    match transcribe(&app, multipart).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn transcribe(
    app: &App,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let multipart = upload::form(multipart)?;
    let form = upload::read(multipart, &app.uploads).await?;
    let request = parse(form, app)?;
    let local = request.upload.path.display().to_string();
    let shown = request.upload.name.clone();
    upload::check_recording(&request.upload).await?;
    let stt = SttOptions {
        language: request.language.clone(),
        prompt: request.prompt.clone(),
        temperature: request.temperature,
        ..app.stt.clone()
    };
    let (reply, answer) = oneshot::channel();
    let work = Work::Transcribe {
        audio: request.upload.path,
        model: request.model.clone(),
        stt,
        reply,
    };
    app.queue.try_send(work).map_err(|e| match e {
        tokio::sync::mpsc::error::TrySendError::Full(_) => ApiError::busy(30),
        tokio::sync::mpsc::error::TrySendError::Closed(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is stopping",
        ),
    })?;
    let transcript = answer
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server is stopping",
            )
        })?
        .map_err(|e| ApiError::from_stage(&e, &local, &shown))?;
    Ok(respond(
        &transcript,
        request.format,
        request.words,
        request.temperature,
    ))
}

/// The form's fields, checked; the first wrong one is named.
fn parse(form: upload::Form, app: &App) -> Result<Request, ApiError> {
    let upload = upload::required(form.file)?;
    let mut request = Request {
        upload,
        model: None,
        language: app.stt.language.clone(),
        prompt: app.stt.prompt.clone(),
        format: Format::Json,
        temperature: 0.0,
        words: false,
    };
    let mut granularities = Vec::new();
    for (name, value) in form.fields {
        let value = value.trim().to_string();
        match name.as_str() {
            "model" => request.model = model(app, &value)?,
            "language" => request.language = spoken_language("language", &value)?,
            "prompt" => request.prompt = Some(value).filter(|p| !p.is_empty()),
            "response_format" => request.format = format(&value)?,
            "temperature" => request.temperature = temperature(&value)?,
            "timestamp_granularities[]" | "timestamp_granularities" => match value.as_str() {
                "word" | "segment" => granularities.push(value),
                _ => {
                    return Err(ApiError::field(
                        "timestamp_granularities[]",
                        format!("{value:?} is not word or segment"),
                    ));
                }
            },
            "" => return Err(ApiError::field("form", "a part has no name")),
            other => return Err(ApiError::field(other, "not an option of this endpoint")),
        }
    }
    if !granularities.is_empty() && request.format != Format::VerboseJson {
        return Err(ApiError::field(
            "timestamp_granularities[]",
            "needs response_format verbose_json",
        ));
    }
    request.words = granularities.iter().any(|g| g == "word");
    Ok(request)
}

/// `whisper-1` (or nothing) is the default model; another name must be present.
fn model(app: &App, name: &str) -> Result<Option<String>, ApiError> {
    if name.is_empty() || name == "whisper-1" || name == app.default_model {
        return Ok(None);
    }
    match registry::present(&app.models_dir)
        .into_iter()
        .any(|(n, _, _)| n == name)
    {
        true => Ok(Some(name.to_string())),
        false => Err(ApiError::field(
            "model",
            format!("no speech model {name:?} here (GET /v1/models lists them)"),
        )),
    }
}

/// A spoken language for whisper: `auto` or a code it knows (field `param`).
pub(super) fn spoken_language(param: &str, code: &str) -> Result<String, ApiError> {
    let code = code.to_lowercase();
    match code == "auto" || whisper_rs::get_lang_id(&code).is_some() {
        true => Ok(code),
        false => Err(ApiError::field(
            param,
            format!("{code:?} is not auto or a language code such as en, ko, de"),
        )),
    }
}

fn format(value: &str) -> Result<Format, ApiError> {
    Ok(match value {
        "json" => Format::Json,
        "text" => Format::Text,
        "srt" => Format::Srt,
        "vtt" => Format::Vtt,
        "verbose_json" => Format::VerboseJson,
        other => {
            return Err(ApiError::field(
                "response_format",
                format!("{other:?} is not json, text, srt, vtt or verbose_json"),
            ));
        }
    })
}

fn temperature(value: &str) -> Result<f32, ApiError> {
    match value.parse::<f32>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(ApiError::field(
            "temperature",
            format!("{value:?} is not a number from 0 to 1"),
        )),
    }
}

fn respond(t: &Transcript, format: Format, words: bool, temperature: f32) -> Response {
    let text = t
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<String>()
        .trim()
        .to_string();
    let usage = json!({"type": "duration", "seconds": t.duration.ceil() as u64});
    match format {
        Format::Json => Json(json!({"text": text, "usage": usage})).into_response(),
        Format::Text => plain(format!("{text}\n"), "text/plain; charset=utf-8"),
        Format::Srt => plain(t.to_srt_cues(None), "application/x-subrip; charset=utf-8"),
        Format::Vtt => plain(t.to_vtt_cues(None), "text/vtt; charset=utf-8"),
        Format::VerboseJson => Json(verbose(t, text, words, temperature, usage)).into_response(),
    }
}

fn plain(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn verbose(t: &Transcript, text: String, words: bool, temperature: f32, usage: Value) -> Value {
    let segments: Vec<Value> = t
        .segments
        .iter()
        .enumerate()
        .map(|(id, s)| {
            let mut seg = json!({
                "id": id,
                "seek": (s.start * 100.0).round() as u64,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "temperature": temperature,
                "avg_logprob": avg_logprob(s),
            });
            if let Some(who) = &s.speaker {
                seg["speaker"] = json!(who);
            }
            seg
        })
        .collect();
    let mut body = json!({
        "task": "transcribe",
        "language": language_name(&t.language),
        "duration": t.duration,
        "text": text,
        "segments": segments,
        "usage": usage,
    });
    if words {
        let words: Vec<Value> = t
            .segments
            .iter()
            .flat_map(|s| &s.words)
            .map(|w| {
                let mut v = json!({"word": w.text.trim(), "start": w.start, "end": w.end});
                if let Some(who) = &w.speaker {
                    v["speaker"] = json!(who);
                }
                v
            })
            .collect();
        body["words"] = json!(words);
    }
    body
}

/// The mean natural log of the segment's word probabilities (0 without words).
fn avg_logprob(s: &crate::transcript::Segment) -> f64 {
    let n = s.words.len();
    if n == 0 {
        return 0.0;
    }
    let sum: f64 = s
        .words
        .iter()
        .map(|w| f64::from(w.probability.max(1e-6)).ln())
        .sum();
    sum / n as f64
}

/// "en" → "english", as OpenAI's `verbose_json` names languages.
fn language_name(code: &str) -> String {
    whisper_rs::get_lang_id(code)
        .and_then(whisper_rs::get_lang_str_full)
        .map_or_else(|| code.to_string(), str::to_string)
}
