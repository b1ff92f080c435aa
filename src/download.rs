//! Model downloads (`minutes models pull`) with resume and verification.
//!
//! Bytes go to `<file>.part` next to the final file; an interrupted download
//! resumes with an HTTP range request. The finished file is checked against
//! the checksums we pin (when known), the SHA-256 and size the model host
//! announces (`X-Linked-Etag` / `X-Linked-Size` on its redirect, or `ETag` /
//! `Content-Length`) and the file format's magic bytes, and only then renamed
//! into place, so a models directory never holds a partial or corrupt model
//! under its real name.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, LOCATION, RANGE};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};
use crate::hash::hex;
use crate::ui::Printer;

const MAX_REDIRECTS: usize = 10;

/// A file to fetch and what it must look like.
pub struct Source<'a> {
    /// The name shown to the user.
    pub name: &'a str,
    pub url: String,
    /// Whether the name is one we know (a 404 then suggests the list).
    pub known: bool,
    pub sha1: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub size: Option<u64>,
    /// The bytes every file of this format starts with.
    pub magic: &'a [u8],
}

/// What the server announced about the file.
#[derive(Default, Debug)]
struct Announced {
    sha256: Option<String>,
    size: Option<u64>,
}

/// Downloads `source` to `target` (unless it is there and `force` is off).
pub fn fetch(
    source: &Source<'_>,
    target: &Path,
    force: bool,
    printer: &Printer,
) -> Result<PathBuf> {
    let name = source.name;
    if target.is_file() && !force {
        printer.status(format!("{name} is already present: {}", target.display()));
        return Ok(target.to_path_buf());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, &e))?;
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let part = dir.join(format!("{file_name}.part"));
    let url = &source.url;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(30))
        .user_agent(concat!("minutes/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;

    let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let (response, announced) = request(&client, url, have)?;
    let resumed = response.status() == StatusCode::PARTIAL_CONTENT && have > 0;
    if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
        // The partial file is no prefix of what the server has: start over.
        std::fs::remove_file(&part).map_err(|e| Error::write(&part, &e))?;
        return fetch(source, target, force, printer);
    }
    if !response.status().is_success() {
        let status = response.status();
        let err = Error::new(ErrorKind::Unavailable, format!("{url}: HTTP {status}"));
        return Err(match status {
            StatusCode::NOT_FOUND if !source.known => {
                err.with_hint("`minutes models list` shows the model names that can be pulled")
            }
            _ => err,
        });
    }
    let total = source.size.or(announced.size).or_else(|| {
        response
            .content_length()
            .map(|l| if resumed { l + have } else { l })
    });
    let mut sha256 = Sha256::new();
    let mut sha1 = Sha1::new();
    let mut file = if resumed {
        hash_existing(&part, &mut sha256, &mut sha1)?;
        OpenOptions::new()
            .append(true)
            .open(&part)
            .map_err(|e| Error::write(&part, &e))?
    } else {
        File::create(&part).map_err(|e| Error::write(&part, &e))?
    };
    let bar = printer.download_progress(total, format!("pulling {name}"));
    bar.set_position(if resumed { have } else { 0 });
    let written = copy_body(response, &mut file, &part, &bar, &mut sha256, &mut sha1)?;
    file.sync_all().map_err(|e| Error::write(&part, &e))?;
    crate::sink::set_shareable(&file);
    drop(file);
    bar.finish_and_clear();

    let size = if resumed { have + written } else { written };
    let got256 = hex(&sha256.finalize());
    let got1 = hex(&sha1.finalize());
    let mismatch = |what: &str| {
        let _ = std::fs::remove_file(&part);
        Error::new(
            ErrorKind::Unavailable,
            format!("{url}: downloaded file failed verification ({what})"),
        )
        .with_hint("run the command again; if it keeps failing the mirror serves a different file")
    };
    if let Some(expected) = total.filter(|t| *t != size) {
        return Err(mismatch(&format!("{size} bytes, expected {expected}")));
    }
    for expected in [source.sha256, announced.sha256.as_deref()]
        .into_iter()
        .flatten()
    {
        if expected != got256 {
            return Err(mismatch(&format!("sha256 {got256}, expected {expected}")));
        }
    }
    if let Some(expected) = source.sha1.filter(|e| *e != got1) {
        return Err(mismatch(&format!("sha1 {got1}, expected {expected}")));
    }
    if !starts_with(&part, source.magic)? {
        return Err(mismatch("not a model file of the expected format"));
    }
    crate::sink::rename_durably(&part, target)?;
    printer.status(format!(
        "pulled {name} ({size} bytes, sha256 {got256}) to {}",
        target.display()
    ));
    Ok(target.to_path_buf())
}

fn starts_with(path: &Path, magic: &[u8]) -> Result<bool> {
    let mut head = vec![0u8; magic.len()];
    let mut file = File::open(path).map_err(|e| Error::read(path, &e))?;
    Ok(file.read_exact(&mut head).is_ok() && head == magic)
}

/// GET with a range from `have` on, following redirects by hand so that the
/// checksum headers of the first hop are not lost.
fn request(client: &Client, url: &str, have: u64) -> Result<(Response, Announced)> {
    let mut announced = Announced::default();
    let mut current = url.to_string();
    for _ in 0..MAX_REDIRECTS {
        let mut req = client.get(&current);
        if have > 0 {
            req = req.header(RANGE, format!("bytes={have}-"));
        }
        let response = req.send().map_err(|e| {
            Error::new(ErrorKind::Unavailable, format!("{url}: {}", describe(&e)))
                .with_hint("check the network, or set MINUTES_MODELS_URL to a mirror")
        })?;
        read_announced(
            response.headers(),
            &mut announced,
            response.status().is_redirection(),
        );
        if !response.status().is_redirection() {
            return Ok((response, announced));
        }
        let next = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!("{url}: redirect without location"),
                )
            })?;
        current = response
            .url()
            .join(next)
            .map_err(|e| Error::new(ErrorKind::Unavailable, format!("{url}: bad redirect: {e}")))?
            .to_string();
    }
    Err(Error::new(
        ErrorKind::Unavailable,
        format!("{url}: too many redirects"),
    ))
}

fn read_announced(headers: &HeaderMap, out: &mut Announced, redirect: bool) {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim_matches('"').to_string())
    };
    if out.sha256.is_none() {
        let etag = get("x-linked-etag").or_else(|| if redirect { None } else { get("etag") });
        out.sha256 = etag.filter(|e| e.len() == 64 && e.chars().all(|c| c.is_ascii_hexdigit()));
    }
    if out.size.is_none() {
        out.size = get("x-linked-size").and_then(|s| s.parse().ok());
    }
}

fn hash_existing(path: &Path, sha256: &mut Sha256, sha1: &mut Sha1) -> Result<()> {
    let mut file = File::open(path).map_err(|e| Error::read(path, &e))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::read(path, &e))?;
        if n == 0 {
            return Ok(());
        }
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
    }
}

fn copy_body(
    mut response: Response,
    file: &mut File,
    part: &Path,
    bar: &indicatif::ProgressBar,
    sha256: &mut Sha256,
    sha1: &mut Sha1,
) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut written = 0u64;
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => return Ok(written),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Temporary,
                    format!("download interrupted after {written} bytes: {e}"),
                )
                .with_hint("run the same command again to resume"));
            }
        };
        file.write_all(&buf[..n])
            .map_err(|e| Error::write(part, &e))?;
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
        written += n as u64;
        bar.inc(n as u64);
    }
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_connect() {
        "cannot connect".to_string()
    } else if err.is_timeout() {
        "timed out".to_string()
    } else {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        text
    }
}
