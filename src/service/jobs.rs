//! Jobs under `/v1/jobs`: a recording (or a transcript) in, minutes out,
//! kept in the store across restarts.
//!
//! `POST /v1/jobs` takes the upload as the transcription endpoint does
//! (field `file`, streamed to disk) and answers `202` with the job and its
//! `Location` once the job is durable. `GET /v1/jobs/{id}` tells its state
//! and progress; `/minutes` (markdown or JSON) and `/transcript` (txt, srt,
//! vtt, json, rttm) serve what it made; `DELETE` cancels a job that has
//! not finished and removes one that has, with its files. `GET /v1/jobs`
//! lists them newest first, in pages (`limit`, `after`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::App;
use super::api::ApiError;
use super::store::{Asked, Job, State as JobState, Store};
use super::upload;
use super::worker::Work;
use crate::error::Result;
use crate::flow::{Cancel, Document, Recipe};
use crate::sink;

/// What handlers and the recogniser share about jobs.
pub struct Board {
    pub store: Store,
    /// The job being made, and how to stop it.
    running: Mutex<Option<(String, Cancel)>>,
    /// Whether an LLM is configured (jobs need one).
    pub llm: bool,
}

impl Board {
    pub fn new(store: Store, llm: bool) -> Board {
        Board {
            store,
            running: Mutex::new(None),
            llm,
        }
    }

    pub fn set_running(&self, job: Option<(String, Cancel)>) {
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = job;
    }

    /// Stops the job being made, if it is `id` (any job, for `None`).
    pub fn stop_running(&self, id: Option<&str>) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match running.as_ref() {
            Some((current, cancel)) if id.is_none_or(|id| id == current) => {
                cancel.cancel();
                true
            }
            _ => false,
        }
    }

    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// The server's recipe with what the job asked for.
    pub fn recipe_for(&self, recipe: &Recipe, asked: &Asked) -> Result<Recipe> {
        let mut recipe = recipe.clone();
        if let Some(code) = &asked.language {
            let name = crate::summarize::language::prompt_name(code)
                .ok_or_else(|| crate::error::Error::usage(format!("unknown language {code}")))?;
            recipe.language = Some(code.clone());
            recipe.prompts.language = Some(code.clone());
            recipe.options.language = Some(name);
            recipe.options.language_code = Some(code.clone());
        }
        if let Some(spoken) = &asked.audio_language {
            recipe.transcription.stt.language = spoken.clone();
        }
        Ok(recipe)
    }
}

/// What a finished job keeps: the minutes in both formats and the
/// transcript in every format, each written whole or not at all.
pub fn write_outputs(folder: &Path, doc: &Document) -> Result<()> {
    let t = &doc.recording;
    for (name, text) in [
        ("transcript.txt", t.to_txt()),
        ("transcript.srt", t.to_srt()),
        ("transcript.vtt", t.to_vtt()),
        ("transcript.json", t.to_json()),
        ("transcript.rttm", t.to_rttm()),
        ("minutes.json", doc.json(false)),
        // Last: its presence is what a done job is checked by.
        ("minutes.md", doc.markdown(false)),
    ] {
        sink::write_atomic(&folder.join(name), text.as_bytes())?;
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no job {id}"))
}

fn store_error(e: &crate::error::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server",
        e.message().to_string(),
    )
}

fn find(app: &App, id: &str) -> Result<Job, ApiError> {
    app.jobs
        .store
        .get(id)
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| not_found(id))
}

/// A job as clients see it.
fn shown(job: &Job) -> Value {
    let mut v = serde_json::to_value(job).unwrap_or_default();
    v["object"] = json!("job");
    v
}

pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(e) = upload::check_length(&headers, app.max_upload) {
        return e.into_response();
    }
    match accept(&app, multipart).await {
        Ok(job) => {
            let mut response = (StatusCode::ACCEPTED, Json(shown(&job))).into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/v1/jobs/{}", job.id)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Err(err) => err.into_response(),
    }
}

