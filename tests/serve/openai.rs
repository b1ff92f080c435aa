//! The OpenAI transcription API, answered as OpenAI does: every format, the
//! official Python client.

use super::*;

#[test]
fn transcriptions_answer_as_openai_does_in_every_format() {
    let server = Server::start(&[], &[]);
    let jfk = fixture("jfk.wav");
    let reference: Value = serde_json::from_str(&cli(&jfk, "json")).unwrap();
    let segments = reference["segments"].as_array().unwrap();
    let text: String = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    let text = text.trim();
    assert!(common::wer(common::JFK, text) < 0.2, "{text}");

    let json = post(&server, &jfk, &["model=whisper-1"]);
    assert_eq!(json.status, 200, "{}", json.body);
    assert_eq!(json.json()["text"], text);
    assert_eq!(json.json()["usage"]["seconds"], 11);

    let plain = post(&server, &jfk, &["response_format=text"]);
    assert_eq!(
        (plain.status, plain.body.as_str()),
        (200, format!("{text}\n").as_str())
    );
    for format in ["srt", "vtt"] {
        let a = post(&server, &jfk, &[&format!("response_format={format}")]);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, cli(&jfk, format), "{format}");
    }

    let verbose = post(
        &server,
        &jfk,
        &[
            "model=tiny.en",
            "response_format=verbose_json",
            "timestamp_granularities[]=word",
            "timestamp_granularities[]=segment",
        ],
    );
    assert_eq!(verbose.status, 200, "{}", verbose.body);
    let v = verbose.json();
    assert_eq!(v["task"], "transcribe");
    assert_eq!(v["language"], "english");
    assert!((v["duration"].as_f64().unwrap() - 11.0).abs() < 0.1);
    assert_eq!(v["segments"].as_array().unwrap().len(), segments.len());
    for (ours, theirs) in v["segments"].as_array().unwrap().iter().zip(segments) {
        assert_eq!(
            (&ours["start"], &ours["text"]),
            (&theirs["start"], &theirs["text"])
        );
        assert!(ours["avg_logprob"].as_f64().unwrap() < 0.0);
    }
    let words = v["words"].as_array().unwrap();
    let cli_words: usize = segments
        .iter()
        .map(|s| s["words"].as_array().unwrap().len())
        .sum();
    assert_eq!(words.len(), cli_words);
    let mut last = 0.0;
    for w in words {
        let (start, end) = (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap());
        assert!(last <= start + 1e-9 && start <= end, "{w}");
        last = start;
    }
    assert!(words.iter().any(|w| w["word"] == "country."), "{words:?}");
    // Without word granularity there are no words.
    let segs = post(&server, &jfk, &["response_format=verbose_json"]);
    assert!(segs.json().get("words").is_none());

    let models = curl(&server.url, "/v1/models", &[]).json();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["whisper-1", "tiny.en"]);
    assert!(server.uploads_left().is_empty());

    // What was done shows in /metrics, in a format Prometheus's own checker accepts.
    let metrics = curl(&server.url, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    super::metrics::promtool_accepts(&metrics.body);
    let value = |series: &str| -> f64 {
        metrics
            .body
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{}", metrics.body))
    };
    let posted = r#"minutes_http_requests_total{route="/v1/audio/transcriptions",status="200"}"#;
    assert_eq!(value(posted), 6.0);
    assert_eq!(
        value(r#"minutes_transcriptions_total{outcome="done"}"#),
        6.0
    );
    assert_eq!(value("minutes_transcribe_seconds_count"), 6.0);
    assert!((value("minutes_audio_seconds_total") - 66.0).abs() < 0.5);
    assert_eq!(value("minutes_ready"), 1.0);
    assert_eq!(value("minutes_queue_depth"), 0.0);
    // Routes are counted by their pattern, never by the path a client made up.
    assert!(!metrics.body.contains("/v2/"));
}

#[test]
fn the_openai_python_client_works_unchanged() {
    let python = asset("venv/bin/python");
    assert!(python.exists(), "run scripts/fetch-test-assets.sh first");
    let server = Server::start(&[], &[("MINUTES_API_TOKEN", "tok-0123456789")]);
    let script = r#"
import json, sys, openai
url, audio = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=url + "/v1", api_key="tok-0123456789", max_retries=0)
out = {}
with open(audio, "rb") as f:
    out["json"] = client.audio.transcriptions.create(model="whisper-1", file=f).text
for fmt in ("text", "srt", "vtt"):
    with open(audio, "rb") as f:
        out[fmt] = client.audio.transcriptions.create(model="whisper-1", file=f, response_format=fmt)
with open(audio, "rb") as f:
    v = client.audio.transcriptions.create(model="whisper-1", file=f, response_format="verbose_json",
                                           timestamp_granularities=["word"])
out["verbose"] = {"language": v.language, "duration": v.duration,
                  "segments": [[s.start, s.end, s.text] for s in v.segments],
                  "words": [[w.word, w.start, w.end] for w in v.words]}
out["models"] = [m.id for m in client.models.list()]
try:
    with open(audio, "rb") as f:
        client.audio.transcriptions.create(model="no-such-model", file=f)
except openai.BadRequestError as e:
    out["bad_model"] = [e.status_code, e.message]
try:
    openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0).models.list()
except openai.AuthenticationError as e:
    out["bad_key"] = e.status_code
print(json.dumps(out))
"#;
    let jfk = fixture("jfk.wav");
    let out = Command::new(&python)
        .args(["-c", script, &server.url])
        .arg(&jfk)
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v["json"].as_str().unwrap();
    assert!(common::wer(common::JFK, text) < 0.2, "{text}");
    assert_eq!(v["text"].as_str().unwrap().trim(), text);
    assert_eq!(v["srt"].as_str().unwrap(), cli(&jfk, "srt"));
    assert_eq!(v["vtt"].as_str().unwrap(), cli(&jfk, "vtt"));
    assert_eq!(v["verbose"]["language"], "english");
    assert!(v["verbose"]["words"].as_array().unwrap().len() >= 20);
    assert!(!v["verbose"]["segments"].as_array().unwrap().is_empty());
    assert_eq!(v["models"], serde_json::json!(["whisper-1", "tiny.en"]));
    assert_eq!(v["bad_model"][0], 400);
    assert!(
        v["bad_model"][1]
            .as_str()
            .unwrap()
            .contains("no-such-model")
    );
    assert_eq!(v["bad_key"], 401);
    assert!(!server.log().contains("tok-0123456789"));
}
