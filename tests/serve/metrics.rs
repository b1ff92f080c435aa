//! `/metrics` as a monitoring stack reads it: promtool's linter, a real
//! Prometheus scraping the server with the scrape job in `deploy/`, and the
//! Grafana dashboard in `deploy/` queried panel by panel.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{Answer, Server, curl, post};
use crate::common::{self, fixture, scratch};

/// `promtool check metrics` (Prometheus's own parser and linter) finds
/// nothing wrong but one thing: its linter reads the program's name, the
/// series' prefix `minutes_`, as a unit of time.
pub(super) fn promtool_accepts(exposition: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; scripts/setup.sh installs it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), exposition.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.ends_with(r#"use base unit "seconds" instead of "minutes""#))
        .collect();
    assert!(problems.is_empty(), "promtool: {said}\n{exposition}");
}

fn deployed(path: &str) -> PathBuf {
    common::root().join("deploy").join(path)
}

/// A free loopback port: bound, then let go for Prometheus, which cannot
/// be asked for port 0 and say which it got.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A real Prometheus, killed when dropped.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(config: &str) -> Prometheus {
        let dir = scratch();
        let file = dir.path().join("prometheus.yml");
        std::fs::write(&file, config).unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (Debian package prometheus; scripts/setup.sh installs it)");
        let prometheus = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        prometheus.until("ready", || {
            curl(&prometheus.url, "/-/ready", &[]).status == 200
        });
        prometheus
    }

    /// An instant query's result: `[(labels, value)]`.
    fn query(&self, expr: &str) -> Vec<(Value, f64)> {
        let answer: Answer = curl(
            &self.url,
            "/api/v1/query",
            &["-G", "--data-urlencode", &format!("query={expr}")],
        );
        let v = answer.json();
        assert_eq!(v["status"], "success", "{expr}: {v}");
        v["data"]["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{expr}: {v}"))
            .iter()
            .map(|r| {
                let value = r["value"][1].as_str().unwrap().parse::<f64>().unwrap();
                (r["metric"].clone(), value)
            })
            .collect()
    }

    /// Waits (up to two minutes) until `done` holds.
    fn until(&self, what: &str, mut done: impl FnMut() -> bool) {
        for _ in 0..1200 {
            if done() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Prometheus: never {what}");
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every query of every panel of a Grafana dashboard.
fn panel_queries(dashboard: &Path) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(dashboard).unwrap()).unwrap();
    let mut queries = Vec::new();
    for panel in v["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queries.push((
                panel["title"].as_str().unwrap().to_string(),
                target["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    queries
}

#[test]
fn a_real_prometheus_scrapes_the_server_and_every_dashboard_panel_has_data() {
    let example = deployed("prometheus/prometheus.yml");
    let checked = Command::new("promtool")
        .args(["check", "config"])
        .arg(&example)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", common::stderr_of(&checked));

    let server = Server::start(&[], &[]);
    let target = server.url.trim_start_matches("http://");
    let config = std::fs::read_to_string(&example).unwrap();
    let ours = config
        .replace("127.0.0.1:8080", target)
        .replace("scrape_interval: 15s", "scrape_interval: 1s");
    assert!(ours.contains(target) && ours.contains("1s"), "{ours}");
    let prometheus = Prometheus::start(&ours);
    prometheus.until("scraped the server", || {
        prometheus
            .query(r#"up{job="minutes"}"#)
            .first()
            .is_some_and(|(_, v)| *v == 1.0)
    });
    assert_eq!(prometheus.query("minutes_ready")[0].1, 1.0);

    let answer = post(&server, &fixture("jfk.wav"), &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    prometheus.until("saw the transcription", || {
        prometheus
            .query(r#"minutes_transcriptions_total{outcome="done"}"#)
            .first()
            .is_some_and(|(_, v)| *v == 1.0)
    });
    // Two more scrapes, so that rates over the window see the change.
    std::thread::sleep(Duration::from_secs(3));
    let audio = prometheus.query("minutes_audio_seconds_total");
    assert_eq!(audio[0].1, 11.0);

    let queries = panel_queries(&deployed("grafana/minutes-serve.json"));
    assert!(queries.len() >= 8, "{queries:?}");
    for (panel, expr) in &queries {
        let expr = expr.replace("$__rate_interval", "1m");
        let result = prometheus.query(&expr);
        assert!(
            !result.is_empty(),
            "panel {panel:?}: {expr} gives no series"
        );
        for (labels, value) in &result {
            assert!(
                value.is_finite(),
                "panel {panel:?}: {expr} gives {value} for {labels}"
            );
        }
    }
}
