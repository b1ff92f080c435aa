//! A multipart form read as it arrives: the file part streamed to a file of
//! ours in the uploads folder, the other parts kept as short texts.
//!
//! The file's name as the client gives it is kept for messages only; on
//! disk the upload gets a random name and, when the client's name ends in
//! a plain extension (`.m4a`), that extension, as a hint for the decoder.
//! A form that breaks off, or passes the size limit, leaves no file behind.

use std::io::Write;
use std::path::Path;

use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use tempfile::TempPath;

use super::api::ApiError;

/// A text part longer than this is not an option but a mistake.
const MAX_FIELD: usize = 64 * 1024;

/// The uploaded recording.
pub struct Upload {
    pub path: TempPath,
    /// The client's name for it, safe to show (no folders).
    pub name: String,
    pub bytes: u64,
}

/// The form's parts: its file (field `file`) and its texts, in order.
pub struct Form {
    pub file: Option<Upload>,
    pub fields: Vec<(String, String)>,
}

pub async fn read(mut multipart: Multipart, dir: &Path) -> Result<Form, ApiError> {
    let mut form = Form {
        file: None,
        fields: Vec::new(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if form.file.is_some() {
                return Err(ApiError::field("file", "give one file"));
            }
            let shown = shown_name(field.file_name().unwrap_or("upload"));
            let mut out = tempfile::Builder::new()
                .prefix("upload-")
                .suffix(&extension(&shown))
                .tempfile_in(dir)
                .map_err(|e| stored(&e))?;
            let mut bytes = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                bytes += chunk.len() as u64;
                out.write_all(&chunk).map_err(|e| stored(&e))?;
            }
            out.flush().map_err(|e| stored(&e))?;
            form.file = Some(Upload {
                path: out.into_temp_path(),
                name: shown,
                bytes,
            });
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                text.extend_from_slice(&chunk);
                if text.len() > MAX_FIELD {
                    return Err(ApiError::field(
                        &name,
                        format!("longer than {} KiB", MAX_FIELD / 1024),
                    ));
                }
            }
            let text = String::from_utf8(text).map_err(|_| ApiError::field(&name, "not UTF-8"))?;
            form.fields.push((name, text));
        }
    }
    Ok(form)
}

/// A form that cannot be read: too large (`413`), or cut off or malformed.
fn broken(err: MultipartError) -> ApiError {
    match err.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        status => ApiError::new(
            status,
            "bad_request",
            format!("the form cannot be read: {}", err.body_text()),
        ),
    }
}

/// The form's file, which must be there and not empty.
pub fn required(file: Option<Upload>) -> Result<Upload, ApiError> {
    let file =
        file.ok_or_else(|| ApiError::field("file", "missing: send the recording in field `file`"))?;
    match file.bytes {
        0 => Err(ApiError::bad_file(format!(
            "{}: the upload is empty",
            file.name
        ))),
        _ => Ok(file),
    }
}

/// Refuses a declared length past the limit before the body is read (a
/// client waiting on `Expect: 100-continue` then sends none of it); a body
/// of no declared length is cut off where it passes the limit.
pub fn check_length(headers: &HeaderMap, max: u64) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared.is_some_and(|n| n > max) {
        true => Err(too_large()),
        false => Ok(()),
    }
}

/// The form, or a `400` saying a form was expected.
pub fn form(multipart: Result<Multipart, MultipartRejection>) -> Result<Multipart, ApiError> {
    multipart.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected a multipart/form-data upload: {}", e.body_text()),
        )
    })
}

/// Checks that the upload is a recording we can decode, told at once
/// rather than after the queue.
pub async fn check_recording(upload: &Upload) -> Result<(), ApiError> {
    let local = upload.path.display().to_string();
    let path = upload.path.to_path_buf();
    let info = tokio::task::spawn_blocking(move || crate::media::probe(&path))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "probe failed",
            )
        })?
        .map_err(|e| ApiError::from_stage(&e, &local, &upload.name))?;
    match info.decodable {
        true => Ok(()),
        false => {
            let reason = info.reason.unwrap_or_else(|| "no audio stream".into());
            Err(ApiError::bad_file(format!("{}: {reason}", upload.name)))
        }
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "the upload is larger than this server accepts (--max-upload-mb)",
    )
}

/// The upload cannot be stored: the state folder is full or unwritable.
fn stored(err: &std::io::Error) -> ApiError {
    tracing::error!("storing an upload: {err}");
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        "server",
        "the server cannot store the upload",
    )
}

/// The last component of the client's name, without control characters.
fn shown_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    match clean.trim() {
        "" | "." | ".." => "upload".to_string(),
        name => name.to_string(),
    }
}

/// `.ext` when the name ends in a short alphanumeric extension, else nothing.
fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_never_become_paths() {
        assert_eq!(shown_name("../../etc/passwd"), "passwd");
        assert_eq!(shown_name("..\\..\\x.wav"), "x.wav");
        assert_eq!(shown_name("a/.."), "upload");
        assert_eq!(shown_name("call\n.m4a"), "call.m4a");
        assert_eq!(extension("call.M4A"), ".m4a");
        assert_eq!(extension("x.tar/../y"), "");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("noext"), "");
    }
}
