//! `minutes transcribe`: real speech through the real model, every output
//! format, silence and noise, and the error contract.

use serde_json::Value;

use crate::common::*;

#[test]
fn jfk_is_transcribed_accurately() {
    let text = transcribe_text(&fixture("jfk.wav"), &[]);
    let w = wer(JFK, &text);
    assert!(w < 0.1, "WER {w}: {text}");
}

#[test]
fn librivox_clips_are_transcribed_accurately() {
    let reference = std::fs::read_to_string(fixture("librivox.txt")).unwrap();
    let text = transcribe_text(&fixture("librivox.wav"), &[]);
    let w = wer(&reference, &text);
    assert!(w < 0.15, "WER {w}: {text}");
}

#[test]
fn synthetic_speech_is_transcribed() {
    let reference = std::fs::read_to_string(root().join("fixtures/espeak.txt")).unwrap();
    let text = transcribe_text(&fixture("espeak.wav"), &[]);
    let w = wer(&reference, &text);
    assert!(w < 0.25, "WER {w}: {text}");
}

#[test]
fn every_container_gives_the_same_words() {
    for file in [
        "jfk.m4a",
        "jfk.mp3",
        "jfk.ogg",
        "jfk.webm",
        "jfk-48k-stereo.wav",
        "jfk.mkv",
    ] {
        let text = transcribe_text(&fixture(file), &[]);
        let w = wer(JFK, &text);
        assert!(w < 0.15, "{file}: WER {w}: {text}");
    }
}

#[test]
fn silence_and_noise_produce_no_words() {
    for file in ["silence-90s.wav", "noise-30s.wav", "hum-30s.wav"] {
        let text = transcribe_text(&fixture(file), &[]);
        assert!(text.trim().is_empty(), "{file} produced text: {text:?}");
    }
}

#[test]
fn json_has_segments_language_model_and_duration() {
    let out = transcribe_text(&fixture("jfk-gap-jfk.wav"), &["-f", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["language"], "en");
    assert_eq!(v["model"], "tiny.en-ct2");
    assert_eq!(v["duration"], 82.0);
    let segs = v["segments"].as_array().unwrap();
    let text: String = segs
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string() + " ")
        .collect();
    assert!(wer(&format!("{JFK} {JFK}"), &text) < 0.1, "{text}");
    let mut last = 0.0;
    for s in segs {
        let (start, end) = (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap());
        assert!(start >= last - 1e-6 && end >= start && end <= 82.0, "{s}");
        // Nothing is said during the minute of silence (11 s – 71 s).
        assert!(
            end <= 12.0 || start >= 70.0,
            "segment inside the silence: {s}"
        );
        last = start;
    }
    // The second utterance keeps its real time despite the silence being skipped.
    assert!(
        segs.iter()
            .any(|s| s["start"].as_f64().unwrap() >= 70.5 && s["start"].as_f64().unwrap() <= 72.0)
    );
}

#[test]
fn srt_is_valid_for_players() {
    let srt = transcribe_text(&fixture("jfk.wav"), &["-f", "srt"]);
    let cues: Vec<&str> = srt.trim_end().split("\n\n").collect();
    assert!(!cues.is_empty());
    for (i, cue) in cues.iter().enumerate() {
        let lines: Vec<&str> = cue.lines().collect();
        assert_eq!(lines[0], (i + 1).to_string(), "{cue}");
        let times: Vec<&str> = lines[1].split(" --> ").collect();
        assert_eq!(times.len(), 2, "{cue}");
        for t in times {
            assert_eq!(t.len(), 12, "{t}");
            assert_eq!(&t[8..9], ",", "SRT uses a comma before milliseconds: {t}");
        }
        assert!(lines.len() >= 3 && !lines[2].is_empty());
    }
}

#[test]
fn vtt_is_valid_for_players() {
    let vtt = transcribe_text(&fixture("jfk.wav"), &["-f", "vtt"]);
    assert!(vtt.starts_with("WEBVTT\n\n"), "{vtt}");
    let timing = vtt.lines().find(|l| l.contains(" --> ")).unwrap();
    assert_eq!(&timing[8..9], ".", "{timing}");
    assert_eq!(&timing[0..12], "00:00:00.000");
}

