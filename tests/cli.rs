//! Command-line contract: help, version, usage errors.

use crate::common::*;

#[test]
fn help_and_version_work() {
    minutes().arg("--help").assert().success();
    let out = minutes()
        .arg("--version")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out).unwrap().starts_with("minutes "));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    minutes()
        .args(["transcribe", "--bogus", "x.wav"])
        .assert()
        .code(2);
    minutes().arg("probe").assert().code(2);
}

#[test]
fn invalid_config_file_is_a_config_error() {
    let dir = scratch();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "stt_model: [unclosed\n").unwrap();
    let out = minutes()
        .arg("--config")
        .arg(&cfg)
        .args(["models", "path"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr_of(&out).contains("config.yaml"));
}

#[test]
fn config_file_supplies_the_model() {
    let dir = scratch();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!("stt_model: {}\nlanguage: en\n", model().display()),
    )
    .unwrap();
    let out = minutes()
        .arg("--config")
        .arg(&cfg)
        .args(["-q", "transcribe"])
        .arg(fixture("jfk.wav"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(wer(JFK, &String::from_utf8_lossy(&out)) < 0.15);
}
