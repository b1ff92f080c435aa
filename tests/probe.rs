//! `minutes probe`: every claimed container decodes; bad files fail cleanly.

use serde_json::Value;

use crate::common::*;

fn probe_json(file: &str, extra: &[&str]) -> Value {
    let out = minutes()
        .arg("probe")
        .args(extra)
        .arg(fixture(file))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line per file: {text}");
    serde_json::from_str(text.trim()).unwrap()
}

#[test]
fn every_supported_container_decodes_natively_to_the_full_length() {
    for (file, container, codec, channels) in [
        ("jfk.wav", "wave", "pcm_s16le", 1),
        ("jfk.m4a", "isomp4", "aac", 1),
        ("jfk.mp4", "isomp4", "aac", 1),
        ("jfk-44k-stereo.m4a", "isomp4", "aac", 2),
        ("jfk-48k-stereo.wav", "wave", "pcm_s16le", 2),
        ("jfk.mp3", "mp3", "mp3", 1),
        ("jfk.flac", "flac", "flac", 1),
        ("jfk.ogg", "ogg", "vorbis", 1),
        ("jfk.mkv", "matroska", "aac", 1),
        ("jfk.caf", "caf", "pcm_s16be", 1),
        ("jfk.aiff", "aiff", "pcm_s16be", 1),
    ] {
        let v = probe_json(file, &["--decode"]);
        assert_eq!(v["container"], container, "{file}: {v}");
        assert_eq!(v["codec"], codec, "{file}: {v}");
        assert_eq!(v["channels"], channels, "{file}: {v}");
        assert_eq!(v["decodable"], true, "{file}: {v}");
        assert_eq!(v["decoder"], "symphonia", "{file}: {v}");
        let decoded = v["decoded_seconds"].as_f64().unwrap();
        assert!((decoded - 11.0).abs() < 0.1, "{file}: decoded {decoded} s");
        assert!(v["decode_wall_seconds"].as_f64().unwrap() >= 0.0);
    }
}

#[test]
fn probe_without_decode_reports_duration_only() {
    let v = probe_json("jfk-48k-stereo.wav", &[]);
    assert_eq!(v["sample_rate"], 48000);
    assert_eq!(v["duration_seconds"], 11.0);
    assert!(v.get("decoded_seconds").is_none());
}

#[test]
fn opus_in_webm_falls_back_to_ffmpeg() {
    let v = probe_json("jfk.webm", &["--decode"]);
    assert_eq!(v["codec"], "opus");
    assert_eq!(v["decoder"], "ffmpeg");
    assert!(
        (v["decoded_seconds"].as_f64().unwrap() - 11.0).abs() < 0.1,
        "{v}"
    );
}

#[test]
fn without_ffmpeg_an_unsupported_codec_is_named_with_the_fix() {
    let out = minutes()
        .env("MINUTES_FFMPEG", "/nonexistent/ffmpeg")
        .arg("probe")
        .arg(fixture("jfk.webm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decodable"], false);
    let err = stderr_of(&out);
    assert!(
        err.contains("jfk.webm") && err.contains("opus") && err.contains("ffmpeg"),
        "{err}"
    );
}

#[test]
fn bad_files_fail_with_one_clear_line_and_no_output() {
    for (file, code, reason) in [
        ("empty.wav", 65, "empty file"),
        ("truncated.mp4", 65, "moov"),
        ("random.mp3", 65, "not a recognised audio"),
        ("text.mp3", 65, "not a recognised audio"),
        ("video-only.mp4", 65, "no audio track"),
        ("header-only.wav", 65, "no audio samples"),
        ("a-directory.wav", 65, "is a directory"),
        ("missing.wav", 66, "no such file"),
    ] {
        let out = minutes()
            .arg("probe")
            .arg("--decode")
            .arg(fixture(file))
            .output()
            .unwrap();
        assert_clean_failure(&out, code, file, reason);
    }
}

#[test]
fn not_a_directory_in_the_path_is_a_missing_input() {
    let out = minutes()
        .arg("probe")
        .arg(fixture("jfk.wav").join("x.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("jfk.wav/x.wav"));
}

#[test]
fn good_files_are_reported_even_when_others_fail() {
    let out = minutes()
        .arg("probe")
        .arg(fixture("jfk.flac"))
        .arg(fixture("random.mp3"))
        .arg(fixture("jfk.ogg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stderr_of(&out).contains("random.mp3"));
}

#[test]
fn aac_priming_is_trimmed_so_mp4_audio_lines_up_with_wav() {
    use minutes::media::decode_all;
    let (_, wav) = decode_all(&fixture("jfk.wav")).unwrap();
    let (_, m4a) = decode_all(&fixture("jfk.m4a")).unwrap();
    // Find the lag (in samples) that best aligns the two decodes.
    let window = &wav[16_000..48_000];
    let best = (-2048i64..=2048)
        .step_by(4)
        .max_by(|a, b| corr(window, &m4a, *a).total_cmp(&corr(window, &m4a, *b)))
        .unwrap();
    assert!(best.abs() <= 16, "m4a is offset by {best} samples from wav");
}

fn corr(window: &[f32], other: &[f32], lag: i64) -> f32 {
    window
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let j = 16_000 + i as i64 + lag;
            s * other.get(j as usize).copied().unwrap_or(0.0)
        })
        .sum()
}
