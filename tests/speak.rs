//! Reading minutes aloud: a real round trip through espeak-ng and whisper,
//! section choice, and a missing backend.

use crate::common::llm::{FakeLlm, Faults, planted_transcript};
use crate::common::*;

fn wav_header(bytes: &[u8]) -> (u16, u32, u16, f64) {
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    assert_eq!(&bytes[12..16], b"fmt ");
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let (format, channels, rate, bits) = (u16_at(20), u16_at(22), u32_at(24), u16_at(34));
    assert_eq!(format, 1, "PCM");
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("data chunk");
    let len = u32_at(data + 4) as usize;
    let secs = len as f64 / (rate as f64 * channels as f64 * bits as f64 / 8.0);
    (channels, rate, bits, secs)
}

#[test]
fn rendered_speech_round_trips_through_whisper() {
    let dir = scratch();
    let wav = dir.path().join("minutes.wav");
    let md = root().join("fixtures/minutes.md");
    minutes()
        .args(["-q", "speak"])
        .arg(&md)
        .arg("--to")
        .arg(&wav)
        .assert()
        .success();
    let bytes = std::fs::read(&wav).unwrap();
    let (channels, rate, bits, secs) = wav_header(&bytes);
    assert_eq!((channels, rate, bits), (1, 22050, 16));
    assert!((15.0..60.0).contains(&secs), "{secs} s of speech");
    let spoken = minutes()
        .args(["speak", "--text"])
        .arg(&md)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let spoken = String::from_utf8(spoken).unwrap();
    assert!(
        !spoken.contains('[') && !spoken.contains("---") && !spoken.contains("title:"),
        "{spoken}"
    );
    assert!(spoken.contains("at 12 minutes"), "{spoken}");
    let heard = transcribe_text(&wav, &[]);
    let w = wer(&spoken, &heard);
    assert!(w < 0.35, "WER {w}\nspoken: {spoken}\nheard: {heard}");
}

#[test]
fn sections_can_be_chosen() {
    let md = root().join("fixtures/minutes.md");
    let out = minutes()
        .args(["speak", "--text", "--speak-sections", "decisions"])
        .arg(&md)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Decisions.") && text.contains("October"),
        "{text}"
    );
    assert!(
        !text.contains("Summary.") && !text.contains("Mina"),
        "{text}"
    );
    let out = minutes()
        .args(["speak", "--text", "--speak-sections", "gossip"])
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_synthesiser_fails_cleanly_after_the_minutes_are_written() {
    let dir = scratch();
    let wav = dir.path().join("out.wav");
    let out = minutes()
        .env("MINUTES_ESPEAK", "/nonexistent/espeak-ng")
        .args(["speak"])
        .arg(root().join("fixtures/minutes.md"))
        .arg("--to")
        .arg(&wav)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("espeak-ng"));
    assert!(!wav.exists());

    let llm = FakeLlm::start(Faults::default());
    let input = planted_transcript(dir.path(), 3);
    let md = dir.path().join("minutes.md");
    let out = minutes()
        .env("MINUTES_ESPEAK", "/nonexistent/espeak-ng")
        .args([
            "summarize",
            "--llm",
            &llm.url(),
            "--llm-model",
            "m",
            "--no-correct",
        ])
        .arg(&input)
        .arg("-o")
        .arg(&md)
        .arg("--speak-to")
        .arg(&wav)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(
        std::fs::read_to_string(&md).unwrap().contains("## Summary"),
        "the minutes were written first"
    );
    assert!(!wav.exists());
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".wav"))
            .count(),
        0
    );
}

#[test]
fn summarize_can_render_its_minutes_to_speech() {
    let dir = scratch();
    let llm = FakeLlm::start(Faults::default());
    let input = planted_transcript(dir.path(), 2);
    let wav = dir.path().join("m.wav");
    let out = minutes()
        .args([
            "-q",
            "summarize",
            "--llm",
            &llm.url(),
            "--llm-model",
            "m",
            "--no-correct",
            "--speak-to",
        ])
        .arg(&wav)
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("## Decisions"),
        "minutes still go to stdout"
    );
    let (_, rate, _, secs) = wav_header(&std::fs::read(&wav).unwrap());
    assert_eq!(rate, 22050);
    assert!(secs > 3.0);
}
