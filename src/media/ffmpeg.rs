//! Fallback decoding through an `ffmpeg` subprocess, for what symphonia
//! cannot read (Opus in WebM, HE-AAC, WMA, AC-3, …).
//!
//! ffmpeg writes raw 16 kHz mono `f32le` to a pipe that is read block by
//! block, so memory stays bounded here too. `ffprobe` (shipped with ffmpeg)
//! describes the file for `minutes probe`.

use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;

use serde::Deserialize;

use super::{Backend, MediaInfo, SAMPLE_RATE};
use crate::error::{Error, ErrorKind, Result};

const BLOCK_BYTES: usize = 64 * 1024;

/// The ffmpeg program: `MINUTES_FFMPEG` or `ffmpeg` on PATH.
fn ffmpeg_program() -> std::ffi::OsString {
    crate::env::ffmpeg_program().unwrap_or_else(|| "ffmpeg".into())
}

fn ffprobe_program() -> std::ffi::OsString {
    match crate::env::ffmpeg_program() {
        Some(p) => {
            let p = Path::new(&p);
            p.with_file_name("ffprobe").into_os_string()
        }
        None => "ffprobe".into(),
    }
}

/// Whether ffmpeg can be run (checked once per process).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(ffmpeg_program())
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[derive(Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    channels: Option<u32>,
    sample_rate: Option<String>,
    duration: Option<String>,
}

#[derive(Deserialize)]
struct ProbeFormat {
    format_name: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

/// Describes a file with ffprobe; fails when it has no audio stream.
pub fn probe(path: &Path) -> Result<MediaInfo> {
    let output = Command::new(ffprobe_program())
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::file(
                ErrorKind::Unavailable,
                path,
                format!("cannot run ffprobe: {e}"),
            )
        })?;
    if !output.status.success() {
        let reason = last_line(&output.stderr).unwrap_or_else(|| "ffprobe failed".into());
        return Err(Error::file(ErrorKind::BadInput, path, reason));
    }
    let parsed: ProbeOutput = serde_json::from_slice(&output.stdout).map_err(|e| {
        Error::file(
            ErrorKind::BadInput,
            path,
            format!("unreadable ffprobe output: {e}"),
        )
    })?;
    let Some(audio) = parsed
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"))
    else {
        return Err(Error::file(ErrorKind::BadInput, path, "no audio track"));
    };
    let format = parsed.format.as_ref();
    let duration = audio
        .duration
        .as_deref()
        .or(format.and_then(|f| f.duration.as_deref()))
        .and_then(|d| d.parse::<f64>().ok());
    Ok(MediaInfo {
        file: path.to_path_buf(),
        container: format
            .and_then(|f| f.format_name.clone())
            .unwrap_or_else(|| "unknown".into()),
        codec: audio.codec_name.clone().unwrap_or_else(|| "unknown".into()),
        channels: audio.channels,
        sample_rate: audio.sample_rate.as_deref().and_then(|r| r.parse().ok()),
        duration_seconds: duration,
        decodable: true,
        decoder: Some(Backend::Ffmpeg),
        reason: None,
        recorded: format
            .and_then(|f| f.tags.get("creation_time"))
            .and_then(|t| super::created::parse_tag(t)),
    })
}

/// A running `ffmpeg` that decodes one file to 16 kHz f32, keeping its
/// channels (up to 8) so their levels can be measured before the downmix.
pub struct FfmpegStream {
    path: std::path::PathBuf,
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<Vec<u8>>>,
    carry: Vec<u8>,
    channels: usize,
    meter: Option<super::levels::Meter>,
    done: bool,
}

/// More channels than this are mixed down by ffmpeg itself.
const MAX_CHANNELS: u32 = 8;

impl FfmpegStream {
    /// Starts ffmpeg on `path`, which has `channels` channels (as probed).
    pub fn spawn(path: &Path, channels: Option<u32>) -> Result<Self> {
        let channels = channels.unwrap_or(1).clamp(1, MAX_CHANNELS);
        let mut child = Command::new(ffmpeg_program())
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
            .arg(path)
            .args([
                "-map",
                "0:a:0",
                "-vn",
                "-sn",
                "-dn",
                "-ac",
                &channels.to_string(),
            ])
            .args(["-ar", &SAMPLE_RATE.to_string(), "-f", "f32le", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::file(
                    ErrorKind::Unavailable,
                    path,
                    format!("cannot run ffmpeg: {e}"),
                )
                .with_hint("install ffmpeg (apt install ffmpeg) or set MINUTES_FFMPEG")
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::internal("ffmpeg stdout missing"))?;
        let mut stderr = child
            .stderr
            .take()
            .ok_or_else(|| Error::internal("ffmpeg stderr missing"))?;
        let stderr = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        Ok(FfmpegStream {
            path: path.to_path_buf(),
            child,
            stdout,
            stderr: Some(stderr),
            carry: Vec::new(),
            channels: channels as usize,
            meter: (channels >= 2)
                .then(|| super::levels::Meter::new(SAMPLE_RATE, channels as usize)),
            done: false,
        })
    }

    pub fn channel_levels(&self) -> Option<super::levels::ChannelLevels> {
        self.meter.as_ref().map(|m| m.levels())
    }

    pub fn next_block(&mut self) -> Result<Option<Vec<f32>>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        let start = buf.len();
        buf.resize(start + BLOCK_BYTES, 0);
        let n = loop {
            match self.stdout.read(&mut buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::read(&self.path, &e)),
            }
        };
        buf.truncate(start + n);
        if n == 0 {
            self.done = true;
            self.wait()?;
            return Ok(None);
        }
        let frame = 4 * self.channels;
        let whole = buf.len() / frame * frame;
        self.carry = buf[whole..].to_vec();
        let samples: Vec<f32> = buf[..whole]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(m) = self.meter.as_mut() {
            m.push(&samples);
        }
        Ok(Some(super::downmix(&samples, self.channels)))
    }

    fn wait(&mut self) -> Result<()> {
        let status = self.child.wait().map_err(|e| Error::read(&self.path, &e))?;
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        let reason = last_line(&stderr).unwrap_or_else(|| format!("ffmpeg failed ({status})"));
        Err(Error::file(
            ErrorKind::BadInput,
            &self.path,
            format!("ffmpeg cannot decode it: {reason}"),
        ))
    }
}

impl Drop for FfmpegStream {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn last_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(str::to_string)
}
