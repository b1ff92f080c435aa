//! Reading minutes aloud: live through the platform's speech service (the
//! `tts` crate: speech-dispatcher on Linux, AVFoundation on macOS, WinRT on
//! Windows), or into a WAV file with no sound device at all, for cron:
//! espeak-ng on Linux, `say` on macOS.
//!
//! Text reaches the synthesiser through a file, never the command line, so
//! long minutes cannot hit argument-length limits. WAV files are written
//! atomically, like every other output.

pub mod text;

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, ErrorKind, Result};
pub use crate::render::Section;
use crate::settings::SpeechSettings;
use crate::ui::Printer;
pub use text::{Speech, from_markdown, from_minutes};

/// Voice choices of the user; unset ones follow the minutes' language.
#[derive(Debug, Clone, Default)]
pub struct VoiceOptions {
    pub voice: Option<String>,
    /// Words per minute.
    pub rate: Option<u32>,
}

/// espeak-ng's voice for a language code.
fn espeak_voice(language: &str) -> String {
    match language {
        "en" | "" => "en-us".to_string(),
        other => other.to_string(),
    }
}

fn synthesiser() -> std::ffi::OsString {
    crate::env::synthesiser_program().unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "say".into()
        } else {
            "espeak-ng".into()
        }
    })
}

/// Renders `speech` to a WAV file at `out`.
pub fn to_wav(speech: &Speech, voice: &VoiceOptions, out: &Path) -> Result<()> {
    let wav = crate::sink::AtomicFile::new(out)?;
    let script = tempfile::Builder::new()
        .prefix(".minutes-speech-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| Error::write(out, &e))?;
    std::fs::write(script.path(), &speech.text).map_err(|e| Error::write(script.path(), &e))?;
    let program = synthesiser();
    let mut cmd = Command::new(&program);
    if cfg!(target_os = "macos") {
        if let Some(v) = &voice.voice {
            cmd.args(["-v", v]);
        }
        if let Some(r) = voice.rate {
            cmd.args(["-r", &r.to_string()]);
        }
        cmd.arg("-o")
            .arg(wav.path())
            .args(["--file-format=WAVE", "--data-format=LEI16@22050", "-f"])
            .arg(script.path());
    } else {
        let v = voice
            .voice
            .clone()
            .unwrap_or_else(|| espeak_voice(&speech.language));
        cmd.args(["-v", &v, "-s", &voice.rate.unwrap_or(165).to_string(), "-w"])
            .arg(wav.path())
            .arg("-f")
            .arg(script.path());
    }
    let output = cmd.stdin(Stdio::null()).output().map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!(
                "cannot run {}: {}",
                program.to_string_lossy(),
                crate::error::io_reason(&e)
            ),
        )
        .with_hint("install espeak-ng (apt install espeak-ng) to render speech")
    })?;
    let len = std::fs::metadata(wav.path()).map(|m| m.len()).unwrap_or(0);
    if !output.status.success() || len <= 44 {
        let why = String::from_utf8_lossy(&output.stderr)
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("no audio produced")
            .to_string();
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!("{} failed: {why}", program.to_string_lossy()),
        ));
    }
    wav.commit()
}

/// Speaks `speech` through the platform's speech service and waits until it is done.
pub fn live(speech: &Speech, voice: &VoiceOptions) -> Result<()> {
    let unavailable = |e: tts::Error| {
        Error::new(ErrorKind::Unavailable, format!("no speech service: {e}"))
            .with_hint("install speech-dispatcher (apt install speech-dispatcher espeak-ng), or use --speak-to FILE.wav")
    };
    let mut tts = tts::Tts::default().map_err(unavailable)?;
    if let Ok(voices) = tts.voices() {
        let wanted = voice.voice.as_deref();
        let pick = voices.into_iter().find(|v| match wanted {
            Some(name) => v.name() == name || v.id() == name,
            None => v.language().to_string().starts_with(&speech.language),
        });
        if let Some(v) = pick {
            let _ = tts.set_voice(&v);
        }
    }
    if let Some(wpm) = voice.rate {
        // tts rates are backend units: scale around the normal rate (about 175 wpm).
        let rate = tts.normal_rate() * wpm as f32 / 175.0;
        let _ = tts.set_rate(rate.clamp(tts.min_rate(), tts.max_rate()));
    }
    tts.speak(&speech.text, false).map_err(unavailable)?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    while tts.is_speaking().unwrap_or(false) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Ok(())
}

/// Parses `--speak-sections summary,decisions,…`.
pub fn parse_sections(list: Option<&str>) -> Result<Vec<Section>> {
    match list {
        None => Ok(Section::ALL.to_vec()),
        Some(l) => l
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                Section::parse(s).ok_or_else(|| {
                    Error::usage(format!("unknown section {s}")).with_hint(
                        "use summary, decisions, actions, questions, topics, participants",
                    )
                })
            })
            .collect(),
    }
}

/// Speaks and/or renders what `settings` ask for; does nothing when they ask for nothing.
pub fn say(speech: &Speech, settings: &SpeechSettings, printer: &Printer) -> Result<()> {
    if !settings.live && settings.wav.is_none() {
        return Ok(());
    }
    if speech.text.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::BadInput,
            "nothing to read: the chosen sections are empty",
        ));
    }
    if let Some(wav) = &settings.wav {
        to_wav(speech, &settings.voice, wav)?;
        printer.status(format!("wrote speech to {}", wav.display()));
    }
    if settings.live {
        printer.status("reading the minutes aloud");
        live(speech, &settings.voice)?;
    }
    Ok(())
}
