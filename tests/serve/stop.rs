//! A full queue, and stopping: SIGTERM lets accepted requests finish, and a
//! request cut off caches nothing.

use super::*;

/// Waits until the server's log holds `needle` (a stage it has reached).
fn wait_for_log(server: &Server, needle: &str) {
    for _ in 0..3000 {
        if server.log().contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the server never logged {needle:?}: {}", server.log());
}

pub(super) fn terminate(server: &Server) {
    let pid = server.child.id().to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term.success());
}

#[test]
fn a_full_queue_answers_429_and_sigterm_lets_every_accepted_request_finish() {
    // A grace long enough for a loaded machine: the requests must finish.
    let mut server = Server::start(&["--queue", "1", "--no-cache", "--grace", "600"], &[]);
    let url = server.url.clone();
    let long = fixture("speakers-2.wav");
    let running = std::thread::spawn(move || post_to(&url, &long, &[]));
    // With one recording being transcribed and room for one more, of three
    // sent together one waits and two are turned away.
    wait_for_log(&server, "transcribing");
    let others: Vec<_> = (0..3)
        .map(|_| {
            let url = server.url.clone();
            std::thread::spawn(move || post_to(&url, &fixture("jfk.wav"), &[]))
        })
        .collect();
    // The two turned away are answered at once; the stop comes while the
    // first is still being transcribed and the third waits for it.
    for _ in 0..30_000 {
        if others.iter().filter(|h| h.is_finished()).count() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    terminate(&server);
    let others: Vec<Answer> = others.into_iter().map(|h| h.join().unwrap()).collect();
    let busy: Vec<&Answer> = others.iter().filter(|a| a.status == 429).collect();
    assert_eq!(busy.len(), 2, "{others:?}\n{}", server.log());
    for b in &busy {
        assert!(
            b.headers.to_lowercase().contains("retry-after: 30"),
            "{}",
            b.headers
        );
        assert_eq!(b.error().0, "busy");
    }
    let first = running.join().unwrap();
    assert_eq!(first.status, 200, "{first:?}\n{}", server.log());
    assert!(first.json()["text"].as_str().unwrap().len() > 100);
    let waited = others.iter().find(|a| a.status != 429).unwrap();
    assert_eq!(waited.status, 200, "{waited:?}\n{}", server.log());
    let text = waited.json()["text"].as_str().unwrap().to_string();
    assert!(common::wer(common::JFK, &text) < 0.2, "{text}");
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(server.log().contains("stopping"));
    assert!(server.uploads_left().is_empty());
}

#[test]
fn a_request_cut_off_by_the_stop_caches_none_of_its_transcript() {
    let cache = scratch();
    let shared = [("MINUTES_CACHE_DIR", cache.path().to_str().unwrap())];
    let mut server = Server::start(&["--grace", "0.1"], &shared);
    // Longer than one recognition block (180 s): the stop lands between blocks.
    let long = fixture("late-speech.wav");
    let url = server.url.clone();
    let client = std::thread::spawn(move || post_to(&url, &long, &[]));
    wait_for_log(&server, "transcribing");
    terminate(&server);
    let cut = client.join().unwrap();
    assert_ne!(
        cut.status,
        200,
        "the request should have been cut off: {}",
        server.log()
    );
    assert_eq!(server.child.wait().unwrap().code(), Some(0));
    assert!(
        server.log().contains("grace period is over"),
        "{}",
        server.log()
    );
    // What was heard before the stop is not the recording's transcript.
    let cached: Vec<_> = walk(&cache.path().join("transcripts"));
    assert!(cached.is_empty(), "{cached:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match entry.path().is_dir() {
            true => files.extend(walk(&entry.path())),
            false => files.push(entry.path()),
        }
    }
    files
}
