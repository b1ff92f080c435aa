//! `just bench-summarize`: how close the summarising pipeline gets to its
//! critical path. A long transcript (≥ 15k tokens) goes to a local
//! OpenAI-protocol server that answers every call after a fixed latency L;
//! the run can be no faster than (map rounds + collapse rounds + reduce) × L.
//! Prints wall time, that bound, their ratio, and the speed-up over --jobs 1.

#[allow(dead_code)]
#[path = "../tests/common/llm.rs"]
mod llm;

use std::process::Command;
use std::time::{Duration, Instant};

use llm::{FakeLlm, Faults};

const LATENCY: Duration = Duration::from_millis(400);

fn run(binary: &str, url: &str, input: &std::path::Path, jobs: usize) -> Duration {
    let started = Instant::now();
    let out = Command::new(binary)
        .args([
            "-q",
            "summarize",
            "--llm",
            url,
            "--llm-model",
            "bench",
            "--no-correct",
            "--no-cache",
        ])
        .args(["--chunk-tokens", "2000", "--jobs", &jobs.to_string()])
        .arg(input)
        .output()
        .expect("run minutes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

fn main() {
    let binary = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/minutes".into());
    let dir = tempfile::tempdir().unwrap();
    let input = llm::planted_transcript(dir.path(), 800);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    let text: String = json["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string() + "\n")
        .collect();
    let tokens = tiktoken_rs::o200k_base()
        .unwrap()
        .encode_ordinary(&text)
        .len();
    println!(
        "transcript: 800 segments, {tokens} tokens of speech (o200k), LLM latency {} ms per call",
        LATENCY.as_millis()
    );
    println!();
    println!(
        "{:>5} {:>7} {:>9} {:>10} {:>8} {:>9}",
        "jobs", "calls", "wall s", "bound s", "ratio", "speed-up"
    );
    let mut serial = None;
    for jobs in [1, 4, 8] {
        let server = FakeLlm::start(Faults {
            delay: LATENCY,
            ..Faults::default()
        });
        let wall = run(&binary, &server.url(), &input, jobs);
        let stages = server.stages();
        let maps = stages.iter().filter(|s| *s == "map").count();
        let collapses: Vec<usize> = collapse_rounds(&server);
        let rounds =
            maps.div_ceil(jobs) + collapses.iter().map(|g| g.div_ceil(jobs)).sum::<usize>() + 1;
        let bound = LATENCY * rounds as u32;
        let serial_wall = *serial.get_or_insert(wall);
        println!(
            "{jobs:>5} {:>7} {:>9.2} {:>10.2} {:>8.2} {:>8.2}×",
            stages.len(),
            wall.as_secs_f64(),
            bound.as_secs_f64(),
            wall.as_secs_f64() / bound.as_secs_f64(),
            serial_wall.as_secs_f64() / wall.as_secs_f64()
        );
    }
    println!();
    println!(
        "bound = (ceil(map calls / jobs) + Σ ceil(collapse calls of a round / jobs) + 1 reduce) × latency"
    );
}

/// Collapse calls per round: a round's calls all arrive before the next round's.
fn collapse_rounds(server: &FakeLlm) -> Vec<usize> {
    let seen = server.seen();
    let mut rounds: Vec<usize> = Vec::new();
    let mut last: Option<Instant> = None;
    for s in seen.iter().filter(|s| s.stage == "collapse") {
        match last {
            Some(t) if s.at.duration_since(t) < LATENCY / 2 => *rounds.last_mut().unwrap() += 1,
            _ => rounds.push(1),
        }
        last = Some(s.at);
    }
    rounds
}
