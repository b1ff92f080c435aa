#!/usr/bin/env bash
# The main job on an example, offline: a real Whisper model (tiny.en) and a
# real local LLM (SmolLM2-135M, which `minutes` serves itself through the
# bundled minutes-llm) make minutes of fixtures/gen/jfk.mp4.
# Needs `cargo install --path .` done (just demo does it).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes models import .cache/assets/ct2-tiny.en --name tiny.en-ct2 >/dev/null
MINUTES_LLM_CTX=4096 minutes summarize fixtures/gen/jfk.mp4 -m tiny.en-ct2 \
  --llm local --llm-model .cache/assets/smollm2-135m-instruct-q4_1.gguf --no-correct
