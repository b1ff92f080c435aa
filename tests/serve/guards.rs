//! What the server refuses: bad requests, a missing token, unsafe starts.

use super::*;

#[test]
fn bad_requests_get_a_json_error_naming_the_field_and_leave_nothing() {
    let server = Server::start(&["--max-upload-mb", "1"], &[]);
    let dir = scratch();
    let jfk = fixture("jfk.wav");
    let notes = dir.path().join("notes.wav");
    std::fs::write(&notes, "minutes of the last meeting, not a recording").unwrap();
    let empty = dir.path().join("empty.mp3");
    std::fs::write(&empty, "").unwrap();
    // One wrong field each: a 400 that names it.
    for (field, param) in [
        ("response_format=docx", "response_format"),
        ("temperature=7", "temperature"),
        ("temperature=NaN", "temperature"),
        ("language=klingon", "language"),
        ("model=large-v9", "model"),
        ("stream=true", "stream"),
        (
            "timestamp_granularities[]=word",
            "timestamp_granularities[]",
        ),
    ] {
        let answer = post(&server, &jfk, &[field]);
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        let (kind, named) = answer.error();
        assert_eq!(
            (kind.as_str(), named.as_deref()),
            ("bad_request", Some(param)),
            "{field}"
        );
    }
    let json_body = ["-H", "content-type: application/json", "-d", "{}"];
    let cases: Vec<(Answer, u16, &str, Option<&str>)> = vec![
        (post(&server, &notes, &[]), 400, "bad_input", Some("file")),
        (post(&server, &empty, &[]), 400, "bad_input", Some("file")),
        // An English-only model asked for Korean.
        (
            post(&server, &jfk, &["language=ko"]),
            400,
            "bad_request",
            None,
        ),
        (
            curl(
                &server.url,
                "/v1/audio/transcriptions",
                &["-F", "model=whisper-1"],
            ),
            400,
            "bad_request",
            Some("file"),
        ),
        (
            curl(&server.url, "/v1/audio/transcriptions", &json_body),
            400,
            "bad_request",
            None,
        ),
        (
            post(&server, &fixture("one-voice-long.wav"), &[]),
            413,
            "too_large",
            None,
        ),
        (
            curl(&server.url, "/v2/nothing", &[]),
            404,
            "not_found",
            None,
        ),
    ];
    for (i, (answer, status, kind, param)) in cases.iter().enumerate() {
        assert_eq!(answer.status, *status, "case {i}: {}", answer.body);
        let (k, p) = answer.error();
        assert_eq!(
            (k.as_str(), p.as_deref()),
            (*kind, *param),
            "case {i}: {}",
            answer.body
        );
    }
    // The message names the client's file, never a path of the server's.
    let message = cases[0].0.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("notes.wav"), "{message}");
    assert!(
        !message.contains("upload-") && !message.contains(&*server.state.to_string_lossy()),
        "{message}"
    );
    // A name with folders in it is a name, not a path.
    let sneaky = curl(
        &server.url,
        "/v1/audio/transcriptions",
        &[
            "-F",
            &format!("file=@{};filename=../../escaped.wav", jfk.display()),
        ],
    );
    assert_eq!(sneaky.status, 200, "{}", sneaky.body);
    assert!(!server.state.join("../escaped.wav").exists());
    assert!(
        !server
            .state
            .parent()
            .unwrap()
            .join("../escaped.wav")
            .exists()
    );
    assert!(
        server.uploads_left().is_empty(),
        "{:?}",
        server.uploads_left()
    );
    // The server is still there for the next client.
    assert_eq!(post(&server, &jfk, &[]).status, 200);
}

#[test]
fn a_token_guards_every_v1_route_and_never_shows() {
    let dir = scratch();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token-value\n").unwrap();
    let server = Server::start(&["--token-file", token_file.to_str().unwrap()], &[]);
    let jfk = fixture("jfk.wav");
    let file = format!("file=@{}", jfk.display());
    let none = curl(&server.url, "/v1/models", &[]);
    assert_eq!(none.status, 401);
    assert!(
        none.headers
            .to_lowercase()
            .contains("www-authenticate: bearer"),
        "{}",
        none.headers
    );
    assert_eq!(none.error().0, "unauthorized");
    let wrong = curl(
        &server.url,
        "/v1/audio/transcriptions",
        &["-H", "Authorization: Bearer s3cret", "-F", &file],
    );
    assert_eq!(wrong.status, 401);
    let right = ["-H", "Authorization: Bearer s3cret-token-value"];
    assert_eq!(curl(&server.url, "/v1/models", &right).status, 200);
    let ok = curl(
        &server.url,
        "/v1/audio/transcriptions",
        &[right[0], right[1], "-F", &file],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Probes and metrics stay open for the orchestrator and the scraper.
    assert_eq!(curl(&server.url, "/healthz", &[]).status, 200);
    assert_eq!(curl(&server.url, "/readyz", &[]).status, 200);
    let metrics = curl(&server.url, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains(r#"status="401""#), "{}", metrics.body);
    assert!(!metrics.body.contains("s3cret"));
    assert!(server.uploads_left().is_empty());
    assert!(!server.log().contains("s3cret"), "{}", server.log());
}

#[test]
fn it_will_not_start_where_it_should_not() {
    let dir = scratch();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "abc\n").unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        minutes()
            .args(["serve", "--port", "0", "--models-dir"])
            .arg(served_models())
            .args(args)
            .envs(env.iter().copied())
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let open = run(
        &[
            "--host",
            "0.0.0.0",
            "--state-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(open.status.code(), Some(2));
    let err = common::stderr_of(&open);
    assert!(
        err.contains("--host 0.0.0.0") && err.contains("token"),
        "{err}"
    );
    let twice = run(
        &[
            "--token-file",
            token_file.to_str().unwrap(),
            "--state-dir",
            dir.path().to_str().unwrap(),
        ],
        &[("MINUTES_API_TOKEN", "abc")],
    );
    assert_eq!(
        twice.status.code(),
        Some(2),
        "{}",
        common::stderr_of(&twice)
    );
    // A state folder that cannot be made (under a file: even root cannot).
    let state = token_file.join("state");
    let unwritable = run(&["--state-dir", state.to_str().unwrap()], &[]);
    assert_eq!(
        unwritable.status.code(),
        Some(73),
        "{}",
        common::stderr_of(&unwritable)
    );
    assert!(
        common::stderr_of(&unwritable).contains("token/state"),
        "{}",
        common::stderr_of(&unwritable)
    );
    let absurd = run(&["--queue", "0"], &[]);
    assert_eq!(absurd.status.code(), Some(2));
    assert!(common::stderr_of(&absurd).contains("--queue"));
}
