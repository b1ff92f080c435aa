//! `minutes probe`: one JSON line per file describing its audio, optionally
//! with a full decode to measure it.

use std::time::Instant;

use serde::Serialize;

use super::Failures;
use crate::error::{Error, ErrorKind, Result};
use crate::media::{self, MediaInfo, SAMPLE_RATE};
use crate::settings::ProbeSettings;
use crate::ui::Printer;

#[derive(Serialize)]
struct Report {
    #[serde(flatten)]
    info: MediaInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decode_wall_seconds: Option<f64>,
}

pub fn run(args: &ProbeSettings, printer: &Printer) -> Result<()> {
    let mut failures = Failures::default();
    for path in &args.files {
        match probe_one(path, args.decode) {
            Ok(report) => {
                let undecodable = !report.info.decodable;
                let mut line =
                    serde_json::to_string(&report).map_err(|e| Error::internal(e.to_string()))?;
                line.push('\n');
                crate::sink::stdout(line.as_bytes())?;
                if undecodable {
                    let reason = report.info.reason.clone().unwrap_or_default();
                    let err = Error::file(ErrorKind::BadInput, path, reason)
                        .with_hint("install ffmpeg (apt install ffmpeg) to decode more codecs");
                    failures.record(printer, &err);
                }
            }
            Err(err) => failures.record(printer, &err),
        }
    }
    failures.into_result(args.files.len())
}

fn probe_one(path: &std::path::Path, decode: bool) -> Result<Report> {
    let info = media::probe(path)?;
    if !decode || !info.decodable {
        return Ok(Report {
            info,
            decoded_seconds: None,
            decode_wall_seconds: None,
        });
    }
    let started = Instant::now();
    let mut samples = 0usize;
    let mut stream = media::open(path)?;
    for block in stream.by_ref() {
        samples += block?.len();
    }
    let wall = started.elapsed().as_secs_f64();
    if samples == 0 {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            "no audio samples in the file",
        ));
    }
    Ok(Report {
        info: stream.info().clone(),
        decoded_seconds: Some(round3(samples as f64 / f64::from(SAMPLE_RATE))),
        decode_wall_seconds: Some(round3(wall)),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