#[test]
fn stdout_carries_only_the_transcript() {
    let out = minutes()
        .args(["transcribe", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(!stdout.contains("transcribing"), "{stdout}");
    assert!(
        stderr_of(&out).contains("transcribing"),
        "status goes to stderr"
    );
    let quiet = minutes()
        .args(["-q", "transcribe", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty(), "{}", stderr_of(&quiet));
}

#[test]
fn output_file_and_out_dir() {
    let dir = scratch();
    let file = dir.path().join("t.srt");
    let out = minutes()
        .args(["-q", "transcribe", "-f", "srt", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("1\n00:00:00,000 --> ")
    );

    let outdir = dir.path().join("out");
    minutes()
        .args(["-q", "transcribe", "-f", "json", "-m"])
        .arg(model())
        .arg(fixture("jfk.flac"))
        .arg(fixture("espeak.wav"))
        .arg("--out-dir")
        .arg(&outdir)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&outdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(names, ["espeak.json", "jfk.json"]);
}

#[test]
fn output_flag_takes_one_input() {
    let dir = scratch();
    let out = minutes()
        .args(["transcribe", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .arg(fixture("jfk.flac"))
        .arg("-o")
        .arg(dir.path().join("x.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_inputs_leave_no_output_file() {
    let dir = scratch();
    for (file, reason) in [
        ("random.mp3", "not a recognised"),
        ("truncated.mp4", "moov"),
        ("empty.wav", "empty"),
    ] {
        let target = dir.path().join(format!("{file}.txt"));
        let out = minutes()
            .args(["transcribe", "-m"])
            .arg(model())
            .arg(fixture(file))
            .arg("-o")
            .arg(&target)
            .output()
            .unwrap();
        assert_clean_failure(&out, 65, file, reason);
        assert!(!target.exists(), "partial output for {file}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "stray files left behind"
    );
}

#[test]
fn one_bad_input_does_not_stop_the_others() {
    let dir = scratch();
    let out = minutes()
        .args(["-q", "transcribe", "-m"])
        .arg(model())
        .arg(fixture("random.mp3"))
        .arg(fixture("jfk.wav"))
        .arg("--out-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(dir.path().join("jfk.txt").exists());
    assert!(!dir.path().join("random.txt").exists());
}

#[test]
fn unwritable_output_is_exit_73_and_names_the_file() {
    let blocker = scratch();
    let file = blocker.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let target = file.join("out.txt");
    let out = minutes()
        .args(["-q", "transcribe", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .arg("-o")
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(73), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("plain-file"));
    assert!(!stderr_of(&out).contains("panicked"));
}

#[test]
fn model_problems_are_explained() {
    let dir = scratch();
    // No model anywhere: a configuration problem with the way out.
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["transcribe"])
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr_of(&out).contains("models pull"));
    // A known name that is not downloaded.
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["transcribe", "-m", "base"])
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66));
    // A corrupt model file.
    let bad = dir.path().join("ggml-broken.bin");
    std::fs::write(&bad, vec![7u8; 4096]).unwrap();
    let out = minutes()
        .args(["transcribe", "-m"])
        .arg(&bad)
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert_clean_failure(
        &out,
        65,
        "ggml-broken.bin",
        "not a usable whisper.cpp model",
    );
    // An English-only model asked for Korean.
    let out = minutes()
        .args(["transcribe", "-l", "ko", "-m"])
        .arg(model())
        .arg(fixture("jfk.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("English only"));
}

#[test]
fn beam_search_and_prompt_are_accepted() {
    let text = transcribe_text(
        &fixture("jfk.wav"),
        &["--beam", "3", "--threads", "1", "--prompt", "Americans"],
    );
    assert!(wer(JFK, &text) < 0.1, "{text}");
}

#[test]
fn the_meeting_date_is_the_recordings_day_in_the_local_time_zone() {
    // Recorded at 08:30 in Seoul: 23:30 UTC the day before.
    let dir = scratch();
    let m4a = dir.path().join("call.m4a");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(fixture("jfk.wav"))
        .args([
            "-c:a",
            "aac",
            "-metadata",
            "creation_time=2026-11-29T23:30:00Z",
        ])
        .arg(&m4a)
        .status()
        .unwrap();
    assert!(made.success());
    let cache = dir.path().join("cache");
    let date_of = |input: &std::path::Path, tz: &str, extra: &[&str]| -> String {
        let out = minutes()
            .env("TZ", tz)
            .env("MINUTES_CACHE_DIR", &cache)
            .args(["transcribe", "-f", "json", "-m"])
            .arg(model())
            .arg(input)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["date"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(date_of(&m4a, "Asia/Seoul", &[]), "2026-11-30");
    // From the cache, in another zone: the day of that zone.
    assert_eq!(date_of(&m4a, "UTC", &[]), "2026-11-29");
    assert_eq!(
        date_of(&m4a, "Asia/Seoul", &["--date", "2025-01-02"]),
        "2025-01-02"
    );
    // Without a creation time in the container: the file's time, in the local zone.
    let wav = dir.path().join("call.wav");
    std::fs::copy(fixture("jfk.wav"), &wav).unwrap();
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_995_000);
    std::fs::File::options()
        .write(true)
        .open(&wav)
        .unwrap()
        .set_modified(when)
        .unwrap();
    assert_eq!(date_of(&wav, "Asia/Seoul", &[]), "2026-11-30");
    let out = minutes()
        .args(["transcribe", "--date", "2026-13-01"])
        .arg(&wav)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--date"), "{}", stderr_of(&out));
}