async fn accept(
    app: &App,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Job, ApiError> {
    if !app.jobs.llm {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no LLM is configured: start the server with --llm URL --llm-model NAME (or a local model)",
        ));
    }
    let multipart = upload::form(multipart)?;
    let form = upload::read(multipart, &app.uploads).await?;
    let file = upload::required(form.file)?;
    let mut asked = Asked::default();
    for (name, value) in form.fields {
        let value = value.trim().to_lowercase();
        match name.as_str() {
            "language" => {
                if crate::summarize::language::prompt_name(&value).is_none() {
                    return Err(ApiError::field(
                        "language",
                        format!("{value:?} is not a language code such as en, ko, de"),
                    ));
                }
                asked.language = Some(value);
            }
            "audio_language" => {
                asked.audio_language =
                    Some(super::openai::spoken_language("audio_language", &value)?);
            }
            "" => return Err(ApiError::field("form", "a part has no name")),
            other => return Err(ApiError::field(other, "not an option of jobs")),
        }
    }
    if !crate::transcript::parse::is_transcript(&file.path) {
        upload::check_recording(&file).await?;
    }
    let store = &app.jobs.store;
    if store.open_jobs().map_err(|e| store_error(&e))? >= app.queue_limit {
        return Err(ApiError::busy(30));
    }
    let id = new_id();
    let folder = store.folder(&id);
    let input = match file.path.extension() {
        Some(ext) => format!("input.{}", ext.to_string_lossy()),
        None => "input".to_string(),
    };
    std::fs::create_dir_all(&folder)
        .map_err(|e| store_error(&crate::error::Error::write(&folder, &e)))?;
    // The recording is whole in the job's folder before the job exists.
    file.path
        .persist(folder.join(&input))
        .map_err(|e| store_error(&crate::error::Error::write(&folder, &e.error)))?;
    let job = store
        .insert(&id, &file.name, &input, &asked)
        .map_err(|e| store_error(&e))?;
    // A full queue means the recogniser is busy and looks at jobs next anyway.
    let _ = app.queue.try_send(Work::Jobs);
    Ok(job)
}

/// 128 random bits, in hex: ids are not guessable from one another.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = fastrand::u128(..).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn get(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    match find(&app, &id) {
        Ok(job) => Json(shown(&job)).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct Page {
    limit: Option<String>,
    after: Option<String>,
}

pub async fn list(State(app): State<Arc<App>>, Query(page): Query<Page>) -> Response {
    let limit = match page.limit.as_deref().map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return ApiError::field("limit", "must be a whole number from 1 to 100")
                .into_response();
        }
    };
    let before = match page.after.as_deref() {
        None => None,
        Some(id) => match find(&app, id) {
            Ok(job) => Some(job.seq),
            Err(_) => return ApiError::field("after", format!("no job {id}")).into_response(),
        },
    };
    // One more than asked tells whether there is a next page.
    let mut jobs = match app.jobs.store.list(limit + 1, before) {
        Ok(jobs) => jobs,
        Err(e) => return store_error(&e).into_response(),
    };
    let has_more = jobs.len() > limit;
    jobs.truncate(limit);
    Json(json!({
        "object": "list",
        "data": jobs.iter().map(shown).collect::<Vec<_>>(),
        "first_id": jobs.first().map(|j| j.id.clone()),
        "last_id": jobs.last().map(|j| j.id.clone()),
        "has_more": has_more,
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct Wanted {
    format: Option<String>,
}

pub async fn minutes(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    Query(wanted): Query<Wanted>,
    headers: HeaderMap,
) -> Response {
    let accepts_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let format = wanted
        .format
        .unwrap_or_else(|| if accepts_json { "json" } else { "md" }.into());
    let (file, content_type) = match format.as_str() {
        "md" | "markdown" => ("minutes.md", "text/markdown; charset=utf-8"),
        "json" => ("minutes.json", "application/json"),
        other => {
            return ApiError::field("format", format!("{other:?} is not md or json"))
                .into_response();
        }
    };
    serve_file(&app, &id, file, content_type)
}

pub async fn transcript(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    Query(wanted): Query<Wanted>,
) -> Response {
    let format = wanted.format.unwrap_or_else(|| "txt".into());
    let (file, content_type) = match format.as_str() {
        "txt" => ("transcript.txt", "text/plain; charset=utf-8"),
        "srt" => ("transcript.srt", "application/x-subrip; charset=utf-8"),
        "vtt" => ("transcript.vtt", "text/vtt; charset=utf-8"),
        "json" => ("transcript.json", "application/json"),
        "rttm" => ("transcript.rttm", "text/plain; charset=utf-8"),
        other => {
            return ApiError::field(
                "format",
                format!("{other:?} is not txt, srt, vtt, json or rttm"),
            )
            .into_response();
        }
    };
    serve_file(&app, &id, file, content_type)
}

/// One of a done job's files; `409` while the job is not done.
fn serve_file(app: &App, id: &str, file: &str, content_type: &'static str) -> Response {
    let job = match find(app, id) {
        Ok(job) => job,
        Err(e) => return e.into_response(),
    };
    if job.state != JobState::Done {
        return ApiError::new(
            StatusCode::CONFLICT,
            "not_ready",
            format!("job {id} is {}, not done", job.state.as_str()),
        )
        .into_response();
    }
    let path = app.jobs.store.folder(id).join(file);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Err(e) => store_error(&crate::error::Error::read(&path, &e)).into_response(),
    }
}

pub async fn delete(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let job = match find(&app, &id) {
        Ok(job) => job,
        Err(e) => return e.into_response(),
    };
    let store = &app.jobs.store;
    if job.state.finished() {
        return match store.remove(&id) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => store_error(&e).into_response(),
        };
    }
    match store.cancel(&id) {
        Ok(_) => {
            app.jobs.stop_running(Some(&id));
            match find(&app, &id) {
                Ok(job) => Json(shown(&job)).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => store_error(&e).into_response(),
    }
}
